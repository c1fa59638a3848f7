// Progress reports (SEMANTICS §9): Spark's fields, each measuring what its name says; one plain
// JSON-safe object shared by lastProgress, recentProgress and listener events; recentProgress
// bounded by numRecentProgressUpdates; id stable across restarts, runId new per start.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatedClock } from 'xstate';
import { MemoryStream, Trigger, col, sum, window, types as T } from '../../src/index.js';
import type { StreamingQueryProgress } from '../../src/index.js';
import { jsonSafe } from '../../src/query/progress.js';
import { testSession } from '../support/helpers.js';
import { brokers, newTopic, produce } from '../support/kafka.js';
import '../support/sequence-source.js';

const t0 = Date.UTC(2024, 0, 1, 12);
const iso = (ms: number): string => new Date(ms).toISOString();
const at = (s: number): Date => new Date(Date.UTC(2024, 0, 1, 10) + s * 1000);

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-progress-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('a batch progress', () => {
  it('carries each of Spark’s fields with its meaning', async () => {
    const clock = new SimulatedClock();
    clock.set(t0);
    const spark = testSession({ 'spate.sql.shuffle.partitions': 2 });
    const input = new MemoryStream(spark, T.struct([T.field('ts', T.timestamp()), T.field('k', T.string()), T.field('v', T.long())]));
    const events: StreamingQueryProgress[] = [];
    spark.streams.addListener({ onQueryProgress: (e) => events.push(e.progress) });
    const q = input.toDF().withWatermark('ts', '10 seconds')
      .groupBy(window(col('ts'), '10 seconds'), col('k')).agg(sum(col('v')).alias('total'))
      .writeStream.outputMode('update').queryName('measured').clock(clock)
      // Each batch lasts 250 ms on the query's clock.
      .foreachBatch(() => { clock.increment(250); })
      .start();
    input.addData([{ ts: at(0), k: 'a', v: 1 }, { ts: at(4), k: 'b', v: 2 }, { ts: at(20), k: 'a', v: 3 }]);
    await q.processAllAvailable();
    clock.set(t0 + 2000);
    // Watermark now 10:00:10: the row at 10:00:05 is late and dropped.
    input.addData([{ ts: at(5), k: 'a', v: 100 }, { ts: at(25), k: 'a', v: 4 }, { ts: at(27), k: 'c', v: 5 }, { ts: at(26), k: 'c', v: 6 }]);
    await q.processAllAvailable();
    await q.stop();

    const [first, second] = q.recentProgress.filter((p) => p.numInputRows > 0) as [StreamingQueryProgress, StreamingQueryProgress];
    expect(first).toMatchObject({
      name: 'measured', batchId: 0, timestamp: iso(t0), batchDuration: 250, numInputRows: 3,
      inputRowsPerSecond: 0, // the first trigger has no previous one
      processedRowsPerSecond: 3 / 0.25,
      eventTime: { min: iso(at(0).getTime()), max: iso(at(20).getTime()), avg: iso(at(8).getTime()), watermark: iso(0) },
      sources: [{ startOffset: 0, endOffset: 3, latestOffset: 3, numInputRows: 3, inputRowsPerSecond: 0, processedRowsPerSecond: 12 }],
      // foreachBatch cannot tell what the function writes: -1, as Spark reports it (SPARK-24933).
      sink: { description: 'ForeachBatchSink', numOutputRows: -1 },
    });
    // After each, a no-data batch evicted the state the moved watermark passed.
    expect(q.recentProgress.map((p) => [p.batchId, p.numInputRows, p.timestamp])).toEqual([
      [0, 3, iso(t0)], [1, 0, iso(t0 + 250)], [2, 4, iso(t0 + 2000)], [3, 0, iso(t0 + 2250)],
    ]);
    expect(second).toMatchObject({
      batchId: 2, timestamp: iso(t0 + 2000), numInputRows: 4,
      inputRowsPerSecond: 4 / 1.75, // rows over the time since the previous batch's trigger
      eventTime: { min: iso(at(5).getTime()), max: iso(at(27).getTime()), watermark: iso(at(10).getTime()) },
      sources: [{ startOffset: 3, endOffset: 7, numInputRows: 4 }],
      sink: { numOutputRows: -1 },
    });
    expect(Object.keys(first.durationMs).sort()).toEqual(['addBatch', 'commitOffsets', 'getBatch', 'latestOffset', 'queryPlanning', 'triggerExecution', 'walCommit']);
    expect(first.durationMs.triggerExecution).toBe(250);
    for (const v of Object.values(first.durationMs)) expect(Number.isInteger(v) && v >= 0).toBe(true);
    expect(first.stateOperators).toHaveLength(1);
    expect(first.stateOperators[0]).toMatchObject({ operatorName: 'stateStoreSave', numRowsTotal: 3, numRowsUpdated: 3, numRowsDroppedByWatermark: 0, numShufflePartitions: 2, numStateStoreInstances: 2 });
    // The no-data batch evicted both windows of 10:00:00; this batch kept [10:00:20, 10:00:30) of a and added c's.
    expect(second.stateOperators[0]).toMatchObject({ numRowsTotal: 2, numRowsUpdated: 2, numRowsDroppedByWatermark: 1 });
    expect(q.recentProgress[1]!.stateOperators[0]).toMatchObject({ numRowsTotal: 1, numRowsRemoved: 2 });
    expect(first.stateOperators[0]!.memoryUsedBytes).toBeGreaterThan(0);
    expect(q.id).toMatch(/^[0-9a-f-]{36}$/);
    expect([first.id, first.runId]).toEqual([q.id, q.runId]);
    // Listeners get the very objects recentProgress holds.
    expect(events.filter((p) => p.numInputRows > 0)[0]).toBe(first);
  });

  it('times getBatch as the wait for the sources’ first rows and addBatch as the work after it', async () => {
    const spark = testSession();
    const q = spark.readStream.format('sequence').option('rows', 100).option('maxRowsPerTrigger', 100)
      .option('chunkRows', 50).option('paceMs', 60).load()
      .writeStream.foreachBatch(() => sleep(80)).start();
    await q.processAllAvailable();
    await q.stop();
    const d = q.lastProgress!.durationMs;
    // The first chunk comes after one 60 ms pause; the second pause and the 80 ms sink come after it.
    expect(d.getBatch!).toBeGreaterThanOrEqual(55);
    expect(d.addBatch!).toBeGreaterThanOrEqual(130);
    expect(d.triggerExecution).toBeGreaterThanOrEqual(d.getBatch! + d.addBatch! - 2);
  });

  it('reports how far a rate-limited source has data beyond what the batch read', async () => {
    const topic = await newTopic('progress');
    await produce(topic, Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 0 })));
    const spark = testSession();
    const q = spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('subscribe', topic)
      .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 4).load()
      .writeStream.format('memory').queryName('limited').option('checkpointLocation', join(dir, 'cp')).start();
    await q.processAllAvailable();
    await q.stop();
    const total = (o: unknown): number => Object.values((o as Record<string, Record<string, number>>)[topic] ?? {}).reduce((a, b) => a + b, 0);
    const first = q.recentProgress[0]!.sources[0]!;
    expect([total(first.startOffset), total(first.endOffset), total(first.latestOffset)]).toEqual([0, 4, 10]);
    expect(q.recentProgress.filter((p) => p.numInputRows > 0).map((p) => p.numInputRows)).toEqual([4, 4, 2]);
  });
});

