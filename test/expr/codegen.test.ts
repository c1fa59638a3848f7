import { bind } from '../../src/expr/analyze.js';
import { compileValue } from '../../src/expr/codegen.js';
import { parseExpression } from '../../src/expr/parser.js';
import { types as T, lit, col, expr } from '../../src/index.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([
  T.field('name', T.string()), T.field('a', T.integer()), T.field('b', T.integer()),
  T.field('flag', T.boolean()), T.field('ts', T.timestamp()),
]);
const evaluate = (sql: string, row: Record<string, unknown>): unknown => compileValue(bind(parseExpression(sql), schema))(row);

describe('generated code', () => {
  const hostile = "x'); process.exit(1); ('";

  it('treats a hostile string literal as data, not code', () => {
    const quoted = `name = '${hostile.replace(/'/g, "\\'")}'`;
    expect(evaluate(quoted, { name: hostile })).toBe(true);
    expect(evaluate(quoted, { name: 'x' })).toBe(false);
  });

  it('treats a hostile column name and alias as data, not code', async () => {
    const spark = testSession();
    const weird = T.struct([T.field(hostile, T.string()), T.field('"]; process.exit(2); //', T.integer())]);
    const df = spark.createDataFrame([{ [hostile]: 'v', '"]; process.exit(2); //': 3 }], weird)
      .select(col(`\`${hostile.replace(/`/g, '``')}\``).alias(`${hostile} copy`), expr('`"]; process.exit(2); //` + 1 AS `n\'); x(`'), lit(hostile).alias('literal'));
    expect(await df.collect()).toEqual([{ [`${hostile} copy`]: 'v', "n'); x(": 4, literal: hostile }]);
  });

  it('follows SQL null semantics: arithmetic and comparison with null give null', () => {
    expect(evaluate('a + b', { a: 1, b: null })).toBeNull();
    expect(evaluate('a > b', { a: null, b: 1 })).toBeNull();
    expect(evaluate('a = b', { a: 2, b: 2 })).toBe(true);
    expect(evaluate('a <=> b', { a: null, b: null })).toBe(true);
    expect(evaluate('a / b', { a: 1, b: 0 })).toBeNull();
  });

  it('uses three-valued logic for AND and OR', () => {
    expect(evaluate('flag AND a > 0', { flag: null, a: -1 })).toBe(false);
    expect(evaluate('flag AND a > 0', { flag: null, a: 1 })).toBeNull();
    expect(evaluate('flag OR a > 0', { flag: null, a: 1 })).toBe(true);
    expect(evaluate('NOT flag', { flag: null })).toBeNull();
  });

  it('evaluates IN with a null in the list as Spark does', () => {
    expect(evaluate('a IN (1, 2)', { a: 2 })).toBe(true);
    expect(evaluate('a IN (1, NULL)', { a: 3 })).toBeNull();
    expect(evaluate('a NOT IN (1, 2)', { a: 3 })).toBe(true);
  });

  it('evaluates CASE WHEN lazily and falls through to null without ELSE', () => {
    expect(evaluate("case when name == 'BUY' then a end", { name: 'SELL', a: 5 })).toBeNull();
    expect(evaluate("case when name == 'BUY' then a else b end", { name: 'BUY', a: 5, b: 6 })).toBe(5);
  });

  it('compares timestamps by time and adds intervals', () => {
    const t = new Date('2019-02-05T10:05:00Z');
    expect(evaluate("ts = timestamp '2019-02-05 10:05:00'", { ts: t })).toBe(true);
    expect(evaluate('ts + interval 1 hour', { ts: t })).toEqual(new Date('2019-02-05T11:05:00Z'));
    expect(evaluate("ts BETWEEN timestamp '2019-02-05 10:00:00' AND timestamp '2019-02-05 10:10:00'", { ts: t })).toBe(true);
  });

  it('applies LIKE patterns with % and _', () => {
    expect(evaluate("name LIKE 'he%o'", { name: 'hello' })).toBe(true);
    expect(evaluate("name LIKE 'h_llo'", { name: 'hallo' })).toBe(true);
    expect(evaluate("name NOT LIKE 'h%'", { name: 'hallo' })).toBe(false);
  });

  it('names an unknown column and lists the input columns', () => {
    expect(() => bind(parseExpression('nmae = 1'), schema)).toThrow(/cannot resolve column `nmae`: the input columns are \[`name`, `a`, `b`, `flag`, `ts`\]/);
  });
});
