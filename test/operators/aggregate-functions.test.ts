// Streaming aggregations with the whole function library, over columns and SQL expressions,
// with state spread over spate.sql.shuffle.partitions by key hash.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryStream, approxCountDistinct, avg, col, collectList, collectSet, count, expr, first, last, lit, max, min, stddev, sum, types as T,
} from 'spate';
import { packedPartitions } from '../../src/state/packed-state.js';
import { record } from '../support/batches.js';
import { sortRows, testSession } from '../support/helpers.js';

const schema = T.struct([T.field('BrokerCode', T.string()), T.field('Type', T.string()), T.field('Amount', T.integer())]);

describe('streaming aggregation functions', () => {
  it('computes count, sum, avg, min, max, first, last, collect_list, collect_set, approx_count_distinct and stddev across batches', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const df = input.toDF().groupBy('BrokerCode').agg(
      count('*').alias('rows'), count('Amount').alias('amounts'), sum('Amount').alias('total'), avg('Amount').alias('mean'),
      min('Amount').alias('low'), max('Amount').alias('high'), first('Amount').alias('firstAmount'), last('Amount').alias('lastAmount'),
      collectList('Type').alias('types'), collectSet('Type').alias('typeSet'), approxCountDistinct('Amount').alias('distinctAmounts'),
      stddev('Amount').alias('sd'),
    );
    const run = record(df, 'complete');
    input.addData([
      { BrokerCode: 'ABX', Type: 'BUY', Amount: 500 }, { BrokerCode: 'ABX', Type: 'SELL', Amount: 300 },
      { BrokerCode: 'XYZ', Type: 'BUY', Amount: null },
    ]);
    await run.query.processAllAvailable();
    input.addData([{ BrokerCode: 'ABX', Type: 'BUY', Amount: 100 }, { BrokerCode: 'XYZ', Type: 'SELL', Amount: 40 }]);
    await run.query.processAllAvailable();
    await run.query.stop();

    const [abx, xyz] = run.rowsOf(1);
    expect(abx).toEqual({
      BrokerCode: 'ABX', rows: 3, amounts: 3, total: 900, mean: 300, low: 100, high: 500, firstAmount: 500, lastAmount: 100,
      types: ['BUY', 'SELL', 'BUY'], typeSet: expect.arrayContaining(['BUY', 'SELL']), distinctAmounts: 3, sd: 200,
    });
    expect((abx!.typeSet as string[]).length).toBe(2);
    expect(xyz).toEqual({
      BrokerCode: 'XYZ', rows: 2, amounts: 1, total: 40, mean: 40, low: 40, high: 40, firstAmount: null, lastAmount: 40,
      types: ['BUY', 'SELL'], typeSet: expect.arrayContaining(['BUY', 'SELL']), distinctAmounts: 1, sd: null,
    });
  });

  it("aggregates SQL expressions such as sum(expr(\"case when Type == 'BUY' then Amount end\"))", async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const df = input.toDF().groupBy('BrokerCode').agg(
      sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
      sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'),
      expr('max(Amount) - min(Amount)').alias('spread'),
    );
    const run = record(df, 'update');
    input.addData([
      { BrokerCode: 'ABX', Type: 'BUY', Amount: 500 }, { BrokerCode: 'ABX', Type: 'SELL', Amount: 300 },
      { BrokerCode: 'ABX', Type: 'BUY', Amount: 100 }, { BrokerCode: 'QQQ', Type: 'SELL', Amount: 7 },
    ]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0)).toEqual([
      { BrokerCode: 'ABX', BUY: 600, SELL: 300, spread: 400 },
      { BrokerCode: 'QQQ', BUY: null, SELL: 7, spread: 0 },
    ]);
  });

  it('refuses distinct aggregations on a stream and suggests approx_count_distinct', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF().groupBy('BrokerCode').agg(expr('count(distinct Amount)').alias('n'));
    expect(() => df.writeStream.format('console').outputMode('update').start())
      .toThrow(/Distinct aggregations are not supported on streaming DataFrames\/Datasets\. Consider using approx_count_distinct\(\) instead/);
  });

  it('keeps state in spate.sql.shuffle.partitions partitions by key hash and reports them in progress', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spate-agg-'));
    try {
      const spark = testSession({ 'spate.sql.shuffle.partitions': 4 });
      const input = new MemoryStream(spark, schema);
      const run = record(input.toDF().groupBy('BrokerCode').agg(sum('Amount').alias('total')), 'update',
        (w) => w.option('checkpointLocation', dir));
      input.addData(Array.from({ length: 64 }, (_, i) => ({ BrokerCode: `B${i}`, Type: 'BUY', Amount: i })));
      await run.query.processAllAvailable();
      await run.query.stop();
      const op = run.query.lastProgress!.stateOperators[0]!;
      expect(op).toMatchObject({ operatorName: 'stateStoreSave', numRowsTotal: 64, numRowsUpdated: 64, numShufflePartitions: 4 });
      // One thread packs the epoch's state of every partition in one file (packed-state.ts); worker threads write one per partition.
      const partitions = process.env['SPATE_MASTER']
        ? readdirSync(join(dir, 'state', 'aggregate-0')).sort()
        : packedPartitions(readFileSync(join(dir, 'state', 'aggregate-0', 'packed', 'default', '1.delta'))).map(String);
      expect(partitions).toEqual(['0', '1', '2', '3']);
      expect(sortRows(run.rowsOf(0)).length).toBe(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('aggregates a static DataFrame the same way in one batch', async () => {
    const spark = testSession();
    const rows = spark.createDataFrame([{ k: 'a', v: 1 }, { k: 'a', v: 2 }, { k: 'b', v: 5 }], T.struct([T.field('k', T.string()), T.field('v', T.integer())]));
    expect(sortRows(await rows.groupBy('k').agg(sum('v').alias('s'), count(lit(1)).alias('n')).collect()))
      .toEqual([{ k: 'a', s: 3, n: 2 }, { k: 'b', s: 5, n: 1 }]);
    expect(await rows.groupBy(col('k')).count().count()).toBe(2);
  });
});
