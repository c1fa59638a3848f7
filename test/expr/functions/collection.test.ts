import { AnalysisError } from '../../../src/errors.js';
import { evaluate, typeOf, utc } from './support.js';

const XS = 'xs ARRAY<INT>';
const M = 'm MAP<STRING, INT>';

describe('size', () => {
  it('counts array elements and map entries', () => {
    expect(evaluate('size(xs)', { xs: [1, 2, 3] }, XS)).toBe(3);
    expect(evaluate('cardinality(m)', { m: { a: 1, b: 2 } }, M)).toBe(2);
    expect(evaluate('size(array())')).toBe(0);
  });

  it('gives -1 for null, as Spark does by default', () => {
    expect(evaluate('size(xs)', { xs: null }, XS)).toBe(-1);
    expect(evaluate('size(NULL)')).toBe(-1);
  });

  it('refuses anything but an array or a map', () => {
    expect(() => evaluate("size('abc')")).toThrow(/size\(\) argument 1 must be an array or a map/);
  });
});

describe('building arrays and maps', () => {
  it('array() brings its elements to a common type and keeps nulls', () => {
    expect(evaluate('array(1, 2.5, NULL)')).toEqual([1, 2.5, null]);
    expect(typeOf('array(1, 2.5)')).toBe('array<double>');
    expect(typeOf("array(1, 'a')")).toBe('array<string>');
    expect(evaluate("array(1, 'a')")).toEqual(['1', 'a']);
  });

  it('map() pairs keys with values', () => {
    expect(evaluate("map('a', 1, 'b', 2)")).toEqual({ a: 1, b: 2 });
    expect(typeOf("map('a', 1)")).toBe('map<string,int>');
    expect(() => evaluate("map('a')")).toThrow(AnalysisError);
  });

  it('map_from_arrays pairs two arrays and refuses arrays of different lengths', () => {
    const ddl = 'ks ARRAY<STRING>, vs ARRAY<INT>';
    expect(evaluate('map_from_arrays(ks, vs)', { ks: ['a', 'b'], vs: [1, null] }, ddl)).toEqual({ a: 1, b: null });
    expect(() => evaluate('map_from_arrays(ks, vs)', { ks: ['a'], vs: [] }, ddl)).toThrow(/equal length/);
  });

  it('map_keys and map_values list a map', () => {
    expect(evaluate('map_keys(m)', { m: { a: 1, b: 2 } }, M)).toEqual(['a', 'b']);
    expect(evaluate('map_values(m)', { m: { a: 1, b: 2 } }, M)).toEqual([1, 2]);
    expect(evaluate('map_keys(map(1, 2))')).toEqual([1]);
  });
});

describe('looking elements up', () => {
  it('element_at counts from 1, and from the end for a negative index', () => {
    const row = { xs: [10, 20, 30] };
    expect(evaluate('element_at(xs, 1)', row, XS)).toBe(10);
    expect(evaluate('element_at(xs, -1)', row, XS)).toBe(30);
    expect(evaluate('element_at(xs, 4)', row, XS)).toBeNull();
  });

  it('element_at refuses index 0', () => {
    expect(() => evaluate('element_at(xs, 0)', { xs: [1] }, XS)).toThrow(/indices start at 1/);
  });

  it('element_at looks a key up in a map', () => {
    expect(evaluate("element_at(m, 'b')", { m: { a: 1, b: 2 } }, M)).toBe(2);
    expect(evaluate("element_at(m, 'z')", { m: { a: 1 } }, M)).toBeNull();
    expect(evaluate("element_at(m, 'toString')", { m: { a: 1 } }, M)).toBeNull();
  });

  it('array_contains is true, false, or null when absent but a null is present', () => {
    expect(evaluate('array_contains(xs, 2)', { xs: [1, 2] }, XS)).toBe(true);
    expect(evaluate('array_contains(xs, 3)', { xs: [1, 2] }, XS)).toBe(false);
    expect(evaluate('array_contains(xs, 3)', { xs: [1, null] }, XS)).toBeNull();
    expect(evaluate('array_contains(xs, NULL)', { xs: [1] }, XS)).toBeNull();
  });

  it('array_contains compares timestamps by time', () => {
    const row = { ts: [utc('2019-02-05 10:05:00')] };
    expect(evaluate("array_contains(ts, TIMESTAMP '2019-02-05 10:05:00')", row, 'ts ARRAY<TIMESTAMP>')).toBe(true);
  });

  it('array_position gives the 1-based position of the first match, or 0', () => {
    expect(evaluate('array_position(xs, 3)', { xs: [1, 3, 3] }, XS)).toBe(2);
    expect(evaluate('array_position(xs, 9)', { xs: [1] }, XS)).toBe(0);
  });
});

