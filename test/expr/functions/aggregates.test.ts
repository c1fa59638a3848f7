import { AnalysisError } from '../../../src/errors.js';
import { typeToString } from '../../../src/expr/types.js';
import { aggregate, utc } from './support.js';

const X = 'x INT';
const rowsOf = (...xs: unknown[]) => xs.map((x) => ({ x }));

/** Every split point of `rows` merges to the same result as one accumulator fed everything. */
function expectMergeExact(sql: string, ddl: string, rows: readonly Record<string, unknown>[]): void {
  const run = aggregate(sql, ddl);
  const whole = run.all(rows);
  for (let at = 0; at <= rows.length; at++) expect(run.split(rows, at)).toEqual(whole);
}

describe('count', () => {
  it('counts non-null values', () => {
    expect(aggregate('count(x)', X).all(rowsOf(1, null, 3))).toBe(2);
  });

  it('counts rows for count(*) and count(1)', () => {
    expect(aggregate('count(*)', X).all(rowsOf(1, null, 3))).toBe(3);
    expect(aggregate('count(1)', X).all(rowsOf(null, null))).toBe(2);
  });

  it('is 0, not null, over no rows', () => {
    expect(aggregate('count(x)', X).all([])).toBe(0);
    expect(typeToString(aggregate('count(x)', X).agg.type)).toBe('bigint');
  });

  it('counts distinct non-null values for count(DISTINCT x)', () => {
    const run = aggregate('count(DISTINCT x)', X);
    const rows = rowsOf(1, 2, 2, null, 3, 1);
    expect(run.all(rows)).toBe(3);
    for (let at = 0; at <= rows.length; at++) expect(run.split(rows, at)).toBe(3);
  });

  it('counts distinct timestamps by time and distinct tuples of several columns', () => {
    const ts = [{ t: utc('2019-02-05 10:00:00') }, { t: utc('2019-02-05 10:00:00') }, { t: utc('2019-02-05 11:00:00') }];
    expect(aggregate('count(DISTINCT t)', 't TIMESTAMP').all(ts)).toBe(2);
    const pairs = [{ a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'x' }, { a: 2, b: null }];
    expect(aggregate('count(DISTINCT a, b)', 'a INT, b STRING').all(pairs)).toBe(2);
  });

  it('count_if counts true conditions', () => {
    expect(aggregate('count_if(x > 1)', X).all(rowsOf(1, 2, 3, null))).toBe(2);
  });
});

describe('sum and avg', () => {
  it('sum of integers is a bigint and of doubles a double', () => {
    const ints = aggregate('sum(x)', X);
    expect(ints.all(rowsOf(1, 2, null, 4))).toBe(7);
    expect(typeToString(ints.agg.type)).toBe('bigint');
    expect(typeToString(aggregate('sum(d)', 'd DOUBLE').agg.type)).toBe('double');
  });

  it('sum is null when there is no non-null input', () => {
    expect(aggregate('sum(x)', X).all(rowsOf(null, null))).toBeNull();
    expect(aggregate('sum(x)', X).all([])).toBeNull();
  });

  it('sum reads numeric strings as doubles', () => {
    const run = aggregate('sum(s)', 's STRING');
    expect(run.all([{ s: '1.5' }, { s: '2' }, { s: 'x' }])).toBe(3.5);
    expect(typeToString(run.agg.type)).toBe('double');
  });

  it('sum(DISTINCT x) adds each value once', () => {
    expect(aggregate('sum(DISTINCT x)', X).all(rowsOf(1, 1, 2, null, 2))).toBe(3);
  });

  it('avg is a double, null over no values', () => {
    expect(aggregate('avg(x)', X).all(rowsOf(1, 2, null))).toBe(1.5);
    expect(aggregate('mean(x)', X).all(rowsOf(null))).toBeNull();
  });

  it('refuses a non-numeric column with a message naming the function', () => {
    expect(() => aggregate('sum(b)', 'b BOOLEAN')).toThrow(AnalysisError);
    expect(() => aggregate('avg(t)', 't TIMESTAMP')).toThrow(/avg\(\) argument 1 must be a number/);
  });
});

describe('min and max', () => {
  it('compare numbers, strings and timestamps, skipping nulls', () => {
    expect(aggregate('max(x)', X).all(rowsOf(3, null, 7, 5))).toBe(7);
    expect(aggregate('min(x)', X).all(rowsOf(3, null, 7, 5))).toBe(3);
    expect(aggregate('max(s)', 's STRING').all([{ s: 'apple' }, { s: 'pear' }, { s: 'fig' }])).toBe('pear');
    const ts = [{ t: utc('2019-02-05 10:00:00') }, { t: utc('2019-02-05 09:00:00') }];
    expect(aggregate('min(t)', 't TIMESTAMP').all(ts)).toEqual(utc('2019-02-05 09:00:00'));
  });

  it('are null over no values and keep the argument type', () => {
    const run = aggregate('max(x)', X);
    expect(run.all(rowsOf(null))).toBeNull();
    expect(typeToString(run.agg.type)).toBe('int');
  });

  it('max_by and min_by return the value at the greatest and least ordering', () => {
    const rows = [{ n: 'a', v: 3 }, { n: 'b', v: 9 }, { n: 'c', v: null }, { n: 'd', v: 1 }];
    expect(aggregate('max_by(n, v)', 'n STRING, v INT').all(rows)).toBe('b');
    expect(aggregate('min_by(n, v)', 'n STRING, v INT').all(rows)).toBe('d');
  });
});

