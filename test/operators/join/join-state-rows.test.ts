// What a stream-stream join keeps in state, batch by batch, after Spark's StreamingInnerJoinSuite:
// a right row that this epoch's state watermark already evicts is never buffered (no future
// left row can match it), so numRowsTotal and numRowsUpdated are Spark's. `updated` sums the
// batches since the last check (no-data batches included), `total` is the last batch's, as
// Spark's StateStoreMetricsTest.assertNumStateRows reads them.
import { MemoryStream, col, expr, types as T } from 'spate';
import type { DataFrame, Row, StreamingQuery } from 'spate';
import { record } from '../../support/batches.js';
import { sortRows, testSession } from '../../support/helpers.js';

const valueSchema = T.struct([T.field('value', T.long())]);
const pairSchema = T.struct([T.field('key', T.long()), T.field('time', T.long())]);

/** Reads the join's figures the way Spark's assertNumStateRows does, from the progress since the last call. */
function stateRows(q: StreamingQuery) {
  let seen = 0;
  return () => {
    const ps = q.recentProgress.slice(seen);
    seen = q.recentProgress.length;
    const op = (p: (typeof ps)[number]) => p.stateOperators[0]!;
    return {
      total: op(ps[ps.length - 1]!).numRowsTotal,
      updated: ps.reduce((n, p) => n + op(p).numRowsUpdated, 0),
      droppedByWatermark: ps.reduce((n, p) => n + op(p).numRowsDroppedByWatermark, 0),
    };
  };
}

async function step<R extends Row>(q: StreamingQuery, stream: MemoryStream<R>, rows: R[]): Promise<void> {
  stream.addData(rows);
  await q.processAllAvailable();
}

