// Trigger.Continuous: rows flow through a stateless chain to the sink as they arrive; every
// checkpoint interval the sources inject a barrier, and the epoch is recorded in the same
// offset and commit logs a micro-batch query writes, so either kind of query continues from
// the other's checkpoint. Unsupported queries fail at start() with Spark's messages.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { MemoryStream, Trigger, col, count, expr, lit, window, types as T } from '../../src/index.js';
import type { DataFrame, Row, StreamingQuery } from '../../src/index.js';
import { eventually, testSession } from '../support/helpers.js';

const at = (hms: string): number => Date.parse(`2024-01-01T${hms}Z`);
const NUMBERS = T.struct([T.field('n', T.long())]);

function clockAt(hms: string): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(at(hms));
  return clock;
}

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-continuous-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const running = (q: StreamingQuery): Promise<void> => eventually(() => q.status.message === 'Running', 'continuous processing to start');
const logged = async (kind: 'offsets' | 'commits'): Promise<number[]> =>
  (await readdir(join(dir, 'cp', kind))).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);

describe('Trigger.Continuous', () => {
  it('delivers rows through the chain as they arrive, and commits an epoch every checkpoint interval', async () => {
    const clock = clockAt('12:00:00.500');
    const spark = testSession();
    const input = new MemoryStream(spark, NUMBERS);
    const arrived: Array<{ epoch: number; m: number }> = [];
    let epoch = -1;
    const q = input.toDF().filter(col('n').gt(0)).select(col('n').multiply(10).alias('m'))
      .writeStream.trigger(Trigger.Continuous('1 second')).option('checkpointLocation', join(dir, 'cp')).clock(clock)
      .foreach({ open: (_p, e) => { epoch = e; return true; }, process: (r) => { arrived.push({ epoch, m: r['m'] as number }); } })
      .start();
    await running(q);
    input.addData([{ n: 1 }, { n: 0 }, { n: 2 }]);
    // The clock stands still: no epoch has ended, yet the rows are at the sink.
    await eventually(() => arrived.length === 2, 'the rows to reach the sink');
    expect(arrived).toEqual([{ epoch: 0, m: 10 }, { epoch: 0, m: 20 }]);
    expect(q.recentProgress).toEqual([]);
    clock.set(at('12:00:01'));
    await eventually(() => q.recentProgress.length === 1, 'the first epoch to commit');
    expect(q.lastProgress).toMatchObject({ batchId: 0, numInputRows: 3, sources: [{ startOffset: 0, endOffset: 3 }], sink: { numOutputRows: 2 } });
    expect(await logged('offsets')).toEqual([0]);
    expect(await logged('commits')).toEqual([0]);
    // An interval without rows records nothing.
    clock.set(at('12:00:02'));
    input.addData([{ n: 3 }]);
    await eventually(() => arrived.length === 3, 'the next row');
    clock.set(at('12:00:03'));
    await eventually(() => q.recentProgress.length === 2, 'the second epoch');
    expect(q.lastProgress).toMatchObject({ batchId: 1, numInputRows: 1, sources: [{ startOffset: 3, endOffset: 4 }] });
    expect(arrived.at(-1)).toEqual({ epoch: 1, m: 30 });
    await q.stop();
  });

  it('processAllAvailable returns once the rows added before it are committed, without waiting for the interval', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, NUMBERS);
    const q = input.toDF().select(col('n'), expr('n * n').alias('square'))
      .writeStream.format('memory').queryName('cont_all').trigger(Trigger.Continuous('1 hour')).clock(clockAt('12:00:00')).start();
    input.addData([{ n: 1 }, { n: 2 }]);
    await q.processAllAvailable();
    expect(await spark.table('cont_all').collect()).toEqual([{ n: 1, square: 1 }, { n: 2, square: 4 }]);
    input.addData([{ n: 3 }]);
    await q.processAllAvailable();
    expect((await spark.table('cont_all').collect()).length).toBe(3);
    expect(q.recentProgress.map((p) => p.batchId)).toEqual([0, 1]);
    await q.stop();
  });

  it('a graceful stop ends the epoch in flight with a barrier and commits it', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, NUMBERS);
    const arrived: number[] = [];
    const closed: Array<unknown> = [];
    const start = (): StreamingQuery => input.toDF().writeStream.trigger(Trigger.Continuous('1 hour'))
      .option('checkpointLocation', join(dir, 'cp')).clock(clockAt('12:00:00'))
      .foreach({ process: (r) => { arrived.push(r['n'] as number); }, close: (e) => { closed.push(e); } })
      .start();
    const q = start();
    await running(q);
    input.addData([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await eventually(() => arrived.length === 3, 'the rows to reach the sink');
    expect(closed).toEqual([]);
    await q.stop();
    // The epoch was ended at its barrier: the writer closed without error, and the epoch is committed.
    expect(closed).toEqual([null]);
    expect(await logged('commits')).toEqual([0]);
    expect(q.status.message).toBe('Stopped');
    const again = start();
    await again.processAllAvailable();
    await again.stop();
    expect(arrived).toEqual([1, 2, 3]);
  });

  it('shares its checkpoint with micro-batch queries: each continues exactly where the other stopped', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, NUMBERS);
    const clock = clockAt('12:00:00');
    const start = (trigger: ReturnType<typeof Trigger.Continuous>): StreamingQuery => input.toDF().select(col('n'))
      .writeStream.format('memory').queryName('shared').trigger(trigger).option('checkpointLocation', join(dir, 'cp')).clock(clock).start();
    const phase = async (trigger: ReturnType<typeof Trigger.Continuous>, from: number): Promise<number[]> => {
      input.addData([0, 1, 2].map((i) => ({ n: from + i })));
      const q = start(trigger);
      await q.processAllAvailable();
      await q.stop();
      return q.recentProgress.filter((p) => p.numInputRows > 0).map((p) => p.batchId);
    };
    const epochs = [
      ...await phase(Trigger.Continuous('1 hour'), 0),
      ...await phase(Trigger.ProcessingTime(0), 3),
      ...await phase(Trigger.Continuous('1 hour'), 6),
      ...await phase(Trigger.Once(), 9),
    ];
    expect(epochs).toEqual([0, 1, 2, 3]);
    expect((await spark.table('shared').collect()).map((r: Row) => r['n'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('re-runs an epoch the checkpoint left uncommitted with exactly its logged offsets, then continues (at least once)', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, NUMBERS);
    const seen: Array<{ epoch: number; n: number }> = [];
    const start = (): StreamingQuery => {
      let epoch = -1;
      return input.toDF().writeStream.trigger(Trigger.Continuous('1 hour')).option('checkpointLocation', join(dir, 'cp')).clock(clockAt('12:00:00'))
        .foreach({ open: (_p, e) => { epoch = e; return true; }, process: (r) => { seen.push({ epoch, n: r['n'] as number }); } })
        .start();
    };
    input.addData([{ n: 1 }, { n: 2 }]);
    const first = start();
    await first.processAllAvailable();
    input.addData([{ n: 3 }]);
    await first.processAllAvailable();
    await first.stop();
    // As if the process died after epoch 1 reached the sink but before its commit marker.
    await rm(join(dir, 'cp', 'commits', '1'));
    input.addData([{ n: 4 }]);
    const second = start();
    await second.processAllAvailable();
    await second.stop();
    expect(seen).toEqual([{ epoch: 0, n: 1 }, { epoch: 0, n: 2 }, { epoch: 1, n: 3 }, { epoch: 1, n: 3 }, { epoch: 2, n: 4 }]);
  });

  it('reads the rate source as its rows fall due, with millisecond offsets a micro-batch query can continue from', async () => {
    const spark = testSession();
    const cp = join(dir, 'cp');
    const q = spark.readStream.format('rate').option('rowsPerSecond', 2000).load()
      .select(col('value'), col('timestamp')).writeStream.format('memory').queryName('rate_cont')
      .trigger(Trigger.Continuous('50 milliseconds')).option('checkpointLocation', cp).start();
    await eventually(() => q.recentProgress.length >= 3, 'a few epochs');
    await q.stop();
    const continuous = await spark.table('rate_cont').collect();
    const ends = q.recentProgress.map((p) => p.sources[0]!.endOffset as number);
    expect(ends.some((o) => !Number.isInteger(o))).toBe(true);
    // Each row reached the sink after it fell due; values run on without a gap.
    expect(continuous.map((r: Row) => r['value'])).toEqual(continuous.map((_, i) => i));
    const batch = spark.readStream.format('rate').option('rowsPerSecond', 2000).load().select(col('value'))
      .writeStream.format('memory').queryName('rate_batch').option('checkpointLocation', cp).start();
    await eventually(() => (batch.lastProgress?.numInputRows ?? 0) > 0, 'a micro-batch after the continuous run');
    await batch.stop();
    const after = (await spark.table('rate_batch').collect()).map((r: Row) => r['value'] as number);
    expect(after[0]).toBe(continuous.length);
    expect(after).toEqual(after.map((_, i) => continuous.length + i));
  });

  it('restarts by its restart policy after a sink failure and delivers the rows again', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, NUMBERS);
    const delivered: number[] = [];
    let failures = 1;
    const q = input.toDF().writeStream.trigger(Trigger.Continuous('1 hour')).clock(clockAt('12:00:00'))
      .restartPolicy({ type: 'onFailure', retries: 2, intervalMs: 0 })
      .foreach((r) => {
        if (r['n'] === 2 && failures-- > 0) throw new Error('sink hiccup');
        delivered.push(r['n'] as number);
      })
      .start();
    input.addData([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await eventually(() => delivered.includes(3), 'the rows after the restart');
    await q.processAllAvailable();
    await q.stop();
    expect(q.exception()).toBeNull();
    // Epoch 0 never committed before the failure: its rows come again.
    expect(delivered).toEqual([1, 1, 2, 3]);
  });
});

