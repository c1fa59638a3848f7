import { AnalysisError } from '../../../src/errors.js';
import { bound, compiled, evaluate, typeOf } from './support.js';

describe('rounding', () => {
  it('round rounds half up, away from zero', () => {
    expect(evaluate('round(2.5)')).toBe(3);
    expect(evaluate('round(-2.5)')).toBe(-3);
    expect(evaluate('round(0.5)')).toBe(1);
    expect(evaluate('round(2.4)')).toBe(2);
  });

  it('round works on the decimal digits, so 2.675 rounds to 2.68 as in Spark', () => {
    expect(evaluate('round(2.675, 2)')).toBe(2.68);
    expect(evaluate('round(1.005, 2)')).toBe(1.01);
    expect(evaluate('round(3.14159, 3)')).toBe(3.142);
  });

  it('round with a negative scale rounds to tens, hundreds and keeps integer types', () => {
    expect(evaluate('round(15, -1)')).toBe(20);
    expect(evaluate('round(1234.5, -2)')).toBe(1200);
    expect(typeOf('round(15, -1)')).toBe('int');
    expect(typeOf('round(n)', 'n BIGINT')).toBe('bigint');
    expect(typeOf('round(1.5)')).toBe('double');
  });

  it('bround rounds half to even', () => {
    expect(evaluate('bround(2.5)')).toBe(2);
    expect(evaluate('bround(3.5)')).toBe(4);
    expect(evaluate('bround(-2.5)')).toBe(-2);
    expect(evaluate('bround(25, -1)')).toBe(20);
    expect(evaluate('bround(0.125, 2)')).toBe(0.12);
  });

  it('round leaves NaN and infinities alone and passes null through', () => {
    expect(evaluate("round(CAST('NaN' AS DOUBLE))")).toBeNaN();
    expect(evaluate('round(x)', { x: null }, 'x DOUBLE')).toBeNull();
  });

  it('round needs a literal integer scale', () => {
    expect(() => evaluate('round(x, n)', {}, 'x DOUBLE, n INT')).toThrow(/scale must be an integer literal/);
  });

  it('floor and ceil give bigints', () => {
    expect(evaluate('floor(-0.1)')).toBe(-1);
    expect(evaluate('ceil(-0.1)')).toBe(0);
    expect(evaluate('ceiling(4.2)')).toBe(5);
    expect(evaluate('floor(7)')).toBe(7);
    expect(typeOf('floor(1.5)')).toBe('bigint');
    expect(typeOf('ceil(1)')).toBe('bigint');
  });
});

describe('arithmetic functions', () => {
  it('abs keeps the argument type', () => {
    expect(evaluate('abs(-3)')).toBe(3);
    expect(typeOf('abs(-3)')).toBe('int');
    expect(evaluate('abs(-1.5)')).toBe(1.5);
  });

  it('sqrt, pow, exp and the logarithms compute doubles', () => {
    expect(evaluate('sqrt(16)')).toBe(4);
    expect(evaluate('pow(2, 10)')).toBe(1024);
    expect(evaluate('power(2, 0.5)')).toBeCloseTo(Math.SQRT2);
    expect(evaluate('exp(0)')).toBe(1);
    expect(evaluate('ln(e())')).toBe(1);
    expect(evaluate('log10(1000)')).toBeCloseTo(3);
    expect(evaluate('log2(8)')).toBe(3);
    expect(evaluate('log(2, 8)')).toBeCloseTo(3);
    expect(typeOf('sqrt(4)')).toBe('double');
  });

  it('gives null for the logarithm of zero or a negative number, as Spark does', () => {
    expect(evaluate('ln(0)')).toBeNull();
    expect(evaluate('log(-1)')).toBeNull();
    expect(evaluate('log10(-5)')).toBeNull();
    expect(evaluate('log(0, 8)')).toBeNull();
  });

  it('gives NaN for the square root of a negative number', () => {
    expect(evaluate('sqrt(-1)')).toBeNaN();
  });

  it('sign and signum give -1.0, 0.0 or 1.0', () => {
    expect(evaluate('sign(-7)')).toBe(-1);
    expect(evaluate('signum(3.2)')).toBe(1);
    expect(evaluate('signum(0)')).toBe(0);
  });

  it('pmod is never negative, and null for a zero divisor', () => {
    expect(evaluate('pmod(10, 3)')).toBe(1);
    expect(evaluate('pmod(-10, 3)')).toBe(2);
    expect(evaluate('pmod(-7.5, 2)')).toBe(0.5);
    expect(evaluate('pmod(1, 0)')).toBeNull();
    expect(typeOf('pmod(10, 3)')).toBe('int');
  });

  it('converts numeric strings and gives null for text that is no number', () => {
    expect(evaluate("sqrt('16')")).toBe(4);
    expect(evaluate("abs('-2.5')")).toBe(2.5);
    expect(evaluate("sqrt('four')")).toBeNull();
  });

  it('refuses a non-numeric argument with the function name', () => {
    expect(() => evaluate('sqrt(true)')).toThrow(AnalysisError);
    expect(() => evaluate('sqrt(true)')).toThrow(/sqrt\(\) argument 1 must be a number/);
  });
});

