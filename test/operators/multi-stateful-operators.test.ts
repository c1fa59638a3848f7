// Chains of stateful operators, after Spark's MultiStatefulOperatorsSuite: what each batch emits,
// and the per-operator figures of progress. Spark lists stateOperators with the operator nearest
// the sink first, and counts numRowsDroppedByWatermark after the partial aggregation has merged
// each group's rows: late rows count once per late group (window), not once per input row.
import { MemoryStream, col, count, expr, sum, window, types as T } from 'spate';
import type { StreamingQueryProgress } from 'spate';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([T.field('value', T.long())]);
const range = (from: number, to: number): { value: number }[] => Array.from({ length: to - from + 1 }, (_, i) => ({ value: from + i }));

/** The figure of every stateful operator, as progress lists them. */
const figures = (p: StreamingQueryProgress, f: 'numRowsTotal' | 'numRowsDroppedByWatermark'): number[] => p.stateOperators.map((o) => o[f]);
/** Summed over the progress reports of the batches run since `from`. */
const droppedSince = (ps: StreamingQueryProgress[], from: number): number[] =>
  ps.slice(from).reduce((acc, p) => acc.map((n, i) => n + p.stateOperators[i]!.numRowsDroppedByWatermark), ps[from]!.stateOperators.map(() => 0));

describe('chained stateful operators (MultiStatefulOperatorsSuite)', () => {
  it('window agg -> window agg, append mode: late rows count once per late window, the outer operator is listed first', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const df = input.toDF()
      .withColumn('eventTime', expr('timestamp_seconds(value)'))
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window(col('eventTime'), '5 seconds').alias('window'))
      .agg(count('*').alias('count'))
      .groupBy(window(col('window'), '10 seconds'))
      .agg(count('*').alias('count'), sum('count').alias('sum'))
      .select(expr('cast(window.start as long)').alias('start'), 'count', 'sum');
    const run = record(df, 'append');
    const emitted = (): unknown[] => run.batches.flatMap((b) => b.rows.map((r) => [r.start, r.count, r.sum]));

    input.addData(range(10, 21));
    await run.query.processAllAvailable();
    // op1 holds [20, 25); op2 emitted [10, 20) and holds nothing: [op2, op1].
    expect(emitted()).toEqual([[10, 2, 10]]);
    expect(figures(run.query.lastProgress!, 'numRowsTotal')).toEqual([0, 1]);
    expect(droppedSince(run.query.recentProgress, 0)).toEqual([0, 0]);

    let seen = run.query.recentProgress.length;
    input.addData(range(10, 29));
    await run.query.processAllAvailable();
    // 10..19 are late for op1 (watermark 21): ten rows in two windows, [10, 15) and [15, 20).
    expect(emitted()).toEqual([[10, 2, 10]]);
    expect(figures(run.query.lastProgress!, 'numRowsTotal')).toEqual([1, 1]);
    expect(droppedSince(run.query.recentProgress, seen)).toEqual([0, 2]);

    seen = run.query.recentProgress.length;
    input.addData([{ value: 30 }, { value: 31 }]);
    await run.query.processAllAvailable();
    expect(emitted()).toEqual([[10, 2, 10], [20, 2, 12]]);
    expect(figures(run.query.lastProgress!, 'numRowsTotal')).toEqual([0, 1]);
    expect(droppedSince(run.query.recentProgress, seen)).toEqual([0, 0]);
    expect(run.query.lastProgress!.stateOperators.map((o) => o.operatorName)).toEqual(['stateStoreSave', 'stateStoreSave']);
    await run.query.stop();
  });

  it('agg -> agg -> agg, append mode: five late rows of one window count 1, on the innermost operator, listed last', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const df = input.toDF()
      .withColumn('eventTime', expr('timestamp_seconds(value)'))
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window(col('eventTime'), '5 seconds').alias('window'))
      .agg(count('*').alias('count'))
      .groupBy(window(col('window'), '10 seconds'))
      .agg(count('*').alias('count'), sum('count').alias('sum'))
      .groupBy(window(col('window'), '20 seconds'))
      .agg(count('*').alias('count'), sum('sum').alias('sum'))
      .select(expr('cast(window.start as long)').alias('start'), expr('cast(window.end as long)').alias('end'), 'count', 'sum');
    const run = record(df, 'append');
    const emitted = (): unknown[] => run.batches.flatMap((b) => b.rows.map((r) => [r.start, r.end, r.count, r.sum]));

    input.addData(range(0, 37));
    await run.query.processAllAvailable();
    expect(emitted()).toEqual([[0, 20, 2, 20]]);
    expect(figures(run.query.lastProgress!, 'numRowsTotal')).toEqual([1, 1, 1]);

    const seen = run.query.recentProgress.length;
    input.addData(range(30, 60));
    await run.query.processAllAvailable();
    // Watermark 37: 30..34 fall in [30, 35), which ended: one late window; 35..37 still count.
    expect(emitted()).toEqual([[0, 20, 2, 20], [20, 40, 2, 23], [40, 60, 2, 20]]);
    expect(figures(run.query.lastProgress!, 'numRowsTotal')).toEqual([0, 0, 1]);
    expect(droppedSince(run.query.recentProgress, seen)).toEqual([0, 0, 1]);
    await run.query.stop();
  });

  it('sliding windows: a late row counts once per late window it falls in, however many rows share them', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const df = input.toDF()
      .withColumn('eventTime', expr('timestamp_seconds(value)'))
      .withWatermark('eventTime', '0 seconds')
      .groupBy(window(col('eventTime'), '10 seconds', '5 seconds'))
      .agg(count('*').alias('count'));
    const run = record(df, 'update');
    input.addData([{ value: 40 }]);
    await run.query.processAllAvailable();
    const seen = run.query.recentProgress.length;
    // Watermark 40. 31..34 fall in [25, 35) and [30, 40): two late windows for four rows.
    // 36 falls in [30, 40) (late, already counted) and [35, 45) (open).
    input.addData([{ value: 31 }, { value: 32 }, { value: 33 }, { value: 34 }, { value: 36 }]);
    await run.query.processAllAvailable();
    expect(droppedSince(run.query.recentProgress, seen)).toEqual([2]);
    await run.query.stop();
  });
});
