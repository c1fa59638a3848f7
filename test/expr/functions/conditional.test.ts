import { AnalysisError } from '../../../src/errors.js';
import { bound, evaluate, typeOf } from './support.js';

const AB = 'a INT, b INT';

describe('coalesce and nvl', () => {
  it('coalesce gives the first non-null argument', () => {
    expect(evaluate('coalesce(a, b, 3)', { a: null, b: 2 }, AB)).toBe(2);
    expect(evaluate('coalesce(a, b)', { a: null, b: null }, AB)).toBeNull();
  });

  it('coalesce is not null-intolerant: it is called with null arguments', () => {
    const e = bound('coalesce(a, b)', AB);
    expect(e.k === 'call' && e.fn.nullIntolerant).toBe(false);
  });

  it('coalesce brings its arguments to a common type', () => {
    expect(typeOf('coalesce(a, 1.5)', AB)).toBe('double');
    expect(typeOf("coalesce(a, 'none')", AB)).toBe('string');
    expect(evaluate("coalesce(a, 'none')", { a: 7 }, AB)).toBe('7');
  });

  it('nvl and ifnull replace a null', () => {
    expect(evaluate('nvl(a, 0)', { a: null }, AB)).toBe(0);
    expect(evaluate('ifnull(a, 0)', { a: 5 }, AB)).toBe(5);
  });

  it('nvl2 picks by whether the first argument is null', () => {
    expect(evaluate("nvl2(a, 'set', 'unset')", { a: 1 }, AB)).toBe('set');
    expect(evaluate("nvl2(a, 'set', 'unset')", { a: null }, AB)).toBe('unset');
  });

  it('nullif gives null for equal arguments', () => {
    expect(evaluate('nullif(a, b)', { a: 1, b: 1 }, AB)).toBeNull();
    expect(evaluate('nullif(a, b)', { a: 1, b: 2 }, AB)).toBe(1);
    expect(evaluate('nullif(a, b)', { a: 1, b: null }, AB)).toBe(1);
  });
});

describe('if', () => {
  it('takes the second argument when the condition is true, the third when false or null', () => {
    expect(evaluate("if(a > b, 'a', 'b')", { a: 2, b: 1 }, AB)).toBe('a');
    expect(evaluate("if(a > b, 'a', 'b')", { a: 1, b: 2 }, AB)).toBe('b');
    expect(evaluate("if(a > b, 'a', 'b')", { a: null, b: 2 }, AB)).toBe('b');
  });

  it('has the common type of its branches', () => {
    expect(typeOf('if(a > b, a, 1.5)', AB)).toBe('double');
    expect(evaluate('if(a > b, NULL, a)', { a: 1, b: 2 }, AB)).toBe(1);
    expect(typeOf('if(a > b, NULL, a)', AB)).toBe('int');
  });

  it('needs a boolean condition', () => {
    expect(() => evaluate("if(a, 'x', 'y')", {}, AB)).toThrow(AnalysisError);
    expect(() => evaluate("if(a, 'x', 'y')", {}, AB)).toThrow(/if\(\) needs a boolean condition/);
  });
});

describe('null and NaN tests', () => {
  it('isnull and isnotnull never give null', () => {
    expect(evaluate('isnull(a)', { a: null }, AB)).toBe(true);
    expect(evaluate('isnotnull(a)', { a: null }, AB)).toBe(false);
    expect(evaluate('isnull(a)', { a: 0 }, AB)).toBe(false);
  });

  it('isnan is false for null and for numbers, true for NaN', () => {
    expect(evaluate("isnan(CAST('NaN' AS DOUBLE))")).toBe(true);
    expect(evaluate('isnan(x)', { x: null }, 'x DOUBLE')).toBe(false);
    expect(evaluate('isnan(1.0)')).toBe(false);
  });

  it('nanvl replaces NaN and keeps a null first argument null', () => {
    expect(evaluate("nanvl(CAST('NaN' AS DOUBLE), 123)")).toBe(123);
    expect(evaluate('nanvl(2.5, 123)')).toBe(2.5);
    expect(evaluate('nanvl(x, 1)', { x: null }, 'x DOUBLE')).toBeNull();
  });
});
