// Each trigger's schedule (SEMANTICS §2), on a simulated clock: a trigger waits only for the
// clock, so these tests never wait on the wall clock, and a query that ought not to wait but did
// would hang here instead of passing.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { MemoryStream, Trigger, col, window, types as T } from '../../src/index.js';
import type { Row, StreamingQuery } from '../../src/index.js';
import { eventually, testSession } from '../support/helpers.js';
import { newProbe } from '../support/probe-source.js';

const at = (hms: string): number => Date.parse(`2024-01-01T${hms}Z`);
const iso = (hms: string): string => new Date(at(hms)).toISOString();

function clockAt(hms: string): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(at(hms));
  return clock;
}

/** Waits until the query is between triggers (or has terminated). */
async function betweenTriggers(q: StreamingQuery): Promise<void> {
  await eventually(() => !q.isActive || (!q.status.isTriggerActive && q.status.message.startsWith('Waiting')), 'the query to wait for its next trigger');
}

/** Lets anything that a clock step set off run (for checks that nothing happened). */
async function quiet(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-triggers-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('Trigger.ProcessingTime', () => {
  it('runs its first trigger at once and the next at the slot after it: 12:00:03, then 12:00:10', async () => {
    const clock = clockAt('12:00:03');
    const { name, probe } = newProbe();
    probe.add(5);
    // Idle triggers add no progress here (Spark adds one after 10 s without progress).
    const q = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 3_600_000 }).readStream.format('probe').option('name', name).load()
      .writeStream.format('memory').queryName('slots').trigger(Trigger.ProcessingTime('10 seconds')).clock(clock).start();
    await betweenTriggers(q);
    expect(probe.plannedAt).toEqual([at('12:00:03')]);
    expect(q.status.message).toBe('Waiting for next trigger');
    clock.set(at('12:00:09.999'));
    await quiet();
    expect(probe.plannedAt).toEqual([at('12:00:03')]);
    clock.set(at('12:00:10'));
    await betweenTriggers(q);
    expect(probe.plannedAt).toEqual([at('12:00:03'), at('12:00:10')]);
    clock.set(at('12:00:20'));
    await betweenTriggers(q);
    expect(probe.plannedAt).toEqual([at('12:00:03'), at('12:00:10'), at('12:00:20')]);
    await q.stop();
    expect(q.recentProgress.map((p) => p.timestamp)).toEqual([iso('12:00:03')]);
  });

  it('follows a batch that overran its slot at once, without a burst for the slots it missed', async () => {
    const clock = clockAt('12:00:03');
    const { name, probe } = newProbe();
    probe.add(5);
    let first = true;
    const q = testSession().readStream.format('probe').option('name', name).load()
      .writeStream.trigger(Trigger.ProcessingTime('10 seconds')).clock(clock)
      .foreachBatch(() => {
        if (!first) return;
        first = false;
        probe.add(5); // data for the next batch
        clock.increment(14_000); // this batch lasts 14 s: it ends at 12:00:17
      })
      .start();
    await eventually(() => q.recentProgress.length === 2, 'the batch after the overrun');
    await betweenTriggers(q);
    // Triggered at 12:00:03, overran the 12:00:10 slot, next at once at 12:00:17.
    expect(q.recentProgress.map((p) => [p.timestamp, p.batchDuration])).toEqual([[iso('12:00:03'), 14_000], [iso('12:00:17'), 0]]);
    expect(probe.plannedAt).toEqual([at('12:00:03'), at('12:00:17')]);
    // That batch's slot is 12:00:20: nothing before it.
    probe.add(5);
    clock.set(at('12:00:19.999'));
    await quiet();
    expect(probe.plannedAt).toEqual([at('12:00:03'), at('12:00:17')]);
    clock.set(at('12:00:20'));
    await eventually(() => q.recentProgress.length === 3, 'the batch at 12:00:20');
    await q.stop();
    expect(q.recentProgress.map((p) => p.timestamp)).toEqual([iso('12:00:03'), iso('12:00:17'), iso('12:00:20')]);
  });

  it('runs no batch without new data unless a stateful operator asks for a no-data batch', async () => {
    const clock = clockAt('12:00:00');
    const spark = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 3_600_000 });
    const input = new MemoryStream(spark, T.struct([T.field('ts', T.timestamp()), T.field('n', T.long())]));
    input.addData([{ ts: new Date(at('10:00:05')), n: 1 }, { ts: new Date(at('10:00:25')), n: 1 }]);
    const q = input.toDF().withWatermark('ts', '0 seconds').groupBy(window(col('ts'), '10 seconds')).count()
      .writeStream.format('memory').queryName('no_data').outputMode('append').trigger(Trigger.ProcessingTime('10 seconds')).clock(clock).start();
    await betweenTriggers(q);
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([2]);
    // The watermark moved to 10:00:25: the next trigger runs a no-data batch that closes [10:00:00, 10:00:10).
    clock.set(at('12:00:10'));
    await eventually(() => q.recentProgress.length === 2, 'the no-data batch');
    await betweenTriggers(q);
    expect(q.recentProgress[1]!.numInputRows).toBe(0);
    expect(await spark.table('no_data').collect()).toEqual([{ window: { start: new Date(at('10:00:00')), end: new Date(at('10:00:10')) }, count: 1 }]);
    // Now nothing moves: the triggers at the next slots run no batch.
    for (const t of ['12:00:20', '12:00:30', '12:00:40']) {
      clock.set(at(t));
      await betweenTriggers(q);
    }
    await quiet();
    expect(q.recentProgress.length).toBe(2);
    await q.stop();
  });
});

