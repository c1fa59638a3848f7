// Graceful shutdown (DESIGN §5): with spate.streaming.stopGracefullyOnShutdown, SIGTERM and
// SIGINT finish and commit the batch in flight, then stop; a second signal stops at once.
// Child processes receive real signals; each must then exit 0 by itself (no handle left open).
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SimulatedClock } from 'xstate';
import { MemoryStream, TimeoutError, types as T } from '../../src/index.js';
import type { StreamingQuery } from '../../src/index.js';
import { ShutdownSignals } from '../../src/query/shutdown-signals.js';
import type { ShutdownSignal, SignalTarget } from '../../src/query/shutdown-signals.js';
import { eventually, testSession } from '../support/helpers.js';
import { brokers, newTopic, produce } from '../support/kafka.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';
import { sequenceRow } from '../support/sequence-source.js';
import type { ShutdownChildConfig } from '../support/shutdown-child.js';

interface Child {
  readonly process: ChildProcess;
  /** Everything the child printed so far. */
  output(): string;
  waitFor(pattern: RegExp, what: string, ms?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

function startChild(cfg: ShutdownChildConfig): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/shutdown-child.ts', JSON.stringify(cfg)], {
    cwd: process.cwd(), env: process.env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) => {
    child.on('exit', (code, signal) => setImmediate(() => resolve({ code, signal, output })));
  });
  return {
    process: child,
    output: () => output,
    waitFor: (pattern, what, ms = 30_000) => eventually(() => {
      if (child.exitCode !== null) throw new Error(`the child exited (${child.exitCode}) before ${what}:\n${output}`);
      return pattern.test(output);
    }, what, ms),
    exited,
  };
}

/** Exit within `ms`, or kill the child and fail with what it printed (including any STILL ALIVE handles). */
async function exitOnItsOwn(c: Child, ms = 20_000): Promise<{ code: number | null; output: string }> {
  const timer = setTimeout(() => c.process.kill('SIGKILL'), ms);
  const r = await c.exited;
  clearTimeout(timer);
  if (r.signal === 'SIGKILL') throw new Error(`the child did not exit on its own within ${ms} ms:\n${r.output}`);
  return r;
}

const numbered = async (path: string): Promise<number[]> =>
  existsSync(path) ? (await readdir(path)).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b) : [];

/** The newest offsets and commits entries of a local checkpoint. */
async function logs(cp: string): Promise<{ offsets: number; commits: number }> {
  return { offsets: (await numbered(join(cp, 'offsets'))).at(-1) ?? -1, commits: (await numbered(join(cp, 'commits'))).at(-1) ?? -1 };
}

/** Waits until a batch after the first is in flight: its offsets are logged, its commit is not. */
async function batchInFlight(cp: string): Promise<number> {
  let inFlight = -1;
  await eventually(async () => {
    const l = await logs(cp);
    if (l.offsets >= 1 && l.offsets > l.commits) inFlight = l.offsets;
    return inFlight >= 0;
  }, 'a batch in flight', 30_000);
  return inFlight;
}

const committedIn = (output: string): number[] => [...output.matchAll(/COMMITTED (\d+)/g)].map((m) => Number(m[1]));

/** What a run of the sequence query over `rows` rows must end with: count and sum per key. */
function expectedTotals(rows: number): Map<string, { n: number; total: number }> {
  const t = new Map<string, { n: number; total: number }>();
  for (let i = 0; i < rows; i++) {
    const r = sequenceRow(i, 7);
    const e = t.get(r['key'] as string) ?? { n: 0, total: 0 };
    t.set(r['key'] as string, { n: e.n + 1, total: e.total + (r['value'] as number) });
  }
  return t;
}

