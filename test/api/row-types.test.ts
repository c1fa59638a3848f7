// Row types through the API, checked by the compiler (`npm run typecheck`): each `Equal` below
// must hold and each `@ts-expect-error` line must fail to compile. The frames are also built at
// run time, so the columns TypeScript infers are the columns the query has.
import {
  MemoryStream, col, count, expr, lit, sum, window, types as T,
} from '../../src/index.js';
import type { DataFrame, Row, WindowValue } from '../../src/index.js';
import { testSession } from '../support/helpers.js';

/** A and B are the same row type: each assignable to the other (a `| null` or a column more or less breaks it). */
type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type RowOfFrame<D> = D extends DataFrame<infer R> ? R : never;
/** Compiles only when D's row type is exactly R; returns D's column names for the run-time check. */
function rowIs<R>() {
  return <D extends DataFrame<Row>>(df: D, ..._exact: Equal<RowOfFrame<D>, R> extends true ? [] : [never]): string[] => df.columns;
}

const schema = T.struct([
  T.field('id', T.long(), false),
  T.field('name', T.string()),
  T.field('ts', T.timestamp(), false),
  T.field('address', T.struct([T.field('city', T.string(), false), T.field('zip', T.string())])),
]);
type Person = { id: number; name: string | null; ts: Date; address: { city: string; zip: string | null } | null };

describe('row types', () => {
  const spark = testSession();
  const people = new MemoryStream(spark, schema).toDF();
  const orders = spark.createDataFrame([{ orderId: 1, personId: 2, amount: 3.5 }], T.struct([
    T.field('orderId', T.long(), false), T.field('personId', T.long(), false), T.field('amount', T.double()),
  ]));

  it('come from a typed schema, nullable: false fields without | null', () => {
    expect(rowIs<Person>()(people)).toEqual(['id', 'name', 'ts', 'address']);
    const read = spark.readStream.format('json').schema(schema).option('waitForPath', true).load('/nonexistent-spate-folder');
    expect(rowIs<Person>()(read)).toEqual(['id', 'name', 'ts', 'address']);
    expect(rowIs<Row>()(spark.readStream.format('rate').load())).toEqual(['timestamp', 'value']);
    // @ts-expect-error a field declared nullable: false is not typed | null
    const bad: Person = { id: null, name: null, ts: new Date(0), address: null };
    expect(bad.id).toBeNull();
  });

  it('follow select: names, struct fields, Columns named by col() or alias(); Row where nothing can be told', () => {
    expect(rowIs<{ id: number; name: string | null }>()(people.select('id', 'name'))).toEqual(['id', 'name']);
    expect(rowIs<{ city: string | null; zip: string | null }>()(people.select('address.*'))).toEqual(['city', 'zip']);
    expect(rowIs<{ city: string | null }>()(people.select('address.city'))).toEqual(['city']);
    expect(rowIs<{ id: number; key: number }>()(people.select(col('id'), people.col('id').alias('key')))).toEqual(['id', 'key']);
    // col() knows a name, not a frame: renamed, its type is lost.
    expect(rowIs<{ key: unknown }>()(people.select(col('id').alias('key')))).toEqual(['key']);
    expect(rowIs<{ one: number }>()(people.select(lit(1).alias('one')))).toEqual(['one']);
    expect(rowIs<Row>()(people.select(expr('id + 1')))).toEqual(['(id + 1)']);
    expect(rowIs<Person>()(people.select('*'))).toEqual(['id', 'name', 'ts', 'address']);
    // @ts-expect-error no column 'nmae'
    expect(() => people.select('nmae')).toThrow();
  });

  it('follow withColumn, drop and withColumnRenamed', () => {
    expect(rowIs<{ id: number; name: string | null; n: number }>()(people.withColumn('n', lit(1)).drop('address', 'ts'))).toEqual(['id', 'name', 'n']);
    expect(rowIs<{ name: string | null; key: number }>()(people.select('id', 'name').withColumnRenamed('id', 'key'))).toEqual(['key', 'name']);
    expect(rowIs<{ id: number }>()(people.select('id').withColumnRenamed('missing', 'x'))).toEqual(['id']);
    expect(rowIs<{ id: number; copy: number }>()(people.select('id').withColumn('copy', col('id')))).toEqual(['id', 'copy']);
  });

  it('follow groupBy with count(), agg() and the shorthand aggregates, window columns included', () => {
    expect(rowIs<{ name: string | null; count: number }>()(people.groupBy('name').count())).toEqual(['name', 'count']);
    expect(rowIs<{ name: string | null; total: number | null; n: number }>()(
      people.groupBy('name').agg(sum('id').alias('total'), count('*').alias('n')),
    )).toEqual(['name', 'total', 'n']);
    expect(rowIs<{ window: WindowValue; name: string | null; n: number }>()(
      people.withWatermark('ts', '10 minutes').groupBy(window(col('ts'), '10 minutes'), 'name').agg(count('*').alias('n')),
    )).toEqual(['window', 'name', 'n']);
    expect(rowIs<{ name: string | null; 'sum(id)': number | null }>()(people.groupBy('name').sum('id'))).toEqual(['name', 'sum(id)']);
    expect(rowIs<{ total: number | null }>()(people.agg(sum('id').alias('total')))).toEqual(['total']);
    // @ts-expect-error no column 'age' to sum
    expect(() => people.groupBy('name').sum('age')).toThrow();
  });

  it('follow joins: an outer join\'s padded side may be null, a semi join keeps the left', () => {
    type Order = { orderId: number; personId: number; amount: number | null };
    expect(rowIs<Person & Order>()(people.join(orders, 'id = personId'))).toHaveLength(7);
    expect(rowIs<{ [K in keyof (Person & Order)]: K extends keyof Order ? Order[K] | null : (Person & Order)[K] }>()(
      people.join(orders, 'id = personId', 'left_outer'),
    )).toHaveLength(7);
    expect(rowIs<Person>()(people.join(orders, 'id = personId', 'left_semi'))).toHaveLength(4);
  });

  it('reach foreachBatch and collect()', () => {
    const typed = people.select('id');
    typed.writeStream.foreachBatch(async (batch) => {
      const rows: { id: number }[] = await batch.collect();
      expect(rows).toBeDefined();
    });
    expect(rowIs<{ id: number }>()(typed)).toEqual(['id']);
  });
});