describe('the default trigger', () => {
  it('plans each batch as soon as the last one committed, without waiting on the clock', async () => {
    const clock = clockAt('12:00:00');
    const { name, probe } = newProbe();
    probe.add(1000);
    const q = testSession().readStream.format('probe').option('name', name).option('maxRowsPerTrigger', 100).load()
      .writeStream.format('memory').queryName('back_to_back').clock(clock).start();
    // The clock never moves: any wait between these batches would never end.
    await q.processAllAvailable();
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual(Array(10).fill(100));
    expect(q.recentProgress.map((p) => p.batchId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(q.recentProgress.map((p) => p.timestamp))).toEqual(new Set([iso('12:00:00')]));
    await q.stop();
  });

  it('polls an idle source every spate.sql.streaming.pollingDelay, and at once when it says data arrived', async () => {
    const clock = clockAt('12:00:00');
    const { name, probe } = newProbe();
    const spark = testSession({ 'spate.sql.streaming.pollingDelay': 50 });
    const q = spark.readStream.format('probe').option('name', name).load()
      .writeStream.format('memory').queryName('polling').clock(clock).start();
    await betweenTriggers(q);
    expect(q.status.message).toBe('Waiting for data to arrive');
    clock.increment(49);
    await quiet();
    expect(probe.plannedAt).toEqual([at('12:00:00')]);
    clock.increment(1);
    await betweenTriggers(q);
    clock.increment(50);
    await betweenTriggers(q);
    expect(probe.plannedAt).toEqual([at('12:00:00'), at('12:00:00.050'), at('12:00:00.100')]);
    probe.add(3); // the source wakes the query: no wait for the polling delay
    await eventually(() => q.recentProgress.length === 1, 'the batch of the new rows');
    expect(probe.plannedAt[3]).toBe(at('12:00:00.100'));
    await q.stop();
  });
});

describe('Trigger.Once', () => {
  it('runs one batch of everything available, ignoring read limits, then stops', async () => {
    const { name, probe } = newProbe();
    probe.add(1000);
    const q = testSession().readStream.format('probe').option('name', name).option('maxRowsPerTrigger', 100).load()
      .writeStream.format('memory').queryName('once').trigger(Trigger.Once()).clock(clockAt('12:00:00')).start();
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => [p.batchId, p.numInputRows])).toEqual([[0, 1000]]);
    expect(q.status.message).toBe('Stopped');
  });

  it('re-runs the uncommitted batch a crash left, as that one batch, then stops', async () => {
    const { name, probe } = newProbe();
    probe.add(300);
    const spark = testSession();
    const seen: Array<[number, number[]]> = [];
    const run = (trigger = Trigger.ProcessingTime(0)): StreamingQuery => spark.readStream.format('probe').option('name', name)
      .option('maxRowsPerTrigger', 100).load()
      .writeStream.trigger(trigger).option('checkpointLocation', join(dir, 'cp'))
      .foreachBatch(async (b, id) => { seen.push([id, (await b.collect()).map((r: Row) => r['id'] as number)]); })
      .start();
    const first = run();
    await first.processAllAvailable();
    await first.stop();
    expect(seen.map(([id]) => id)).toEqual([0, 1, 2]);
    // As if the process died after batch 2's output but before its commit marker.
    await rm(join(dir, 'cp', 'commits', '2'));
    probe.add(200);
    seen.length = 0;
    const once = run(Trigger.Once());
    await once.awaitTermination();
    expect(seen.map(([id, ids]) => [id, ids.length, ids[0]])).toEqual([[2, 100, 200]]);
    expect(once.recentProgress.map((p) => p.batchId)).toEqual([2]);
  });
});