describe('sink.numOutputRows', () => {
  it('counts the rows a sink wrote, and is -1 for foreachBatch (as Spark, SPARK-24933), idle triggers included', async () => {
    const spark = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 0 });
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const memory = input.toDF().writeStream.format('memory').queryName('counted').start();
    const each = input.toDF().writeStream.foreachBatch(() => undefined).start();
    // Spark's DSv1 file sink reports -1; spate's counts (docs/differences-from-spark.md).
    const files = input.toDF().writeStream.format('json').option('checkpointLocation', join(dir, 'cp')).start(join(dir, 'out'));
    input.addData([{ n: 1 }, { n: 2 }]);
    await Promise.all([memory.processAllAvailable(), each.processAllAvailable(), files.processAllAvailable()]);
    await Promise.all([memory.stop(), each.stop(), files.stop()]);
    // The batch, then idle triggers (an idle progress each: interval 0).
    expect(memory.recentProgress.slice(0, 2).map((p) => [p.numInputRows, p.sink.numOutputRows])).toEqual([[2, 2], [0, 0]]);
    expect(files.recentProgress[0]!.sink.numOutputRows).toBe(2);
    // The batch, then the idle trigger processAllAvailable() returned at (an idle progress each time: interval 0).
    const [batch, idle] = each.recentProgress;
    expect([batch!.numInputRows, batch!.sink]).toEqual([2, { description: 'ForeachBatchSink', numOutputRows: -1 }]);
    expect([idle!.numInputRows, idle!.sink]).toEqual([0, { description: 'ForeachBatchSink', numOutputRows: -1 }]);
  });
});