/** The epochs a child wrote, the markers of replayed epochs, and the final table of the update-mode output. */
async function readOutput(out: string): Promise<{ epochs: number[]; markers: string[]; totals: Map<string, { n: number; total: number }> }> {
  const names = (await readdir(out)).sort();
  const totals = new Map<string, { n: number; total: number }>();
  const epochs: number[] = [];
  for (const name of names.filter((n) => n.startsWith('epoch-') && n.endsWith('.json'))) {
    epochs.push(Number(name.slice(6, 12)));
    for (const r of JSON.parse(await readFile(join(out, name), 'utf8')) as Array<{ key: string; n: number; total: number }>) {
      totals.set(r.key, { n: r.n, total: r.total });
    }
  }
  return { epochs, markers: names.filter((n) => n.startsWith('REPEAT') || n.startsWith('MISMATCH')), totals };
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-shutdown-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('SIGTERM with spate.streaming.stopGracefullyOnShutdown', () => {
  const ROWS = 3000;

  it('commits the batch in flight, exits 0 on its own, and a restart re-processes nothing', async () => {
    const cp = join(dir, 'cp');
    const out = join(dir, 'out');
    await mkdir(out);
    const cfg: ShutdownChildConfig = { kind: 'sequence', checkpointLocation: cp, outDir: out, rows: ROWS, rowsPerBatch: 200, paceMs: 40 };
    const child = startChild(cfg);
    await child.waitFor(/COMMITTED 0/, 'the first commit');
    const seenInFlight = await batchInFlight(cp);
    child.process.kill('SIGTERM');
    const { code, output } = await exitOnItsOwn(child);
    expect(code).toBe(0);
    // The batch in flight when the signal landed (the one seen, or a later one if the child ran
    // on meanwhile) finished and committed; nothing was started after it.
    const inFlight = Number(/TERMINATED (\d+)/.exec(output)?.[1]);
    expect(inFlight).toBeGreaterThanOrEqual(seenInFlight);
    expect(await logs(cp)).toEqual({ offsets: inFlight, commits: inFlight });
    expect((await readOutput(out)).epochs.at(-1)).toBe(inFlight);

    const restart = startChild({ ...cfg, mode: 'finish' });
    const after = await exitOnItsOwn(restart, 60_000);
    expect(after.code).toBe(0);
    expect(after.output).toContain('DONE');
    // It starts with the next batch: no batch of the first run is run again.
    expect(committedIn(after.output)[0]).toBe(inFlight + 1);
    const result = await readOutput(out);
    expect(result.markers).toEqual([]);
    expect(result.epochs).toEqual(result.epochs.map((_, i) => i));
    expect(result.totals).toEqual(expectedTotals(ROWS));
  }, 300_000);

  it('stops at once on a second signal, leaving the batch in flight uncommitted, and a restart re-runs it exactly', async () => {
    const cp = join(dir, 'cp');
    const out = join(dir, 'out');
    await mkdir(out);
    // Each batch takes about 10 × 1 s: the second signal lands well before it could finish, even on a loaded machine.
    const cfg: ShutdownChildConfig = { kind: 'sequence', checkpointLocation: cp, outDir: out, rows: ROWS, rowsPerBatch: 200, paceMs: 1000 };
    const child = startChild(cfg);
    await child.waitFor(/COMMITTED 0/, 'the first commit');
    const inFlight = await batchInFlight(cp);
    child.process.kill('SIGTERM');
    await child.waitFor(/stopping 1 streaming query gracefully/, 'the first signal to be handled');
    child.process.kill('SIGTERM');
    const { code, output } = await exitOnItsOwn(child);
    expect(code).toBe(0);
    expect(output).toContain('stopping 1 streaming query at once');
    expect(await logs(cp)).toEqual({ offsets: inFlight, commits: inFlight - 1 });

    const restart = startChild({ ...cfg, mode: 'finish' });
    const after = await exitOnItsOwn(restart, 60_000);
    expect(after.code).toBe(0);
    expect(committedIn(after.output)[0]).toBe(inFlight);
    const result = await readOutput(out);
    expect(result.markers.filter((m) => m.startsWith('MISMATCH'))).toEqual([]);
    expect(result.epochs).toEqual(result.epochs.map((_, i) => i));
    expect(result.totals).toEqual(expectedTotals(ROWS));
  }, 300_000);
});

describe('after a graceful stop the process exits 0 on its own, whatever the query holds open', () => {
  async function signalledExit(cfg: ShutdownChildConfig, ready = /COMMITTED 0/): Promise<string> {
    const child = startChild(cfg);
    await child.waitFor(ready, 'the first commit');
    child.process.kill('SIGTERM');
    const { code, output } = await exitOnItsOwn(child);
    expect(code).toBe(0);
    expect(output).toMatch(/TERMINATED \d+/);
    return output;
  }

  it('a rate source', async () => {
    await signalledExit({ kind: 'rate', checkpointLocation: join(dir, 'cp') });
  }, 300_000);

  it('a rate source under Trigger.Continuous', async () => {
    await signalledExit({ kind: 'continuous', checkpointLocation: join(dir, 'cp') });
    const l = await logs(join(dir, 'cp'));
    expect(l.commits).toBe(l.offsets);
  }, 300_000);

  it('a file source and a file sink', async () => {
    await mkdir(join(dir, 'in'));
    await writeFile(join(dir, 'in', 'a.txt'), 'one\ntwo\n');
    await signalledExit({ kind: 'file', checkpointLocation: join(dir, 'cp'), inDir: join(dir, 'in'), outDir: join(dir, 'out') });
  }, 300_000);

  it('a socket source', async () => {
    const sockets = new Set<Socket>();
    const server: Server = createServer((s) => { sockets.add(s); s.write('hello\nworld\n'); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await signalledExit({ kind: 'socket', checkpointLocation: join(dir, 'cp'), port: (server.address() as AddressInfo).port });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  }, 300_000);

  it('a Kafka source', async () => {
    const topic = await newTopic('shutdown');
    await produce(topic, [{ value: 'a' }, { value: 'b' }]);
    await signalledExit({ kind: 'kafka', checkpointLocation: join(dir, 'cp'), topic, brokers: brokers() });
  }, 300_000);

  it('a checkpoint in Redis', async () => {
    const prefix = `shutdown-${randomUUID()}`;
    const out = join(dir, 'out');
    await mkdir(out);
    try {
      await signalledExit({ kind: 'sequence', checkpointLocation: `${process.env['REDIS_URL']}/0/${prefix}`, outDir: out, rows: 100_000, rowsPerBatch: 100, paceMs: 5 });
    } finally {
      await deleteRedisPrefix(process.env['REDIS_URL']!, prefix);
    }
  }, 300_000);
});

describe('the shutdown signal handlers', () => {
  it('exist only while a query with stopGracefullyOnShutdown runs', async () => {
    const count = (): [number, number] => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const [term, int] = count();
    const graceful = testSession({ 'spate.streaming.stopGracefullyOnShutdown': true });
    const plain = testSession();
    const p = new MemoryStream(plain, T.struct([T.field('n', T.long())])).toDF().writeStream.format('memory').queryName('plain_q').start();
    await p.processAllAvailable();
    expect(count()).toEqual([term, int]);
    const a = new MemoryStream(graceful, T.struct([T.field('n', T.long())])).toDF().writeStream.format('memory').queryName('graceful_a').start();
    const b = new MemoryStream(graceful, T.struct([T.field('n', T.long())])).toDF().writeStream.format('memory').queryName('graceful_b').start();
    expect(count()).toEqual([term + 1, int + 1]);
    await a.stop();
    expect(count()).toEqual([term + 1, int + 1]);
    await b.stop();
    expect(count()).toEqual([term, int]);
    await p.stop();
  });

  it('stop every registered query gracefully on the first signal, and at once on the second', async () => {
    class FakeProcess implements SignalTarget {
      readonly handlers = new Map<ShutdownSignal, Set<(s: ShutdownSignal) => void>>();
      on(s: ShutdownSignal, h: (s: ShutdownSignal) => void): void { (this.handlers.get(s) ?? this.handlers.set(s, new Set()).get(s)!).add(h); }
      off(s: ShutdownSignal, h: (s: ShutdownSignal) => void): void { this.handlers.get(s)?.delete(h); }
      send(s: ShutdownSignal): void { for (const h of [...(this.handlers.get(s) ?? [])]) h(s); }
    }
    const fake = new FakeProcess();
    const signals = new ShutdownSignals(fake, () => undefined);
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const seen: number[] = [];
    const slow = input.toDF().writeStream.option('checkpointLocation', join(dir, 'slow'))
      .foreachBatch(async (_b, id) => { seen.push(id); await gate; }).start();
    const idle = input.toDF().writeStream.format('memory').queryName('idle_q').start();
    signals.register(slow);
    signals.register(idle);
    input.addData([{ n: 1 }]);
    await eventually(() => seen.length === 1, 'the slow batch to reach its sink');
    fake.send('SIGINT');
    await idle.awaitTermination();
    expect(slow.isActive).toBe(true); // still finishing its batch
    fake.send('SIGTERM');
    await slow.awaitTermination();
    release();
    signals.unregister(slow);
    signals.unregister(idle);
    expect(signals.active).toBe(false);
    expect(fake.handlers.get('SIGTERM')?.size).toBe(0);
    // Stopped at once: batch 0 is not committed and runs again on restart.
    const again = input.toDF().writeStream.option('checkpointLocation', join(dir, 'slow'))
      .foreachBatch((_b, id) => { seen.push(id); }).start();
    await again.processAllAvailable();
    await again.stop();
    expect(seen).toEqual([0, 0]);
  });
});

describe('spate.sql.streaming.stopTimeout', () => {
  it('bounds a graceful stop: past it the query stops at once and stop() throws', async () => {
    const clock = new SimulatedClock();
    clock.set(Date.UTC(2024, 0, 1));
    const spark = testSession({ 'spate.sql.streaming.stopTimeout': 5000 });
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const seen: number[] = [];
    const q: StreamingQuery = input.toDF().writeStream.clock(clock).option('checkpointLocation', join(dir, 'cp'))
      .foreachBatch(async (_b, id) => { seen.push(id); await gate; }).start();
    input.addData([{ n: 1 }]);
    await eventually(() => seen.length === 1, 'the batch to reach its sink');
    const stopping = q.stop();
    const outcome = stopping.then(() => 'stopped', (e: unknown) => e);
    clock.increment(4999);
    await new Promise((r) => setTimeout(r, 50));
    expect(q.isActive).toBe(true);
    clock.increment(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/did not stop within spate\.sql\.streaming\.stopTimeout \(5000 ms\)/);
    await q.awaitTermination();
    expect(q.status.message).toBe('Stopped');
    release();
    const again = input.toDF().writeStream.clock(clock).option('checkpointLocation', join(dir, 'cp'))
      .foreachBatch((_b, id) => { seen.push(id); }).start();
    await again.processAllAvailable();
    await again.stop();
    expect(seen).toEqual([0, 0]);
  });
});
