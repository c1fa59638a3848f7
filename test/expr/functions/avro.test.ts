import avro from 'avsc';
import { MemoryStream, col, fromAvro, struct, toAvro, types as T } from '../../../src/index.js';
import { sortRows, testSession } from '../../support/helpers.js';
import { evaluateTree } from './support.js';

const itemSchema = JSON.stringify({
  type: 'record', name: 'Item', namespace: 'shop',
  fields: [
    { name: 'code', type: 'string' },
    { name: 'price', type: ['null', 'double'] },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'atMicros', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }] },
    { name: 'vendor', type: ['null', { type: 'record', name: 'Vendor', fields: [{ name: 'name', type: 'string' }, { name: 'since', type: { type: 'int', logicalType: 'date' } }] }] },
    { name: 'choice', type: ['null', 'string', 'int'] },
    { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 10, scale: 2 } },
  ],
});

const writer = avro.Type.forSchema(JSON.parse(itemSchema) as avro.Schema, { wrapUnions: true });
const at = new Date('2024-03-01T10:00:00.123Z');
const encoded = writer.toBuffer({
  code: 'A1', price: { double: 9.5 }, tags: ['x', 'y'], attrs: { n: 3 }, at: at.getTime(), atMicros: { long: at.getTime() * 1000 + 7 },
  vendor: { 'shop.Vendor': { name: 'ACME', since: 19000 } }, choice: { int: 4 }, amount: Buffer.from([0xff, 0x38]),
});

describe('fromAvro and toAvro', () => {
  it('decode records with nested records, arrays, maps, unions with null and logical types into structs', () => {
    const v = evaluateTree(fromAvro(col('b'), itemSchema).expr, { b: encoded }, 'b BINARY');
    expect(v).toEqual({
      code: 'A1', price: 9.5, tags: ['x', 'y'], attrs: { n: 3 }, at, atMicros: at,
      vendor: { name: 'ACME', since: new Date(19000 * 86_400_000) }, choice: { member0: null, member1: 4 }, amount: -2,
    });
  });

  it('give the Avro record the struct type Spark derives', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, T.struct([T.field('b', T.binary())])).toDF().select(fromAvro(col('b'), itemSchema).alias('item'));
    expect(df.schema.fields[0]!.type).toEqual(T.struct([
      T.field('code', T.string(), false), T.field('price', T.double()), T.field('tags', T.array(T.string()), false),
      T.field('attrs', T.map(T.string(), T.long()), false), T.field('at', T.timestamp(), false), T.field('atMicros', T.timestamp()),
      T.field('vendor', T.struct([T.field('name', T.string(), false), T.field('since', T.timestamp(), false)])),
      T.field('choice', T.struct([T.field('member0', T.string()), T.field('member1', T.integer())])),
      T.field('amount', T.double(), false),
    ]));
  });

  it('round-trip a struct through toAvro with the derived schema and back with fromAvro', async () => {
    const spark = testSession();
    const schema = T.struct([T.field('ItemCode', T.string()), T.field('ItemQty', T.integer()), T.field('At', T.timestamp()), T.field('Tags', T.array(T.string()))]);
    const input = new MemoryStream(spark, schema);
    const derived = JSON.stringify({
      type: 'record', name: 'topLevelRecord', fields: [
        { name: 'ItemCode', type: ['string', 'null'] }, { name: 'ItemQty', type: ['int', 'null'] },
        { name: 'At', type: [{ type: 'long', logicalType: 'timestamp-micros' }, 'null'] },
        { name: 'Tags', type: [{ type: 'array', items: ['string', 'null'] }, 'null'] },
      ],
    });
    const q = input.toDF().select(toAvro(struct('*')).alias('value')).select(fromAvro(col('value'), derived).alias('v')).select('v.*')
      .writeStream.format('memory').queryName('avro_round_trip').start();
    const rows = [{ ItemCode: 'I1', ItemQty: 2, At: new Date('2024-01-01T00:00:00Z'), Tags: ['a', null] }, { ItemCode: null, ItemQty: null, At: null, Tags: null }];
    input.addData(rows);
    await q.processAllAvailable();
    await q.stop();
    expect(sortRows(await spark.table('avro_round_trip').collect())).toEqual(sortRows(rows));
  });

  it('follow the parse mode for bytes that are not Avro: FAILFAST fails, PERMISSIVE gives null, DROPMALFORMED drops and counts', async () => {
    const garbage = Buffer.from('{"not":"avro"}');
    const expr = (mode: 'FAILFAST' | 'PERMISSIVE') => fromAvro(col('b'), itemSchema, { mode }).expr;
    expect(() => evaluateTree(expr('FAILFAST'), { b: garbage }, 'b BINARY')).toThrow(/Malformed records are detected in record parsing.*Current parse Mode: FAILFAST/);
    expect(evaluateTree(expr('PERMISSIVE'), { b: garbage }, 'b BINARY')).toBeNull();

    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('b', T.binary())]));
    const q = input.toDF().select(fromAvro(col('b'), itemSchema, { mode: 'DROPMALFORMED' }).alias('i')).select('i.code')
      .writeStream.format('memory').queryName('avro_drop').start();
    input.addData([{ b: encoded }, { b: garbage }, { b: encoded.subarray(0, 5) }]);
    await q.processAllAvailable();
    await q.stop();
    expect(await spark.table('avro_drop').collect()).toEqual([{ code: 'A1' }]);
    expect(q.lastProgress?.numMalformedRowsDropped).toBe(2);
  });

  it('refuse a schema that is not valid Avro when the query is defined', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, T.struct([T.field('b', T.binary())])).toDF();
    expect(() => df.select(fromAvro(col('b'), '{"type":"record"}'))).toThrow(/from_avro\(\) schema is not a valid Avro schema/);
    expect(() => df.select(fromAvro(col('b'), 'nope'))).toThrow(/from_avro\(\) schema is not valid JSON/);
  });
});
