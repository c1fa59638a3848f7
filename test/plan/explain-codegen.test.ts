// explain('codegen') prints the functions a streaming query generates, as they run: one stage
// from the source through an aggregation (stateless steps, window, keys and accumulators fused),
// stream-static joins inside the stage, from_json decoding only the fields read, names escaped.
import { MemoryStream, col, expr, fromJson, sum, upper, window, types as T } from 'spate';
import { testSession } from '../support/helpers.js';

const events = T.struct([T.field('ts', T.timestamp()), T.field('key', T.string()), T.field('amount', T.integer())]);

describe("explain('codegen')", () => {
  it('prints one generated stage from the source through a windowed aggregation, with no row object per projection', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, events);
    const code = input.toDF().withColumn('double', col('amount').multiply(2)).filter(col('double').gt(0))
      .groupBy(window(col('ts'), '10 seconds'), col('key')).agg(sum('double').alias('total'))
      .explain('codegen');
    expect(code.match(/== Generated code/g)).toHaveLength(1);
    expect(code).toContain('== Generated code (stage 1: aggregate-0) ==');
    expect(code).toContain('function compiled(rows, table, st, counters, eventTime)');
    // The window start is arithmetic, the group a lookup by the key itself, the sum a typed array.
    expect(code).toMatch(/const ws = ms - \(/);
    expect(code).toContain('.get(kn');
    expect(code).toContain('table.accumulators[0].values[slot] +=');
    expect(code).not.toMatch(/\{ "double":/);
  });

  it('shows a stream-static join probing its table inside the stage, and from_json decoding only the fields read', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const ads = spark.createDataFrame([{ ad_id: 'a', campaign_id: 'c' }], T.struct([T.field('ad_id', T.string()), T.field('campaign_id', T.string())]));
    const schema = T.struct([T.field('ad_id', T.string()), T.field('kind', T.string()), T.field('at', T.string()), T.field('user', T.string())]);
    const code = input.toDF().select(fromJson(col('value'), schema).alias('e')).select('e.*')
      .filter(col('kind').equalTo('view')).join(ads, 'ad_id')
      .groupBy(window(expr('timestamp_millis(cast(at as long))'), '10 seconds'), col('campaign_id')).count()
      .explain('codegen');
    expect(code.match(/== Generated code/g)).toHaveLength(1);
    expect(code).toContain('from_json → struct<ad_id, kind, at>');
    expect(code).toContain('LookupJoin');
    expect(code).toContain('.table.get(');
  });

  it('prints a stateless chain as the chain operator runs it, with names escaped', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('a"b', T.string())]));
    const code = input.toDF().select(upper(col('a"b')).alias('x"); process.exit(1); ("')).explain('codegen');
    expect(code).toContain('== Generated code (stage 1: chain-0) ==');
    expect(code).toContain('r0["a\\"b"]');
    expect(code).toContain('"x\\"); process.exit(1); (\\""');
  });

  it('refuses a static DataFrame and an unknown mode, and keeps the plain explain', () => {
    const spark = testSession();
    const df = spark.createDataFrame([{ a: 1 }], T.struct([T.field('a', T.integer())]));
    expect(() => df.explain('codegen')).toThrow(/streaming query/);
    expect(() => df.explain({ mode: 'cost' as 'simple' })).toThrow(/'logical' or 'codegen'/);
    expect(JSON.parse(df.explain())).toMatchObject({ k: 'static' });
  });
});