describe('first and last', () => {
  it('keep a null first or last value unless told to ignore nulls', () => {
    const rows = rowsOf(null, 1, 2, null);
    expect(aggregate('first(x)', X).all(rows)).toBeNull();
    expect(aggregate('first(x, true)', X).all(rows)).toBe(1);
    expect(aggregate('last(x)', X).all(rows)).toBeNull();
    expect(aggregate('last(x, true)', X).all(rows)).toBe(2);
  });

  it('take ignoreNulls from the Column API options too', () => {
    expect(aggregate('first(x)', X, { ignoreNulls: true }).all(rowsOf(null, 5))).toBe(5);
  });

  it('need a literal ignoreNulls flag', () => {
    expect(() => aggregate('first(x, x > 1)', X)).toThrow(/must be a literal true or false/);
  });
});

describe('collect_list and collect_set', () => {
  it('collect_list keeps every non-null value in order', () => {
    expect(aggregate('collect_list(x)', X).all(rowsOf(1, null, 2, 1))).toEqual([1, 2, 1]);
    expect(typeToString(aggregate('collect_list(x)', X).agg.type)).toBe('array<int>');
  });

  it('collect_set keeps each value once, timestamps by time', () => {
    expect(aggregate('collect_set(x)', X).all(rowsOf(1, null, 2, 1))).toEqual([1, 2]);
    const ts = [{ t: utc('2019-02-05 10:00:00') }, { t: utc('2019-02-05 10:00:00') }];
    expect(aggregate('collect_set(t)', 't TIMESTAMP').all(ts)).toEqual([utc('2019-02-05 10:00:00')]);
  });

  it('collect_list returns a copy that later updates do not change', () => {
    const { agg } = aggregate('collect_list(x)', X);
    const acc = agg.update(agg.init(), 1);
    const emitted = agg.result(acc);
    agg.update(acc, 2);
    expect(emitted).toEqual([1]);
  });
});

describe('variance and standard deviation', () => {
  const values = [2, 4, 4, 4, 5, 5, 7, 9];
  const rows = rowsOf(...values, null);

  it('compute population and sample statistics', () => {
    expect(aggregate('var_pop(x)', X).all(rows)).toBeCloseTo(4);
    expect(aggregate('stddev_pop(x)', X).all(rows)).toBeCloseTo(2);
    expect(aggregate('var_samp(x)', X).all(rows)).toBeCloseTo(32 / 7);
    expect(aggregate('variance(x)', X).all(rows)).toBeCloseTo(32 / 7);
    expect(aggregate('stddev(x)', X).all(rows)).toBeCloseTo(Math.sqrt(32 / 7));
    expect(aggregate('stddev_samp(x)', X).all(rows)).toBeCloseTo(Math.sqrt(32 / 7));
  });

  it('give null for a sample statistic of one value and for no values', () => {
    expect(aggregate('stddev(x)', X).all(rowsOf(5))).toBeNull();
    expect(aggregate('var_pop(x)', X).all(rowsOf(5))).toBe(0);
    expect(aggregate('var_pop(x)', X).all([])).toBeNull();
  });

  it('stay accurate for large values with a small spread', () => {
    const big = rowsOf(1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16);
    expect(aggregate('var_samp(x)', 'x DOUBLE').all(big)).toBeCloseTo(30);
  });
});

describe('merging accumulators', () => {
  const rows = rowsOf(5, null, 3, 8, 3, null, 1, 9, 2);

  it.each([
    'count(x)', 'count(*)', 'count(DISTINCT x)', 'sum(x)', 'sum(DISTINCT x)', 'avg(x)', 'min(x)', 'max(x)',
    'first(x)', 'first(x, true)', 'last(x)', 'last(x, true)', 'collect_list(x)', 'collect_set(x)',
    'approx_count_distinct(x)', 'count_if(x > 2)', 'max_by(x, x)', 'min_by(x, x)',
  ])('merging the accumulators of two halves gives what one accumulator gives for %s', (sql) => {
    expectMergeExact(sql, X, rows);
  });

  it.each(['stddev(x)', 'stddev_pop(x)', 'variance(x)', 'var_pop(x)'])(
    'merging moments gives what one accumulator gives for %s, to rounding', (sql) => {
      const run = aggregate(sql, X);
      const whole = run.all(rows) as number;
      for (let at = 0; at <= rows.length; at++) expect(run.split(rows, at)).toBeCloseTo(whole, 10);
    },
  );

  it('merges boolean aggregates', () => {
    const flags = [{ b: true }, { b: null }, { b: false }];
    expectMergeExact('bool_and(b)', 'b BOOLEAN', flags);
    expectMergeExact('bool_or(b)', 'b BOOLEAN', flags);
    expect(aggregate('bool_and(b)', 'b BOOLEAN').all(flags)).toBe(false);
    expect(aggregate('bool_or(b)', 'b BOOLEAN').all(flags)).toBe(true);
  });
});

describe('approx_count_distinct', () => {
  it('is exact enough for small cardinalities and ignores nulls', () => {
    const run = aggregate('approx_count_distinct(x)', X);
    expect(run.all(rowsOf(1, 2, 3, 2, 1, null))).toBe(3);
    expect(run.all([])).toBe(0);
    expect(typeToString(run.agg.type)).toBe('bigint');
  });

  it('refuses a relative error that needs fewer than 4 bits', () => {
    expect(() => aggregate('approx_count_distinct(x, 0.5)', X)).toThrow(/too large/);
  });
});
