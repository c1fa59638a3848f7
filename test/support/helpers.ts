// Small helpers shared by tests.
import type { Row } from '../../src/index.js';
import { Session } from '../../src/index.js';

/** A fresh session for one test file, with few shuffle partitions. */
export function testSession(conf: Record<string, string | number | boolean> = {}): Session {
  const b = Session.builder().appName('test').config('spate.sql.shuffle.partitions', 3);
  for (const [k, v] of Object.entries(conf)) b.config(k, v);
  return b.create();
}

/** Rows sorted by their JSON form, for order-independent comparison. */
export function sortRows<R extends Row>(rows: readonly R[]): R[] {
  return [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/**
 * How long a test waits for something that needs other processes to act (a session timeout to
 * expire, a rebalance, a child process's next commit). A budget for a loaded 2-core machine, where
 * these steps stretch tenfold, never a measure of speed: nothing asserts how soon they happen.
 */
export const PATIENCE_MS = 300_000;

/**
 * Waits until `check` returns true, polling; fails with `what` after `ms`. The limit is a budget
 * for a loaded machine, not a measure of speed: nothing asserts how soon the condition holds.
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Records what process.emitWarning is given (instead of printing it) until `restore()`;
 * `messages` are the warnings' texts, in order.
 */
export function captureWarnings(): { readonly messages: string[]; restore(): void } {
  const messages: string[] = [];
  const spy = jest.spyOn(process, 'emitWarning').mockImplementation((w: string | Error) => {
    messages.push(typeof w === 'string' ? w : w.message);
  });
  return { messages, restore: () => spy.mockRestore() };
}

/** Runs `fn` while capturing what is written to stdout, and returns it. */
export async function captureStdout(fn: () => Promise<void> | void): Promise<string> {
  const original = process.stdout.write.bind(process.stdout);
  let out = '';
  process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = original;
  }
  return out;
}