describe('reshaping arrays', () => {
  it('array_distinct keeps the first of equal elements, one null included', () => {
    expect(evaluate('array_distinct(xs)', { xs: [1, 2, 1, null, 3, null] }, XS)).toEqual([1, 2, null, 3]);
  });

  it('array_remove removes every equal element', () => {
    expect(evaluate('array_remove(xs, 1)', { xs: [1, 2, 1, null] }, XS)).toEqual([2, null]);
  });

  it('array_join skips nulls unless given a replacement', () => {
    const row = { xs: ['a', null, 'b'] };
    expect(evaluate("array_join(xs, ', ')", row, 'xs ARRAY<STRING>')).toBe('a, b');
    expect(evaluate("array_join(xs, ', ', '?')", row, 'xs ARRAY<STRING>')).toBe('a, ?, b');
    expect(evaluate("array_join(xs, '-')", { xs: [1, 2] }, XS)).toBe('1-2');
  });

  it('sort_array sorts nulls first ascending and last descending', () => {
    const row = { xs: [3, null, 1, 2] };
    expect(evaluate('sort_array(xs)', row, XS)).toEqual([null, 1, 2, 3]);
    expect(evaluate('sort_array(xs, false)', row, XS)).toEqual([3, 2, 1, null]);
    expect(evaluate('array_sort(xs)', row, XS)).toEqual([1, 2, 3, null]);
  });

  it('sort_array does not change its input', () => {
    const row = { xs: [2, 1] };
    evaluate('sort_array(xs)', row, XS);
    expect(row.xs).toEqual([2, 1]);
  });

  it('array_max and array_min skip nulls', () => {
    expect(evaluate('array_max(xs)', { xs: [1, null, 5, 3] }, XS)).toBe(5);
    expect(evaluate('array_min(xs)', { xs: [4, null, 2] }, XS)).toBe(2);
    expect(evaluate('array_max(xs)', { xs: [] }, XS)).toBeNull();
  });

  it('flatten joins inner arrays, giving null when one of them is null', () => {
    const ddl = 'xss ARRAY<ARRAY<INT>>';
    expect(evaluate('flatten(xss)', { xss: [[1, 2], [], [3]] }, ddl)).toEqual([1, 2, 3]);
    expect(evaluate('flatten(xss)', { xss: [[1], null] }, ddl)).toBeNull();
    expect(typeOf('flatten(xss)', ddl)).toBe('array<int>');
  });

  it('slice takes a 1-based start, negative from the end, and a length', () => {
    const row = { xs: [1, 2, 3, 4] };
    expect(evaluate('slice(xs, 2, 2)', row, XS)).toEqual([2, 3]);
    expect(evaluate('slice(xs, -2, 5)', row, XS)).toEqual([3, 4]);
    expect(evaluate('slice(xs, 9, 1)', row, XS)).toEqual([]);
    expect(() => evaluate('slice(xs, 0, 1)', row, XS)).toThrow(/start must not be 0/);
    expect(() => evaluate('slice(xs, 1, -1)', row, XS)).toThrow(/length must be at least 0/);
  });

  it('array_union, array_intersect and array_except act as sets', () => {
    const ddl = 'a ARRAY<INT>, b ARRAY<INT>';
    const row = { a: [1, 2, 2, 3], b: [3, 4] };
    expect(evaluate('array_union(a, b)', row, ddl)).toEqual([1, 2, 3, 4]);
    expect(evaluate('array_intersect(a, b)', row, ddl)).toEqual([3]);
    expect(evaluate('array_except(a, b)', row, ddl)).toEqual([1, 2]);
  });
});
