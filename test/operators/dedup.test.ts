// dropDuplicates and dropDuplicatesWithinWatermark end to end: first row of a key passes,
// duplicates are dropped and counted, late rows dropped first, and the state bounded by the
// watermark.
import { MemoryStream, types as T } from 'spate';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([T.field('id', T.string()), T.field('ts', T.timestamp()), T.field('v', T.integer())]);
const t = (hhmm: string): Date => new Date(`2024-03-01T${hhmm}:00Z`);
const ev = (id: string, hhmm: string, v = 0) => ({ id, ts: t(hhmm), v });

describe('dropDuplicates on a stream', () => {
  it('lets the first row of each key through, across batches, and counts the dropped duplicates', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF().dropDuplicates(['id']), 'append');
    input.addData([ev('a', '10:00', 1), ev('b', '10:00', 2), ev('a', '10:01', 3)]);
    await run.query.processAllAvailable();
    input.addData([ev('a', '10:02', 4), ev('c', '10:02', 5)]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0).map((r) => r.v)).toEqual([1, 2]);
    expect(run.rowsOf(1).map((r) => r.v)).toEqual([5]);
    expect(run.query.recentProgress.map((p) => p.stateOperators[0]!.customMetrics['numDroppedDuplicateRows'])).toEqual([1, 1]);
    expect(run.query.lastProgress!.stateOperators[0]).toMatchObject({ operatorName: 'dedupe', numRowsTotal: 3 });
  });

  it('deduplicates whole rows when no columns are given', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF().dropDuplicates(), 'update');
    input.addData([ev('a', '10:00', 1), ev('a', '10:00', 1), ev('a', '10:00', 2)]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0).map((r) => r.v)).toEqual([1, 2]);
  });

  it('with the watermarked column among its keys, evicts keys the watermark passed and drops late rows', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF().withWatermark('ts', '10 minutes').dropDuplicates(['id', 'ts']), 'append');
    input.addData([ev('a', '10:00'), ev('a', '10:00'), ev('b', '10:05')]);
    await run.query.processAllAvailable(); // next wm 09:55
    input.addData([ev('c', '10:30')]);
    await run.query.processAllAvailable(); // next wm 10:20: (a,10:00) and (b,10:05) evicted in the no-data batch
    input.addData([ev('a', '10:00'), ev('d', '10:25')]); // (a,10:00) is late now, not a new row
    await run.query.processAllAvailable();
    await run.query.stop();
    // Within a batch rows come in no particular order (on several threads, the order they reach the sink).
    const out = run.batches.flatMap((b) => run.rowsOf(b.batchId).map((r) => r.id));
    expect(out).toEqual(['a', 'b', 'c', 'd']);
    const progress = run.query.recentProgress;
    expect(progress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0)).toBe(1);
    expect(progress.reduce((n, p) => n + p.stateOperators[0]!.numRowsRemoved, 0)).toBe(2);
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
  });

  it('without the event time among its keys keeps every key, yet drops late rows', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF().withWatermark('ts', '10 minutes').dropDuplicates(['id']), 'append');
    input.addData([ev('a', '10:00'), ev('b', '10:30')]);
    await run.query.processAllAvailable(); // batch 0; the watermark moves to 10:20, so no-data batch 1 runs (as in Spark)
    input.addData([ev('c', '10:05'), ev('d', '10:40')]); // batch 2: c is at or below batch 1's watermark: late
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.batches.flatMap((b) => b.rows.map((r) => r.id))).toEqual(['a', 'b', 'd']);
    expect(run.batches.map((b) => b.batchId)).toEqual([0, 1, 2, 3]);
    // Nothing is evicted without the event time among the keys.
    expect(run.query.lastProgress!.stateOperators[0]).toMatchObject({ numRowsTotal: 3, numRowsRemoved: 0 });
    expect(run.query.recentProgress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0)).toBe(1);
  });
});

describe('dropDuplicatesWithinWatermark', () => {
  it('drops repeats of a key until its first event time plus the delay is below the watermark, whatever their event time', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF().withWatermark('ts', '10 minutes').dropDuplicatesWithinWatermark(['id']), 'append');
    input.addData([ev('a', '10:00', 1), ev('a', '10:03', 2)]); // a expires at 10:10
    await run.query.processAllAvailable(); // next wm 09:53
    input.addData([ev('a', '10:09', 3), ev('b', '10:15', 4)]); // still a duplicate; wm → 10:05
    await run.query.processAllAvailable();
    input.addData([ev('x', '10:25', 5)]); // wm → 10:15: a's entry (10:10) is evicted
    await run.query.processAllAvailable();
    input.addData([ev('a', '10:20', 6)]); // a again, after its entry expired: passes
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.batches.flatMap((b) => b.rows.map((r) => r.v))).toEqual([1, 4, 5, 6]);
    expect(run.query.recentProgress.some((p) => p.stateOperators[0]!.operatorName === 'dedupeWithinWatermark')).toBe(true);
  });
});

describe('dropDuplicates on a static frame', () => {
  it('keeps the first row of each key', async () => {
    const spark = testSession();
    const df = spark.createDataFrame([ev('a', '10:00', 1), ev('a', '10:01', 2), ev('b', '10:00', 3)], schema);
    expect((await df.dropDuplicates(['id']).collect()).map((r) => r.v)).toEqual([1, 3]);
  });
});