describe('start() with Trigger.Continuous', () => {
  const spark = testSession();
  const input = new MemoryStream(spark, T.struct([T.field('ts', T.timestamp()), T.field('k', T.string())]));
  const continuous = Trigger.Continuous('1 second');
  const memory = (df: DataFrame, mode: 'append' | 'complete' | 'update' = 'append'): StreamingQuery =>
    df.writeStream.format('memory').queryName(`refused_${Math.random().toString(36).slice(2)}`).outputMode(mode).trigger(continuous).start();

  it.each([
    ['an aggregation', () => memory(input.toDF().groupBy('k').agg(count(lit(1))), 'complete'), 'Continuous processing does not support Aggregate operations.'],
    ['a windowed aggregation', () => memory(input.toDF().groupBy(window(col('ts'), '1 minute')).count(), 'complete'), 'Continuous processing does not support Aggregate operations.'],
    ['a stream-stream join', () => memory(input.toDF().join(input.toDF().withColumnRenamed('k', 'k2').withColumnRenamed('ts', 'ts2'), expr('k = k2'))), 'Continuous processing does not support Join operations.'],
    ['a stream-static join', () => memory(input.toDF().join(spark.createDataFrame([{ k: 'a', v: 1 }]), 'k')), 'Continuous processing does not support Join operations.'],
    ['dropDuplicates', () => memory(input.toDF().dropDuplicates(['k'])), 'Continuous processing does not support Deduplicate operations.'],
    ['a watermark', () => memory(input.toDF().withWatermark('ts', '1 minute')), 'Continuous processing does not support EventTimeWatermark operations.'],
    ['a union', () => memory(input.toDF().union(input.toDF())), 'Continuous processing does not support Union operations.'],
    ['current_timestamp()', () => memory(input.toDF().select(col('k'), expr('current_timestamp()').alias('now'))), 'Continuous processing does not support current time operations.'],
    ['foreachBatch', () => input.toDF().writeStream.trigger(continuous).foreachBatch(() => undefined).start(), "'foreachBatch' is not supported with continuous trigger"],
  ])('refuses %s', (_what, start, message) => {
    expect(start).toThrow(message);
  });

  it('refuses a source or a sink that cannot run continuously', () => {
    const files = spark.readStream.format('text').load(tmpdir());
    expect(() => files.writeStream.format('memory').queryName('files_cont').trigger(continuous).start())
      .toThrow('Data source text does not support continuous processing.');
    expect(() => input.toDF().select(col('k')).writeStream.format('json').option('checkpointLocation', join(tmpdir(), 'never'))
      .trigger(continuous).start(join(tmpdir(), 'never-out')))
      .toThrow('Data source json does not support continuous writing.');
    expect(existsSync(join(tmpdir(), 'never'))).toBe(false);
  });
});
