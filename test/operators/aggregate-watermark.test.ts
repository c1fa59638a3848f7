// The notes' five-micro-batch watermark walk-through (15-minute windows, 30-minute watermark),
// run end to end in update and in append mode, asserting what every batch emits. Between the
// data batches Spark runs a no-data batch whenever the watermark moved (SEMANTICS §2, §4):
//   batch 0  10:05 BUY 500      wm 0      → next wm 09:35
//   batch 1  (no data)          wm 09:35
//   batch 2  10:40 BUY 900      wm 09:35  → next wm 10:10
//   batch 3  (no data)          wm 10:10
//   batch 4  10:20 BUY 800      wm 10:10  (10:20 - 30 min < 10:10: the watermark stays)
//   batch 5  10:48 SELL 600     wm 10:10  → next wm 10:18
//   batch 6  (no data)          wm 10:18  [10:00, 10:15) ends at or below 10:18: evicted
//   batch 7  10:14, 10:16 SELL  wm 10:18  10:14 is late (its window ended 10:15 ≤ 10:18); 10:16 updates [10:15, 10:30)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, col, count, expr, lit, sum, toTimestamp, window, types as T } from 'spate';
import type { DataFrame, Row, Session } from 'spate';
import { at, record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([
  T.field('CreatedTime', T.string()), T.field('Type', T.string()),
  T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
]);
type Trade = { CreatedTime: string; Type: string; Amount: number; BrokerCode: string };

const trade = (hhmm: string, Type: string, Amount: number): Trade =>
  ({ CreatedTime: `2019-02-05 ${hhmm}:00`, Type, Amount, BrokerCode: 'ABX' });

const walkThrough: Trade[][] = [
  [trade('10:05', 'BUY', 500)],
  [trade('10:40', 'BUY', 900)],
  [trade('10:20', 'BUY', 800)],
  [trade('10:48', 'SELL', 600)],
  [trade('10:14', 'SELL', 300), trade('10:16', 'SELL', 300)],
];

function windowsOf(input: MemoryStream<NonNullable<(typeof schema)['__row']>>): DataFrame {
  return input.toDF()
    .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
    .withWatermark('CreatedTime', '30 minutes')
    .groupBy(window(col('CreatedTime'), '15 minutes'))
    .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
         sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
    .select('window.*', 'BUY', 'SELL');
}

const row = (start: string, end: string, BUY: number | null, SELL: number | null) => ({ start: at(start), end: at(end), BUY, SELL });

async function runWalkThrough(spark: Session, mode: 'update' | 'append') {
  const input = new MemoryStream(spark, schema);
  const run = record(windowsOf(input), mode);
  for (const batch of walkThrough) {
    input.addData(batch);
    await run.query.processAllAvailable();
  }
  return { input, run };
}

describe("the notes' watermark walk-through", () => {
  it('in update mode emits each changed window per batch, drops and counts the 10:14 event, and updates [10:15, 10:30) with 10:16', async () => {
    const spark = testSession();
    const { run } = await runWalkThrough(spark, 'update');
    await run.query.stop();

    expect(run.batches.map((b) => b.batchId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(run.rowsOf(0)).toEqual([row('10:00', '10:15', 500, null)]);
    expect(run.rowsOf(1)).toEqual([]);
    expect(run.rowsOf(2)).toEqual([row('10:30', '10:45', 900, null)]);
    expect(run.rowsOf(3)).toEqual([]);
    expect(run.rowsOf(4)).toEqual([row('10:15', '10:30', 800, null)]);
    expect(run.rowsOf(5)).toEqual([row('10:45', '11:00', null, 600)]);
    expect(run.rowsOf(6)).toEqual([]);
    expect(run.rowsOf(7)).toEqual([row('10:15', '10:30', 800, 300)]);

    const progress = run.query.recentProgress;
    expect(progress.map((p) => p.eventTime.watermark)).toEqual(
      ['1970-01-01T00:00:00.000Z', ...['09:35', '09:35', '10:10', '10:10', '10:10', '10:18', '10:18'].map((t) => at(t).toISOString())],
    );
    expect(progress.map((p) => p.stateOperators[0]!.numRowsDroppedByWatermark)).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(progress.map((p) => p.stateOperators[0]!.numRowsTotal)).toEqual([1, 1, 2, 2, 3, 4, 3, 3]);
    expect(progress.map((p) => p.stateOperators[0]!.numRowsRemoved)).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
    expect(progress.map((p) => p.stateOperators[0]!.numRowsUpdated)).toEqual([1, 0, 1, 0, 1, 1, 0, 1]);
  });

  it('in append mode emits [10:00, 10:15) exactly once, in the no-data batch after the 10:48 batch, and later windows once the watermark passes them', async () => {
    const spark = testSession();
    const { input, run } = await runWalkThrough(spark, 'append');
    for (const id of [0, 1, 2, 3, 4, 5, 7]) expect(run.rowsOf(id)).toEqual([]);
    expect(run.rowsOf(6)).toEqual([row('10:00', '10:15', 500, null)]);
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);

    // 11:40 moves the watermark to 11:10: the no-data batch 9 emits the three remaining windows, final.
    input.addData([trade('11:40', 'BUY', 1)]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.batches.map((b) => b.batchId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run.rowsOf(8)).toEqual([]);
    expect(run.rowsOf(9)).toEqual([
      row('10:15', '10:30', 800, 300), row('10:30', '10:45', 900, null), row('10:45', '11:00', null, 600),
    ]);
    const emitted = run.batches.flatMap((b) => b.rows).map((r) => (r.start as Date).toISOString());
    expect(new Set(emitted).size).toBe(emitted.length);
  });

  it('in complete mode re-emits every window each batch, never drops the late 10:14 event and never evicts', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(windowsOf(input), 'complete');
    for (const batch of walkThrough) {
      input.addData(batch);
      await run.query.processAllAvailable();
    }
    await run.query.stop();
    // Complete mode has nothing to evict, so no no-data batches run: one batch per addData.
    expect(run.batches.map((b) => b.batchId)).toEqual([0, 1, 2, 3, 4]);
    expect(run.rowsOf(4)).toEqual([
      row('10:00', '10:15', 500, 300), row('10:15', '10:30', 800, 300), row('10:30', '10:45', 900, null), row('10:45', '11:00', null, 600),
    ]);
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(0);
  });

  it('after a restart, runs the no-data batch the committed watermark asks for and emits the window it made final', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spate-wm-'));
    try {
      const spark = testSession({ 'spate.sql.streaming.noDataMicroBatches.enabled': false });
      const input = new MemoryStream(spark, schema);
      const first = record(windowsOf(input), 'append', (w) => w.option('checkpointLocation', dir));
      for (const batch of walkThrough.slice(0, 4)) {
        input.addData(batch);
        await first.query.processAllAvailable();
      }
      await first.query.stop();
      // Four data batches, no no-data batch: the watermark 10:18 that 10:48 set was never used.
      expect(first.batches.map((b) => [b.batchId, b.rows.length])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0]]);

      spark.conf.set('spate.sql.streaming.noDataMicroBatches.enabled', true);
      const second = record(windowsOf(input), 'append', (w) => w.option('checkpointLocation', dir));
      await second.query.processAllAvailable();
      await second.query.stop();
      expect(second.batches).toEqual([{ batchId: 4, rows: [row('10:00', '10:15', 500, null)] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the testing shape of DESIGN §1', () => {
  it('runs as written and sees the first window in batch 0', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);          // replayable in-memory source, like Spark's
    const windowsOfInput = input.toDF()
      .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
      .withWatermark('CreatedTime', '30 minutes')
      .groupBy(window(col('CreatedTime'), '15 minutes'))
      .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
           sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
      .select('window.*', 'BUY', 'SELL');
    const seen: { batchId: number; rows: Row[] }[] = [];
    const q = windowsOfInput.writeStream.outputMode('update')
      .foreachBatch(async (batch, batchId) => { seen.push({ batchId, rows: await batch.collect() }); })
      .start();
    input.addData([{ CreatedTime: '2019-02-05 10:05:00', Type: 'BUY', Amount: 500, BrokerCode: 'ABX' }]);
    await q.processAllAvailable();
    await q.stop();
    // Batch 1 is the no-data batch the watermark (09:35) asked for.
    expect(seen).toEqual([{ batchId: 0, rows: [row('10:00', '10:15', 500, null)] }, { batchId: 1, rows: [] }]);
  });
});

describe('spate.sql.streaming.multipleWatermarkPolicy', () => {
  const events = T.struct([T.field('ts', T.timestamp()), T.field('src', T.string())]);
  async function finalWindows(policy: 'min' | 'max') {
    const spark = testSession({ 'spate.sql.streaming.multipleWatermarkPolicy': policy });
    const fast = new MemoryStream(spark, events);
    const slow = new MemoryStream(spark, events);
    const both = fast.toDF().withWatermark('ts', '10 minutes').union(slow.toDF().withWatermark('ts', '10 minutes'))
      .groupBy(window(col('ts'), '10 minutes')).agg(count(lit(1)).alias('n')).select('window.start', 'n');
    const run = record(both, 'append');
    fast.addData([{ ts: at('10:00'), src: 'fast' }, { ts: at('11:00'), src: 'fast' }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    return { rows: run.batches.flatMap((b) => b.rows), batches: run.batches.length, watermark: run.query.lastProgress!.eventTime.watermark };
  }

  it('min (the default): a stream without data holds the global watermark at 0, so nothing is final', async () => {
    // No no-data batch follows: the watermark did not move.
    expect(await finalWindows('min')).toEqual({ rows: [], batches: 1, watermark: '1970-01-01T00:00:00.000Z' });
  });

  it('max: the fastest stream moves the watermark, and [10:00, 10:10) becomes final', async () => {
    expect(await finalWindows('max')).toEqual({ rows: [{ start: at('10:00'), n: 1 }], batches: 2, watermark: at('10:50').toISOString() });
  });
});

