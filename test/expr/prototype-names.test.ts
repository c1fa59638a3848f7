// Maps and structs never expose JavaScript's inherited properties, and a column or field named
// like one (`__proto__`, `constructor`) is a name like any other.
import avro from 'avsc';
import { MemoryStream, col, expr, fromAvro, struct, toAvro, toJson, types as T } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { evaluate, evaluateTree } from './functions/support.js';
import { testSession } from '../support/helpers.js';

const INHERITED = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

async function runQuery(build: (input: MemoryStream) => ReturnType<MemoryStream['toDF']>, schema: T.StructType, rows: Row[], name: string): Promise<Row[]> {
  const spark = testSession();
  const input = new MemoryStream(spark, schema);
  const q = build(input).writeStream.format('memory').queryName(name).start();
  input.addData(rows);
  await q.processAllAvailable();
  await q.stop();
  return spark.table(name).collect();
}

describe('names of inherited JavaScript properties', () => {
  it('give null for a map lookup whose key from the data names an inherited property', async () => {
    const schema = T.struct([T.field('k', T.string())]);
    const rows = await runQuery((input) => input.toDF()
      .select(col('k'), expr("map('a', 'x')[k]").alias('item'), expr("element_at(map('a', 'x'), k)").alias('at'), expr("map_contains_key(map('a', 'x'), k)").alias('has')),
    schema, [...INHERITED, 'a'].map((k) => ({ k })), 'map_lookups');
    expect(rows).toEqual([
      ...INHERITED.map((k) => ({ k, item: null, at: null, has: false })),
      { k: 'a', item: 'x', at: 'x', has: true },
    ]);
  });

  it('find map values stored under those names', () => {
    for (const k of INHERITED) {
      expect(evaluate(`map('${k}', 'v')['${k}']`)).toBe('v');
      expect(evaluate(`map_keys(map('${k}', 'v'))`)).toEqual([k]);
      expect(evaluate(`size(map('${k}', 'v'))`)).toBe(1);
    }
  });

  it('round-trip columns named __proto__ and constructor through select, filter, withColumn and struct fields', async () => {
    const schema = T.struct([T.field('__proto__', T.string()), T.field('constructor', T.integer())]);
    const rows = await runQuery((input) => input.toDF()
      .filter(col('constructor').gt(0))
      .withColumn('s', struct(col('__proto__'), col('constructor')))
      .select(col('__proto__'), col('constructor'), col('s'), col('s.__proto__').alias('inner'), toJson(col('s')).alias('json')),
    schema, JSON.parse('[{"__proto__": "p", "constructor": 1}, {"__proto__": "q", "constructor": 0}]') as never, 'proto_columns');
    expect(rows.map((r) => Object.keys(r))).toEqual([['__proto__', 'constructor', 's', 'inner', 'json']]);
    const [row] = rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(JSON.stringify(row)).toBe('{"__proto__":"p","constructor":1,"s":{"__proto__":"p","constructor":1},"inner":"p","json":"{\\"__proto__\\":\\"p\\",\\"constructor\\":1}"}');
  });

  it('group by a column named __proto__ and keep its value in state and output', async () => {
    const schema = T.struct([T.field('__proto__', T.string())]);
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const q = input.toDF().groupBy('__proto__').count().writeStream.format('memory').queryName('proto_groups').outputMode('complete').start();
    input.addData(JSON.parse('[{"__proto__": "a"}, {"__proto__": "a"}, {"__proto__": "b"}]') as never);
    await q.processAllAvailable();
    input.addData(JSON.parse('[{"__proto__": "a"}]') as never);
    await q.processAllAvailable();
    await q.stop();
    const rows = (await spark.table('proto_groups').collect()).map((r) => JSON.stringify(r)).sort();
    expect(rows).toEqual(['{"__proto__":"a","count":3}', '{"__proto__":"b","count":1}']);
  });

  it('give null for a struct field the value lacks, never an inherited one', () => {
    const parsed = evaluate(`from_json('{"a": 1}', 'a INT, constructor STRING, toString STRING')`);
    expect(parsed).toEqual({ a: 1, constructor: null, toString: null });
    expect(evaluate(`from_json('{"__proto__": "x"}', '__proto__ STRING').__proto__`)).toBe('x');
    expect(evaluate(`from_json('{"m": {"__proto__": "x", "constructor": "y"}}', 'm MAP<STRING, STRING>').m`)).toEqual(JSON.parse('{"__proto__": "x", "constructor": "y"}'));
  });

  it('keep Avro map keys and record fields named __proto__, decoding and encoding', () => {
    const schema = JSON.stringify({ type: 'record', name: 'R', fields: [
      { name: '__proto__', type: 'string' }, { name: 'm', type: { type: 'map', values: 'long' } },
    ] });
    const value = JSON.parse('{"__proto__": "p", "m": {"__proto__": 1, "constructor": 2}}') as Record<string, unknown>;
    const bytes = avro.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'string' }, { name: 'm', type: { type: 'array', items: {
      type: 'record', name: 'E', fields: [{ name: 'k', type: 'string' }, { name: 'v', type: 'long' }] } } }] } as avro.Schema)
      .toBuffer({ x: 'p', m: [{ k: '__proto__', v: 1 }, { k: 'constructor', v: 2 }] });
    const decoded = evaluateTree(fromAvro(col('b'), schema).expr, { b: bytes }, 'b BINARY');
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(value));
    const reencoded = evaluateTree(toAvro(col('v'), schema).expr, { v: decoded }, 'v STRUCT<__proto__: STRING, m: MAP<STRING, BIGINT>>');
    expect(reencoded).toEqual(bytes);
  });
});
