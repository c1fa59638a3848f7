// Functions registered by name (registerFunction), so that worker threads can run them when a
// test lists this module in spate.worker.imports: one throws the first time a thread sees a word
// starting with 'boom' (each such word once per thread), one ends its worker thread the first
// time any thread of this process sees a word starting with 'exit' (a marker file remembers it
// across the fresh thread that replaces the dead one), so a query that restarts from its last
// commit then gets through. On the driver thread they never fail.
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { registerFunction, types as T } from '../../src/index.js';

const seen = new Set<string>();

function firstTime(x: unknown, prefix: string): boolean {
  if (isMainThread || typeof x !== 'string' || !x.startsWith(prefix) || seen.has(x)) return false;
  seen.add(x);
  return true;
}

registerFunction('fail_once_per_thread', (x: unknown) => {
  if (firstTime(x, 'boom')) throw new Error(`worker thread ${threadId} fails on purpose at '${String(x)}'`);
  return x;
}, T.string());

registerFunction('exit_once', (x: unknown) => {
  if (isMainThread || typeof x !== 'string' || !x.startsWith('exit')) return x;
  const marker = join(tmpdir(), `spate-exit-once-${process.pid}-${x}`);
  if (existsSync(marker)) return x;
  writeFileSync(marker, '');
  process.exit(3);
}, T.string());