describe('greatest and least', () => {
  it('skip nulls and give null only when every argument is null', () => {
    expect(evaluate('greatest(10, 9, 2, 4, 3)')).toBe(10);
    expect(evaluate('least(10, 9, 2, 4, 3)')).toBe(2);
    expect(evaluate('greatest(a, b)', { a: null, b: 5 }, 'a INT, b INT')).toBe(5);
    expect(evaluate('least(a, b)', { a: null, b: null }, 'a INT, b INT')).toBeNull();
  });

  it('widen mixed numbers and compare strings and timestamps', () => {
    expect(typeOf('greatest(1, 2.5)')).toBe('double');
    expect(evaluate("greatest('apple', 'pear', 'fig')")).toBe('pear');
    expect(evaluate("least(TIMESTAMP '2019-02-05 10:00:00', TIMESTAMP '2019-01-01 00:00:00')")).toEqual(new Date('2019-01-01T00:00:00Z'));
  });

  it('refuse arguments of unrelated types', () => {
    expect(() => evaluate("greatest(1, 'a')")).toThrow(/greatest\(\) needs arguments of one type/);
  });
});

describe('trigonometry and constants', () => {
  it('computes the usual functions in radians', () => {
    expect(evaluate('sin(0)')).toBe(0);
    expect(evaluate('cos(0)')).toBe(1);
    expect(evaluate('tan(0)')).toBe(0);
    expect(evaluate('asin(1)')).toBeCloseTo(Math.PI / 2);
    expect(evaluate('acos(1)')).toBe(0);
    expect(evaluate('atan(1)')).toBeCloseTo(Math.PI / 4);
    expect(evaluate('atan2(1, 1)')).toBeCloseTo(Math.PI / 4);
    expect(evaluate('degrees(pi())')).toBe(180);
    expect(evaluate('radians(180)')).toBe(Math.PI);
    expect(evaluate('e()')).toBe(Math.E);
  });
});

describe('random numbers', () => {
  it('rand is marked nondeterministic, so it is never folded into a constant', () => {
    const e = bound('rand()');
    expect(e.k === 'call' && e.fn.nondeterministic).toBe(true);
  });

  it('rand gives doubles in [0, 1)', () => {
    const f = compiled('rand()');
    for (let i = 0; i < 100; i++) {
      const v = f({}) as number;
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
  });

  it('rand with a seed repeats its sequence for each newly bound expression', () => {
    const a = compiled('rand(42)');
    const b = compiled('random(42)');
    const seqA = [a({}), a({}), a({})];
    expect([b({}), b({}), b({})]).toEqual(seqA);
    expect(new Set(seqA).size).toBe(3);
  });
});