describe('progress as data', () => {
  it('is plain JSON: a round trip gives the same object, and numbers that JSON cannot carry are left out', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const q = input.toDF().writeStream.format('memory').queryName('json_progress').start();
    input.addData([{ n: 1 }]);
    await q.processAllAvailable();
    await q.stop();
    const p = q.lastProgress!;
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(jsonSafe({ a: Number.NaN, b: Infinity, c: 1, d: { e: -Infinity, f: [1, Number.NaN] } })).toEqual({ c: 1, d: { f: [1, null] } });
  });

  it('keeps the last spate.sql.streaming.numRecentProgressUpdates reports', async () => {
    const spark = testSession({ 'spate.sql.streaming.numRecentProgressUpdates': 3 });
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const q = input.toDF().writeStream.format('memory').queryName('bounded').start();
    for (let i = 0; i < 5; i++) {
      input.addData([{ n: i }]);
      await q.processAllAvailable();
    }
    await q.stop();
    expect(q.recentProgress.map((p) => p.batchId)).toEqual([2, 3, 4]);
    expect(q.lastProgress!.batchId).toBe(4);
  });

  it('names the query by an id that survives restarts and a run id new to each start', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const run = async (): Promise<StreamingQueryProgress> => {
      const q = input.toDF().writeStream.format('memory').queryName('restarted').option('checkpointLocation', join(dir, 'cp')).start();
      input.addData([{ n: 1 }]);
      await q.processAllAvailable();
      await q.stop();
      return q.lastProgress!;
    };
    const a = await run();
    const b = await run();
    expect(b.id).toBe(a.id);
    expect(b.runId).not.toBe(a.runId);
    expect([a.batchId, b.batchId]).toEqual([0, 1]);
  });

  it('has the same shape for an epoch of a continuous query', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const q = input.toDF().writeStream.format('memory').queryName('cont_shape').trigger(Trigger.Continuous('1 hour')).start();
    input.addData([{ n: 1 }, { n: 2 }]);
    await q.processAllAvailable();
    await q.stop();
    const p = q.lastProgress!;
    expect(p).toMatchObject({ batchId: 0, numInputRows: 2, sources: [{ startOffset: 0, endOffset: 2, numInputRows: 2 }], sink: { numOutputRows: 2 } });
    expect(Object.keys(p).sort()).toEqual([
      'batchDuration', 'batchId', 'durationMs', 'eventTime', 'id', 'inputRowsPerSecond', 'name', 'numInputRows', 'numMalformedRowsDropped', 'numRestarts',
      'observedMetrics', 'processedRowsPerSecond', 'runId', 'sink', 'sources', 'stateOperators', 'timestamp',
    ]);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });
});
