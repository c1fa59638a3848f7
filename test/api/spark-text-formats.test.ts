// What users read: printSchema, show() and the console sink write Spark's type names and
// number formats (Dataset.printSchema, Dataset.showString, Cast to string), so output pasted
// beside Spark's matches it.
import { MemoryStream, avg, col, expr, sum, types as T } from '../../src/index.js';
import { formatDouble } from '../../src/expr/cast.js';
import { captureStdout, testSession } from '../support/helpers.js';

describe('printSchema', () => {
  it('prints Spark\'s tree: type names (integer, long, void), nullability, array elements, map keys and values, nested structs', async () => {
    const spark = testSession();
    const schema = T.struct([
      T.field('id', T.integer(), false),
      T.field('count', T.long()),
      T.field('price', T.double()),
      T.field('name', T.string()),
      T.field('ok', T.boolean()),
      T.field('at', T.timestamp()),
      T.field('raw', T.binary()),
      T.field('tags', T.array(T.integer())),
      T.field('scores', T.map(T.string(), T.double())),
      T.field('address', T.struct([T.field('city', T.string()), T.field('zip', T.array(T.struct([T.field('n', T.long())])))])),
    ]);
    const out = await captureStdout(() => spark.createDataFrame([], schema).printSchema());
    expect(out).toBe([
      'root',
      ' |-- id: integer (nullable = false)',
      ' |-- count: long (nullable = true)',
      ' |-- price: double (nullable = true)',
      ' |-- name: string (nullable = true)',
      ' |-- ok: boolean (nullable = true)',
      ' |-- at: timestamp (nullable = true)',
      ' |-- raw: binary (nullable = true)',
      ' |-- tags: array (nullable = true)',
      ' |    |-- element: integer (containsNull = true)',
      ' |-- scores: map (nullable = true)',
      ' |    |-- key: string',
      ' |    |-- value: double (valueContainsNull = true)',
      ' |-- address: struct (nullable = true)',
      ' |    |-- city: string (nullable = true)',
      ' |    |-- zip: array (nullable = true)',
      ' |    |    |-- element: struct (containsNull = true)',
      ' |    |    |    |-- n: long (nullable = true)',
      '', '',
    ].join('\n'));
    expect(T.schemaTree(spark.createDataFrame([{ nothing: null }]).select(expr('null').alias('x')).schema)).toBe('root\n |-- x: void (nullable = true)');
  });
});

describe('numbers as Spark writes them', () => {
  it('writes doubles as Java\'s Double.toString: a fraction digit always, scientific notation below 10^-3 and from 10^7', () => {
    expect([1560, 0.5, -2, 0, -0, 0.001, 9999999, 1e7, 123456789.125, 1.5e-4, 1e21, 1 / 3, NaN, Infinity, -Infinity].map(formatDouble)).toEqual([
      '1560.0', '0.5', '-2.0', '0.0', '-0.0', '0.001', '9999999.0', '1.0E7', '1.23456789125E8', '1.5E-4', '1.0E21', '0.3333333333333333', 'NaN', 'Infinity', '-Infinity',
    ]);
  });

  it('casts doubles, and arrays, maps and structs holding them, to Spark\'s strings', async () => {
    const spark = testSession();
    const df = spark.createDataFrame([{ d: 1560, xs: [1, 2.5], m: { a: 3 }, s: { n: 4, d: 1e8 } }], T.struct([
      T.field('d', T.double()), T.field('xs', T.array(T.double())), T.field('m', T.map(T.string(), T.double())),
      T.field('s', T.struct([T.field('n', T.long()), T.field('d', T.double())])),
    ]));
    expect(await df.select(...['d', 'xs', 'm', 's'].map((c) => col(c).cast('string').alias(c))).collect())
      .toEqual([{ d: '1560.0', xs: '[1.0, 2.5]', m: '{a -> 3.0}', s: '{4, 1.0E8}' }]);
  });

  it('show() and the console sink print doubles with their fraction and longs without one', async () => {
    const spark = testSession();
    const trades = T.struct([T.field('Type', T.string()), T.field('Amount', T.integer())]);
    const input = new MemoryStream(spark, trades);
    const out = await captureStdout(async () => {
      const q = input.toDF().groupBy('Type').agg(sum('Amount').alias('total'), avg('Amount').alias('mean'))
        .writeStream.format('console').outputMode('complete').start();
      input.addData([{ Type: 'BUY', Amount: 1000 }, { Type: 'BUY', Amount: 2120 }]);
      await q.processAllAvailable();
      await q.stop();
      await spark.createDataFrame([{ x: 2.25, n: 7 }], T.struct([T.field('x', T.double()), T.field('n', T.long())])).show();
    });
    expect(out).toBe([
      '-------------------------------------------',
      'Batch: 0',
      '-------------------------------------------',
      '+----+-----+------+',
      '|Type|total|  mean|',
      '+----+-----+------+',
      '| BUY| 3120|1560.0|',
      '+----+-----+------+',
      '',
      '+----+---+',
      '|   x|  n|',
      '+----+---+',
      '|2.25|  7|',
      '+----+---+',
      '', '',
    ].join('\n'));
  });

  it('show(n) says how many rows it left out, in Spark\'s words', async () => {
    const spark = testSession();
    const df = spark.createDataFrame([{ n: 1 }, { n: 2 }, { n: 3 }], T.struct([T.field('n', T.long())]));
    expect(await captureStdout(() => df.show(1))).toBe('+---+\n|  n|\n+---+\n|  1|\n+---+\nonly showing top 1 row\n\n');
    expect(await captureStdout(() => df.show(2))).toMatch(/\|  2\|\n\+---\+\nonly showing top 2 rows\n\n$/);
  });
});
