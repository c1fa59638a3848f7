// A run frozen past the Redis lock timeout (SIGSTOP) while another run takes over publishes
// nothing when it wakes: the file sink checks the fence before its manifest entry, foreachBatch
// before it calls the user's function.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { RedisServer } from '../support/redis-server.js';

interface Run {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp): Promise<string>;
  exited: Promise<number | null>;
  lines: string[];
}

function startRun(args: string[]): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/zombie-child.ts', ...args], { cwd: process.cwd(), stdio: 'pipe' });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) if (w.re.test(line)) w.resolve(line); else waiters.push(w);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc, lines, exited,
    waitFor: (re) => {
      const seen = lines.find((l) => re.test(l));
      return seen ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ re, resolve }));
    },
  };
}

async function manifest(out: string): Promise<Map<string, string>> {
  const dir = join(out, '_spate_metadata');
  const entries = new Map<string, string>();
  for (const name of (await readdir(dir)).filter((n) => /^\d+$/.test(n))) entries.set(name, await readFile(join(dir, name), 'utf8'));
  return entries;
}

describe('a zombie run', () => {
  let server: RedisServer;
  let dir: string;
  const runs: Run[] = [];
  beforeEach(async () => {
    server = await RedisServer.start();
    dir = await mkdtemp(join(tmpdir(), 'spate-zombie-'));
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) {
      r.proc.kill('SIGCONT');
      r.proc.kill('SIGKILL');
      await r.exited;
    }
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits until Redis dropped the query's live-run lock. */
  async function lockGone(sink: string): Promise<void> {
    const redis = new Redis(server.url);
    try {
      while ((await redis.exists(`{zombie-${sink}}:lock`)) === 1) await new Promise((r) => setTimeout(r, 50));
    } finally {
      redis.disconnect();
    }
  }

  /** Run A freezes mid-epoch; once its lock expired run B takes over and commits three more epochs; then A wakes. */
  async function zombieScenario(
    sink: 'file' | 'foreachBatch', output: string, beforeWake: () => Promise<void>,
    failure = /lost checkpoint redis:\/\/127\.0\.0\.1:\d+\/0\/zombie-\w+ to run/,
  ): Promise<Run> {
    const a = startRun([server.url, sink, output, 'A', '130']); // row 130 is in epoch 3 (40 rows per epoch)
    runs.push(a);
    await a.waitFor(/^freezing 130$/);
    await lockGone(sink); // A's lock lives 1 s without renewal
    const b = startRun([server.url, sink, output, 'B', '-1']);
    runs.push(b);
    await b.waitFor(/^committed 5$/);
    await beforeWake();
    a.proc.kill('SIGCONT');
    expect(await a.exited).toBe(1);
    expect(a.lines.find((l) => l.startsWith('failed'))).toMatch(failure);
    return a;
  }

  it('never writes the file sink manifest entry of an epoch the new owner committed', async () => {
    const out = join(dir, 'out');
    let before = new Map<string, string>();
    await zombieScenario('file', out, async () => { before = await manifest(out); });
    expect(before.has('3')).toBe(true); // B committed the epoch A was frozen in
    const after = await manifest(out);
    for (const [epoch, entry] of before) expect([epoch, after.get(epoch)]).toEqual([epoch, entry]);
  });

  it('never calls the foreachBatch function after losing the lock', async () => {
    const log = join(dir, 'deliveries.txt');
    let before = '';
    await zombieScenario('foreachBatch', log, async () => { before = await readFile(log, 'utf8'); });
    const added = (await readFile(log, 'utf8')).slice(before.length).split('\n').filter((l) => l.startsWith('A '));
    expect(added).toEqual([]);
    expect(before.split('\n').filter((l) => l.startsWith('A '))).toEqual(['A 0', 'A 1', 'A 2']);
  });

  it('never calls the foreachBatch function when the new owner stopped and let the lock go before it woke', async () => {
    const log = join(dir, 'deliveries.txt');
    let before = '';
    const a = await zombieScenario('foreachBatch', log, async () => {
      const b = runs[runs.length - 1]!;
      b.proc.kill('SIGKILL');
      await b.exited;
      await lockGone('foreachBatch');
      before = await readFile(log, 'utf8');
    }, /stops writing checkpoint redis:\/\/127\.0\.0\.1:\d+\/0\/zombie-foreachBatch: its live-run lock vanished and another run committed epochs up to \d+ meanwhile/);
    expect(a.lines.some((l) => l.startsWith('failed'))).toBe(true);
    expect((await readFile(log, 'utf8')).slice(before.length)).toBe('');
  });
});