describe('stream-stream join state rows (StreamingInnerJoinSuite)', () => {
  it('on windows with a watermark on the left only: a right row whose window the state key watermark passed is not buffered', async () => {
    const spark = testSession();
    const input1 = new MemoryStream(spark, valueSchema);
    const input2 = new MemoryStream(spark, valueSchema);
    // Spark's test joins on window(timestamp, '10 seconds'); spate has window() as a grouping
    // column only, so the key is the window's end, which carries the left side's watermark.
    const windowEnd = expr('timestamp_seconds(floor(value / 10) * 10 + 10)').alias('windowEnd');
    const df1 = input1.toDF()
      .select(col('value').alias('key'), windowEnd, expr('value * 2').alias('leftValue'))
      .withWatermark('windowEnd', '10 seconds');
    const df2 = input2.toDF()
      .select(col('value').alias('key'), windowEnd, expr('value * 3').alias('rightValue'));
    const joined: DataFrame = df1.join(df2, ['key', 'windowEnd'])
      .select(col('key'), expr('cast(windowEnd as long)').alias('end'), col('leftValue'), col('rightValue'));
    const run = record(joined, 'append');
    const check = stateRows(run.query);
    const newRows = (() => { let n = 0; return () => { const b = run.batches.slice(n); n = run.batches.length; return sortRows(b.flatMap((x) => x.rows)); }; })();

    await step(run.query, input1, [{ value: 1 }]);
    expect(newRows()).toEqual([]);
    expect(check()).toMatchObject({ total: 1, updated: 1 });

    await step(run.query, input2, [{ value: 1 }]);
    expect(newRows()).toEqual([{ key: 1, end: 10, leftValue: 2, rightValue: 3 }]);
    expect(check()).toMatchObject({ total: 2, updated: 1 });

    await step(run.query, input1, [{ value: 25 }]); // watermark 20: the no-data batch removes both [0, 10) rows
    expect(newRows()).toEqual([]);
    expect(check()).toMatchObject({ total: 1, updated: 1 });

    await step(run.query, input2, [{ value: 25 }]);
    expect(newRows()).toEqual([{ key: 25, end: 30, leftValue: 50, rightValue: 75 }]);
    expect(check()).toMatchObject({ total: 2, updated: 1 });

    await step(run.query, input2, [{ value: 1 }]); // its window ended at 10 <= the state key watermark: not added
    expect(newRows()).toEqual([]);
    expect(check()).toMatchObject({ total: 2, updated: 0 });

    await step(run.query, input1, [{ value: 5 }]); // late on the left (its window ended at 10): dropped
    expect(newRows()).toEqual([]);
    expect(check()).toEqual({ total: 2, updated: 0, droppedByWatermark: 1 });
    await run.query.stop();
  });

  it('with a time range and a one-side condition: a right row below the state value watermark is matched, then not buffered', async () => {
    const spark = testSession();
    const left = new MemoryStream(spark, pairSchema);
    const right = new MemoryStream(spark, pairSchema);
    const df1 = left.toDF()
      .select(col('key').alias('leftKey'), expr('timestamp_seconds(time)').alias('leftTime'), expr('key * 2').alias('leftValue'))
      .withWatermark('leftTime', '10 seconds');
    const df2 = right.toDF()
      .select(col('key').alias('rightKey'), expr('timestamp_seconds(time)').alias('rightTime'), expr('key * 3').alias('rightValue'))
      .withWatermark('rightTime', '10 seconds');
    const joined = df1.join(df2, expr('leftKey = rightKey AND leftTime < rightTime - interval 5 seconds'))
      .select(col('leftKey'), expr('cast(leftTime as int)').alias('l'), expr('cast(rightTime as int)').alias('r'));
    const run = record(joined, 'append');
    const check = stateRows(run.query);
    const newRows = (() => { let n = 0; return () => { const b = run.batches.slice(n); n = run.batches.length; return sortRows(b.flatMap((x) => x.rows)).map((r) => [r.leftKey, r.l, r.r]); }; })();
    const kt = (key: number, time: number) => ({ key, time });

    await step(run.query, left, [kt(1, 5)]);
    await step(run.query, right, [kt(1, 11)]);
    expect(newRows()).toEqual([[1, 5, 11]]);
    await step(run.query, right, [kt(1, 10)]);
    expect(newRows()).toEqual([]);
    expect(check()).toMatchObject({ total: 3, updated: 3 });

    await step(run.query, left, [kt(1, 3), kt(1, 30)]);
    expect(newRows()).toEqual([[1, 3, 10], [1, 3, 11]]);
    expect(check()).toMatchObject({ total: 5, updated: 2 });
    await step(run.query, right, [kt(0, 30)]);
    expect(newRows()).toEqual([]);
    // Watermark 20: right state keeps rightTime > 25, so (1, 11) and (1, 10) go.
    expect(check()).toMatchObject({ total: 4, updated: 1 });

    // (1, 20) late; (1, 21) matches (1, 3) and (1, 5) but is not buffered (21 <= 25); (1, 28) is.
    await step(run.query, right, [kt(1, 20), kt(1, 21), kt(1, 28)]);
    expect(newRows()).toEqual([[1, 3, 21], [1, 3, 28], [1, 5, 21], [1, 5, 28]]);
    expect(check()).toEqual({ total: 5, updated: 1, droppedByWatermark: 1 });

    await step(run.query, left, [kt(1, 20), kt(1, 21)]);
    expect(newRows()).toEqual([[1, 21, 28]]);
    expect(check()).toEqual({ total: 6, updated: 1, droppedByWatermark: 1 });
    await run.query.stop();
  });

  it('with a time range on both sides: each side evicts by its own state value watermark', async () => {
    const spark = testSession();
    const left = new MemoryStream(spark, pairSchema);
    const right = new MemoryStream(spark, pairSchema);
    const df1 = left.toDF()
      .select(col('key').alias('leftKey'), expr('timestamp_seconds(time)').alias('leftTime'), expr('key * 2').alias('leftValue'))
      .withWatermark('leftTime', '20 seconds');
    const df2 = right.toDF()
      .select(col('key').alias('rightKey'), expr('timestamp_seconds(time)').alias('rightTime'), expr('key * 3').alias('rightValue'))
      .withWatermark('rightTime', '30 seconds');
    const joined = df1.join(df2, expr('leftKey = rightKey AND leftTime BETWEEN rightTime - interval 10 seconds AND rightTime + interval 5 seconds'))
      .select(col('leftKey'), expr('cast(leftTime as int)').alias('l'), expr('cast(rightTime as int)').alias('r'));
    const run = record(joined, 'append');
    const check = stateRows(run.query);
    const newRows = (() => { let n = 0; return () => { const b = run.batches.slice(n); n = run.batches.length; return sortRows(b.flatMap((x) => x.rows)).map((r) => [r.leftKey, r.l, r.r]); }; })();
    const kt = (key: number, time: number) => ({ key, time });

    await step(run.query, left, [kt(1, 20)]);
    await step(run.query, right, [kt(1, 14), kt(1, 15), kt(1, 25), kt(1, 26), kt(1, 30), kt(1, 31)]);
    expect(newRows()).toEqual([[1, 20, 15], [1, 20, 25], [1, 20, 26], [1, 20, 30]]);
    expect(check()).toMatchObject({ total: 7, updated: 7 });

    await step(run.query, right, [kt(1, 60)]);
    await step(run.query, left, [kt(1, 49), kt(1, 50), kt(1, 65), kt(1, 66)]);
    expect(newRows()).toEqual([[1, 50, 60], [1, 65, 60]]);
    // Watermark min(66 - 20, 60 - 30) = 30: the right drops rightTime < 25 (14 and 15).
    expect(check()).toMatchObject({ total: 10, updated: 5 });

    await step(run.query, left, [kt(1, 30), kt(1, 31)]); // 30 is late
    expect(newRows()).toEqual([[1, 31, 26], [1, 31, 30], [1, 31, 31]]);
    expect(check()).toEqual({ total: 11, updated: 1, droppedByWatermark: 1 });

    await step(run.query, right, [kt(1, 80)]);
    expect(newRows()).toEqual([]);
    // Watermark min(46, 50) = 46: the left drops leftTime < 36, the right rightTime < 41.
    expect(check()).toMatchObject({ total: 6, updated: 1 });

    await step(run.query, right, [kt(1, 46), kt(1, 50)]); // 46 is late
    expect(newRows()).toEqual([[1, 49, 50], [1, 50, 50]]);
    expect(check()).toEqual({ total: 7, updated: 1, droppedByWatermark: 1 });
    await run.query.stop();
  });
});
