import {
  MemoryStream, col, explodeOuter, fromJson, lit, posexplode, split, struct, toJson, upper, types as T,
} from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { testSession } from '../support/helpers.js';

const people = T.struct([T.field('name', T.string()), T.field('age', T.integer()), T.field('tags', T.string())]);

async function runAppend(build: (df: ReturnType<MemoryStream<Row>['toDF']>) => { writeStream: { format(f: string): { queryName(n: string): { start(): { processAllAvailable(): Promise<void>; stop(): Promise<void> } } } } }, rows: Row[], name: string) {
  const spark = testSession();
  const input = new MemoryStream<Row>(spark, people);
  const q = build(input.toDF()).writeStream.format('memory').queryName(name).start();
  input.addData(rows);
  await q.processAllAvailable();
  await q.stop();
  return spark.table(name).collect();
}

describe('stateless operators in one fused chain', () => {
  const rows = [
    { name: 'ann', age: 31, tags: 'a,b' },
    { name: 'bob', age: 17, tags: null },
    { name: 'cid', age: 45, tags: '' },
  ];

  it('select, withColumn, withColumnRenamed, drop and filter compose in order', async () => {
    const out = await runAppend((df) => df
      .filter(col('age').geq(18))
      .withColumn('upper', upper(col('name')))
      .withColumn('age', col('age').plus(1))
      .withColumnRenamed('name', 'who')
      .drop('tags', 'no-such-column'), rows, 'chain1');
    expect(out).toEqual([{ who: 'ann', age: 32, upper: 'ANN' }, { who: 'cid', age: 46, upper: 'CID' }]);
  });

  it('filter and selectExpr accept SQL strings', async () => {
    const out = await runAppend((df) => df.filter("age > 20 AND name LIKE '%n%'").selectExpr('name', 'age * 2 AS doubled'), rows, 'chain2');
    expect(out).toEqual([{ name: 'ann', doubled: 62 }]);
  });

  it('a filter may name a column the select before it dropped, as in Spark, and mix it with the select\'s aliases', async () => {
    const out = await runAppend((df) => df.selectExpr('upper(name) AS who').where('age > 20 AND who LIKE \'%N%\''), rows, 'chain7');
    expect(out).toEqual([{ who: 'ANN' }]);
    const spark = testSession();
    const df = new MemoryStream<Row>(spark, people).toDF();
    expect(df.select('name').where('age > 20').schema.fields.map((f) => f.name)).toEqual(['name']);
    expect(() => df.select('name').where('agee > 20')).toThrow(/cannot resolve column `agee`/);
  });

  it('explode_outer keeps a row with null for a null or empty array; posexplode adds the position', async () => {
    const outer = await runAppend((df) => df.select(col('name'), explodeOuter(split(col('tags'), ',')).alias('tag')), rows, 'chain3');
    expect(outer).toEqual([
      { name: 'ann', tag: 'a' }, { name: 'ann', tag: 'b' }, { name: 'bob', tag: null }, { name: 'cid', tag: '' },
    ]);
    const pos = await runAppend((df) => df.filter('tags IS NOT NULL').select(col('name'), posexplode(split(col('tags'), ','))), rows, 'chain4');
    expect(pos).toEqual([{ name: 'ann', pos: 0, col: 'a' }, { name: 'ann', pos: 1, col: 'b' }, { name: 'cid', pos: 0, col: '' }]);
  });

  it('map and flatMap run user functions over whole rows with a declared schema', async () => {
    const out = await runAppend((df) => df
      .map((r) => ({ name: String(r['name']), decade: Math.floor(Number(r['age']) / 10) }), T.struct([T.field('name', T.string()), T.field('decade', T.integer())]))
      .flatMap((r) => (Number(r['decade']) >= 3 ? [r, { ...r, name: `${String(r['name'])}!` }] : [])), rows, 'chain5');
    expect(out).toEqual([
      { name: 'ann', decade: 3 }, { name: 'ann!', decade: 3 }, { name: 'cid', decade: 4 }, { name: 'cid!', decade: 4 },
    ]);
  });

  it('struct and toJson build JSON values, as the notes do for Kafka', async () => {
    const out = await runAppend((df) => df.filter('age > 40').select(col('name').alias('key'), toJson(struct('*')).alias('value')), rows, 'chain6');
    expect(out).toEqual([{ key: 'cid', value: '{"name":"cid","age":45,"tags":""}' }]);
  });

  it('a bad column name fails when the frame is defined, naming the columns', () => {
    const spark = testSession();
    const df = new MemoryStream<Row>(spark, people).toDF();
    expect(() => df.select('nmae')).toThrow(/cannot resolve column `nmae`: the input columns are \[`name`, `age`, `tags`\]/);
    expect(() => df.filter(lit(1))).toThrow(/filter needs a boolean condition/);
  });
});

describe('malformed input under fromJson', () => {
  it('gives null fields and the query keeps running (PERMISSIVE)', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const schema = T.struct([T.field('id', T.integer()), T.field('kind', T.string())]);
    const q = input.toDF().select(fromJson(col('value'), schema).alias('j')).select('j.*')
      .writeStream.format('memory').queryName('json_permissive').start();
    input.addData([{ value: '{"id": 1, "kind": "a"}' }, { value: '{not json' }]);
    await q.processAllAvailable();
    input.addData([{ value: '{"id": 2, "kind": "b"}' }]);
    await q.processAllAvailable();
    expect(q.isActive).toBe(true);
    await q.stop();
    expect(await spark.table('json_permissive').collect()).toEqual([
      { id: 1, kind: 'a' }, { id: null, kind: null }, { id: 2, kind: 'b' },
    ]);
  });

  it('drops and counts malformed records with DROPMALFORMED, and fails with FAILFAST', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const schema = T.struct([T.field('id', T.integer())]);
    const q = input.toDF().select(fromJson(col('value'), schema, { mode: 'DROPMALFORMED' }).alias('j')).select('j.id')
      .writeStream.format('memory').queryName('json_drop').start();
    input.addData([{ value: '{"id": 1}' }, { value: 'oops' }, { value: '{"id": 3}' }]);
    await q.processAllAvailable();
    expect(q.lastProgress?.numMalformedRowsDropped).toBe(1);
    await q.stop();
    expect(await spark.table('json_drop').collect()).toEqual([{ id: 1 }, { id: 3 }]);

    const failing = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const f = failing.toDF().select(fromJson(col('value'), schema, { mode: 'FAILFAST' }).alias('j'))
      .writeStream.format('memory').queryName('json_fail').start();
    failing.addData([{ value: 'oops' }]);
    await expect(f.awaitTermination()).rejects.toThrow(/oops/);
  });
});
