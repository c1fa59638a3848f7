// orderBy / sort and limit: Spark's ordering (asc nulls first, desc nulls last, NaN above all
// numbers, strings by code point) on static frames and on the complete result of a streaming
// aggregation; a streaming limit whose count survives batches and restarts
// (StreamingGlobalLimitExec); and UnsupportedOperationChecker's rules and messages at start().
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MemoryStream, Trigger, asc, col, count, desc, descNullsFirst, ascNullsLast, explode, split, types as T,
} from '../../src/index.js';
import type { DataFrame, Row } from '../../src/index.js';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-sort-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const people = T.struct([T.field('name', T.string()), T.field('age', T.integer()), T.field('score', T.double())]);
const rows: Row[] = [
  { name: 'bo', age: 30, score: 1.5 }, { name: null, age: 25, score: NaN }, { name: 'al', age: null, score: -2 },
  { name: 'Zed', age: 25, score: null }, { name: 'éa', age: 30, score: 7 }, { name: '😀', age: 41, score: 0 },
];

describe('orderBy on a static frame', () => {
  const df = () => testSession().createDataFrame(rows, people);
  const names = (rs: Row[]): unknown[] => rs.map((r) => r['name']);

  it('sorts ascending with nulls first by default, and by code point (uppercase, then lowercase, then accents, then emoji)', async () => {
    expect(names(await df().orderBy('name').collect())).toEqual([null, 'Zed', 'al', 'bo', 'éa', '😀']);
    expect(names(await df().orderBy(asc('name')).collect())).toEqual([null, 'Zed', 'al', 'bo', 'éa', '😀']);
    expect(names(await df().orderBy(ascNullsLast('name')).collect())).toEqual(['Zed', 'al', 'bo', 'éa', '😀', null]);
  });

  it('sorts descending with nulls last by default; later keys break ties; sort() is orderBy', async () => {
    expect(names(await df().orderBy(desc('age'), 'name').collect())).toEqual(['😀', 'bo', 'éa', null, 'Zed', 'al']);
    expect(names(await df().sort(col('age').descNullsFirst(), col('name').desc()).collect())).toEqual(['al', '😀', 'éa', 'bo', 'Zed', null]);
    expect(names(await df().orderBy(descNullsFirst('age'), 'name').limit(2).collect())).toEqual(['al', '😀']);
  });

  it('puts NaN above every other double, as Spark orders it', async () => {
    expect((await df().orderBy(desc('score')).collect()).map((r) => r['score'])).toEqual([NaN, 7, 1.5, 0, -2, null]);
  });

  it('limits: the first n rows, 0 giving none; a negative limit is refused', async () => {
    expect(await df().orderBy('age', 'name').limit(1).collect()).toEqual([{ name: 'al', age: null, score: -2 }]);
    expect(await df().limit(0).collect()).toEqual([]);
    expect(() => df().limit(-1)).toThrow('The limit expression must be equal to or greater than 0, but got -1');
  });

  it('refuses a sort key used as a column, and sorting by a map', () => {
    expect(() => df().select(col('age').desc())).toThrow(/give a sort key: use them in orderBy\(\.\.\.\) or sort\(\.\.\.\)/);
    const maps = testSession().createDataFrame([{ m: { a: 1 } }], T.struct([T.field('m', T.map(T.string(), T.integer()))]));
    expect(() => maps.orderBy('m')).toThrow(/map columns have no order/);
  });
});

const lines = T.struct([T.field('value', T.string())]);
const wordCounts = (input: MemoryStream<{ value: string | null }>) =>
  input.toDF().select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').agg(count('*').alias('count'));

describe('orderBy and limit on a stream', () => {
  it('sorts and limits the complete result of an aggregation every batch: the top words so far', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const run = record(wordCounts(input).orderBy(desc('count'), 'word').limit(2), 'complete');
    input.addData([{ value: 'b a c b' }]);
    await run.query.processAllAvailable();
    input.addData([{ value: 'c c a' }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    // Rows in order, as a sorted result arrives at the sink.
    expect(run.batches.map((b) => b.rows)).toEqual([
      [{ word: 'b', count: 2 }, { word: 'a', count: 1 }],
      [{ word: 'c', count: 3 }, { word: 'a', count: 2 }],
    ]);
  });

  it('keeps a limit\'s count across batches and restarts in append mode (StreamingGlobalLimitExec)', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const cp = join(dir, 'cp');
    const start = () => record(input.toDF().limit(3), 'append', (w) => w.option('checkpointLocation', cp));
    const first = start();
    input.addData([{ value: 'a' }, { value: 'b' }]);
    await first.query.processAllAvailable();
    input.addData([{ value: 'c' }, { value: 'd' }]);
    await first.query.processAllAvailable();
    await first.query.stop();
    expect(first.batches.map((b) => b.rows.map((r) => r['value']))).toEqual([['a', 'b'], ['c']]);
    expect(first.query.lastProgress!.stateOperators).toEqual([
      expect.objectContaining({ operatorName: 'defaultName', numRowsTotal: 1, numRowsUpdated: 1 }),
    ]);

    const second = start();
    input.addData([{ value: 'e' }]);
    await second.query.processAllAvailable();
    await second.query.stop();
    expect(second.batches.map((b) => [b.batchId, b.rows])).toEqual([[2, []]]);
    expect(second.query.lastProgress!.stateOperators[0]).toMatchObject({ numRowsTotal: 1, numRowsUpdated: 0 });
  });

  it('limits the rows an aggregation sees in complete mode when the limit is below it', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const run = record(input.toDF().limit(3).groupBy().agg(count('*').alias('n')), 'complete');
    input.addData([{ value: 'a' }, { value: 'b' }]);
    await run.query.processAllAvailable();
    input.addData([{ value: 'c' }, { value: 'd' }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.batches.map((b) => b.rows)).toEqual([[{ n: 2 }], [{ n: 3 }]]);
  });

  it('refuses what Spark refuses, with its messages', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const start = <T extends Row>(df: DataFrame<T>, mode: 'append' | 'update' | 'complete') => () => df.writeStream.format('console').outputMode(mode).start();
    expect(start(input.toDF().orderBy('value'), 'append'))
      .toThrow(/^Sorting is not supported on streaming DataFrames\/Datasets, unless it is on aggregated DataFrame\/Dataset in Complete output mode/);
    expect(start(wordCounts(input).orderBy('word'), 'update')).toThrow(/^Sorting is not supported on streaming DataFrames\/Datasets/);
    expect(start(input.toDF().limit(5), 'update')).toThrow(/^Limits are not supported on streaming DataFrames\/Datasets in Update output mode/);
    expect(start(wordCounts(input).limit(5), 'update')).toThrow(/^Limits are not supported on streaming DataFrames\/Datasets in Update output mode/);
    expect(() => input.toDF().orderBy('value').writeStream.format('memory').queryName('c').trigger(Trigger.Continuous('1 second')).start())
      .toThrow(/^Sorting is not supported|^Continuous processing does not support Sort operations/);
    expect(() => input.toDF().limit(1).writeStream.format('memory').queryName('c2').trigger(Trigger.Continuous('1 second')).start())
      .toThrow(/^Continuous processing does not support LocalLimit operations/);
  });
});