describe('Trigger.AvailableNow', () => {
  async function files(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const path = join(dir, 'in', `f${i}.json`);
      await writeFile(path, `{"ts":"2024-01-01T10:00:${String(i * 5).padStart(2, '0')}Z","n":${i}}\n`);
      await utimes(path, 1000 + i, 1000 + i);
    }
  }
  const schema = T.struct([T.field('ts', T.timestamp()), T.field('n', T.long())]);

  beforeEach(async () => { await mkdir(join(dir, 'in')); });

  it('with maxFilesPerTrigger 1 over 10 ready files runs exactly 10 data batches, then terminates on its own', async () => {
    await files(10);
    const seen: number[][] = [];
    const q = testSession().readStream.format('json').schema(schema).option('maxFilesPerTrigger', 1).load(join(dir, 'in'))
      .writeStream.trigger(Trigger.AvailableNow()).option('checkpointLocation', join(dir, 'cp')).clock(clockAt('12:00:00'))
      .foreachBatch(async (b, id) => {
        seen.push((await b.collect()).map((r: Row) => r['n'] as number));
        // A file that arrives after the start belongs to a later run.
        if (id === 0) await writeFile(join(dir, 'in', 'late.json'), '{"ts":"2024-01-01T11:00:00Z","n":99}\n');
      })
      .start();
    await q.awaitTermination();
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => [i]));
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual(Array(10).fill(1));
    expect(q.isActive).toBe(false);
  });

  it('ends with a no-data batch when the last data batch moved the watermark', async () => {
    await files(10);
    const spark = testSession();
    const q = spark.readStream.format('json').schema(schema).option('maxFilesPerTrigger', 1).load(join(dir, 'in'))
      .withWatermark('ts', '0 seconds').groupBy(window(col('ts'), '10 seconds')).count()
      .writeStream.format('memory').queryName('an_windows').outputMode('append').trigger(Trigger.AvailableNow())
      .option('checkpointLocation', join(dir, 'cp')).clock(clockAt('12:00:00')).start();
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([...Array(10).fill(1), 0]);
    // Rows at 10:00:00, :05, …, :45; the watermark ends at 10:00:45, closing every window up to [10:00:30, 10:00:40).
    const windows = (await spark.table('an_windows').collect()).map((r) => (r['window'] as { start: Date }).start.toISOString().slice(11, 19));
    expect(windows.sort()).toEqual(['10:00:00', '10:00:10', '10:00:20', '10:00:30']);
  });

  it('falls back to Once over a source that cannot fix its end at start', async () => {
    const { name, probe } = newProbe();
    probe.add(250);
    const q = testSession().readStream.format('probe').option('name', name).option('maxRowsPerTrigger', 100).load()
      .writeStream.format('memory').queryName('an_fallback').trigger(Trigger.AvailableNow()).clock(clockAt('12:00:00')).start();
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([250]);
  });

  it('over a MemoryStream reads the rows added before the start, not those added while it runs', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    input.addData([{ n: 1 }, { n: 2 }]);
    const q = input.toDF().writeStream.trigger(Trigger.AvailableNow()).clock(clockAt('12:00:00'))
      .foreachBatch(() => { input.addData([{ n: 3 }]); })
      .start();
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([2]);
  });
});
