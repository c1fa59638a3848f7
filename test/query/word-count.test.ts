import { MemoryStream, col, explode, split, types as T } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { sortRows, testSession } from '../support/helpers.js';

const schema = T.struct([T.field('value', T.string())]);

function wordCounts(spark: ReturnType<typeof testSession>, input: MemoryStream<{ value: string | null }>) {
  return input.toDF().select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count();
}

describe('word count over a memory stream', () => {
  it('complete mode re-emits the whole table after every batch', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const q = wordCounts(spark, input).writeStream.format('memory').queryName('wc_complete').outputMode('complete').start();
    input.addData([{ value: 'hello spark streaming' }]);
    await q.processAllAvailable();
    input.addData([{ value: 'hello spark programming' }]);
    await q.processAllAvailable();
    expect(sortRows(await spark.table('wc_complete').collect())).toEqual(sortRows([
      { word: 'hello', count: 2 }, { word: 'spark', count: 2 }, { word: 'streaming', count: 1 }, { word: 'programming', count: 1 },
    ]));
    await q.stop();
    expect(q.isActive).toBe(false);
    expect(q.exception()).toBeNull();
  });

  it('update mode emits only the groups each batch changed', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const seen: { batchId: number; rows: Row[] }[] = [];
    const q = wordCounts(spark, input).writeStream.outputMode('update')
      .foreachBatch(async (batch, batchId) => { seen.push({ batchId, rows: await batch.collect() }); })
      .start();
    input.addData([{ value: 'hello spark streaming' }]);
    await q.processAllAvailable();
    input.addData([{ value: 'hello spark programming' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(seen.map((s) => s.batchId)).toEqual([0, 1]);
    expect(sortRows(seen[1]!.rows)).toEqual(sortRows([{ word: 'hello', count: 2 }, { word: 'spark', count: 2 }, { word: 'programming', count: 1 }]));
    expect(q.lastProgress?.batchId).toBe(1);
    expect(q.lastProgress?.numInputRows).toBe(1);
    expect(q.lastProgress?.sink.numOutputRows).toBe(-1); // foreachBatch: unknown, as in Spark
  });

  it('append mode on an aggregation without a watermark fails at start, naming the aggregation', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    expect(() => wordCounts(spark, input).writeStream.format('console').outputMode('append').start())
      .toThrow(/Append output mode not supported when there are streaming aggregations on streaming DataFrames\/DataSets without watermark.*grouped by \[word\].*withWatermark/s);
  });

  it('complete mode without an aggregation fails at start', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    expect(() => input.toDF().writeStream.format('console').outputMode('complete').start())
      .toThrow(/Complete output mode not supported when there are no streaming aggregations/);
  });

  it('a foreachBatch function that throws fails the query with that error as its cause', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const boom = new Error('sink exploded');
    const q = input.toDF().writeStream.foreachBatch(() => { throw boom; }).start();
    input.addData([{ value: 'x' }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/sink exploded/);
    await expect(q.awaitTermination()).rejects.toThrow(/terminated with exception: sink exploded/);
    expect(q.exception()?.cause).toBe(boom);
    expect(q.isActive).toBe(false);
  });
});
