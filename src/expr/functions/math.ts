// Math functions. Logarithms of non-positive numbers are null (Spark), other domain errors are
// NaN; floor and ceil give bigint; round is HALF_UP and bround HALF_EVEN on the decimal digits.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import type { DataType } from '../types.js';
import { DOUBLE, LONG, STRING, isIntegral, typeToString, widerNumeric } from '../types.js';
import { compareValues } from '../codegen.js';
import {
  coerce, coercedType, coercersTo, commonTypeOf, defineEach, defineFixed, literalOf, lenientFn, strictFn,
} from './define.js';
import { roundDecimal, type RoundingMode } from './decimal.js';
import { registerScalar } from './registry.js';

/** The type of a `number` argument: its own numeric type, or double for a string. */
const numberType = (args: readonly BoundExpr[]): DataType => coercedType('number', args[0]!);

defineFixed({ name: 'abs', params: ['number'], type: numberType, impl: (x: number) => Math.abs(x) });
defineFixed({ name: 'negative', params: ['number'], type: numberType, impl: (x: number) => -x });
defineFixed({ name: 'positive', params: ['number'], type: numberType, impl: (x: number) => x });

/** A double as the bigint Spark's floor/ceil give: NaN is 0, infinities clamp. */
function toLong(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.max(-(2 ** 63), Math.min(2 ** 63, x)) + 0; // + 0 turns -0 into 0
}

defineEach(['number'], LONG, {
  floor: (x: number) => toLong(Math.floor(x)),
  ceil: (x: number) => toLong(Math.ceil(x)),
}, { ceil: ['ceiling'] });

function roundBind(name: string, mode: RoundingMode) {
  return (args: readonly BoundExpr[]) => {
    let scale = 0;
    if (args[1]) {
      const lit = literalOf(args[1]);
      if (!lit || typeof lit.value !== 'number' || !Number.isInteger(lit.value) || !isIntegral(args[1].type)) {
        throw new AnalysisError(`${name}() scale must be an integer literal, such as ${name}(x, 2)`);
      }
      scale = lit.value;
    }
    const x = args[0]!;
    return strictFn(name, coercedType('number', x), [coerce(name, x, 0, 'number')], (v: number) => roundDecimal(v, scale, mode));
  };
}

registerScalar({ name: 'round', minArgs: 1, maxArgs: 2, bind: roundBind('round', 'HALF_UP') });
registerScalar({ name: 'bround', minArgs: 1, maxArgs: 2, bind: roundBind('bround', 'HALF_EVEN') });

/** Only positive inputs have a logarithm; Spark gives null for the rest. */
const positiveLog = (f: (x: number) => number) => (x: number) => (x <= 0 ? null : f(x));

defineEach(['double'], DOUBLE, {
  sqrt: Math.sqrt,
  cbrt: Math.cbrt,
  exp: Math.exp,
  expm1: Math.expm1,
  ln: positiveLog(Math.log),
  log10: positiveLog(Math.log10),
  log2: positiveLog(Math.log2),
  log1p: (x: number) => (x <= -1 ? null : Math.log1p(x)),
  signum: Math.sign,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  cot: (x: number) => 1 / Math.tan(x),
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  degrees: (x: number) => (x * 180) / Math.PI,
  radians: (x: number) => (x * Math.PI) / 180,
  rint: (x: number) => roundDecimal(x, 0, 'HALF_EVEN'),
}, { signum: ['sign'] });

defineEach(['double', 'double'], DOUBLE, {
  pow: Math.pow,
  atan2: Math.atan2,
  hypot: Math.hypot,
}, { pow: ['power'] });

/** log(x) is ln; log(base, x) is the logarithm of x to `base`. */
registerScalar({
  name: 'log', minArgs: 1, maxArgs: 2,
  bind(args) {
    const coercers = args.map((a, i) => coerce('log', a, i, 'double'));
    return args.length === 1
      ? strictFn('log', DOUBLE, coercers, positiveLog(Math.log))
      : strictFn('log', DOUBLE, coercers, (base: number, x: number) => (base <= 0 || x <= 0 ? null : Math.log(x) / Math.log(base)));
  },
});

defineEach([], DOUBLE, { pi: () => Math.PI, e: () => Math.E });

defineFixed({
  name: 'factorial', params: ['int'], type: LONG,
  impl: (n: number) => {
    if (n < 0 || n > 20) return null;
    let f = 1;
    for (let i = 2; i <= n; i++) f *= i;
    return f;
  },
});

defineFixed({
  name: 'bin', params: ['long'], type: STRING,
  impl: (n: number) => BigInt.asUintN(64, BigInt(Math.trunc(n))).toString(2),
});

/** The wider numeric type of two arguments (strings count as double), for pmod and mod. */
function numericPair(args: readonly BoundExpr[]): DataType {
  return widerNumeric(coercedType('number', args[0]!), coercedType('number', args[1]!));
}

function modBind(name: string, positive: boolean) {
  return (args: readonly BoundExpr[]) => {
    const coercers = args.map((a, i) => coerce(name, a, i, 'number'));
    return strictFn(name, numericPair(args), coercers, (a: number, n: number) => {
      if (n === 0) return null;
      const r = a % n;
      return positive && r < 0 ? (r + n) % n : r;
    });
  };
}

registerScalar({ name: 'pmod', minArgs: 2, maxArgs: 2, bind: modBind('pmod', true) });
registerScalar({ name: 'mod', minArgs: 2, maxArgs: 2, bind: modBind('mod', false) });

/** greatest/least: nulls are skipped; null only when every argument is null. */
function extremeBind(name: string, sign: 1 | -1) {
  return (args: readonly BoundExpr[]) => {
    const type = commonTypeOf(name, args.map((a) => a.type), false);
    if (type.kind === 'map') throw new AnalysisError(`${name}() cannot compare maps (${typeToString(type)})`);
    const coercers = coercersTo(name, args, type);
    return lenientFn(name, type, coercers, (...vs: unknown[]) => {
      let best: unknown = null;
      for (const v of vs) if (v != null && (best === null || sign * compareValues(v, best) > 0)) best = v;
      return best;
    });
  };
}

registerScalar({ name: 'greatest', minArgs: 2, maxArgs: Infinity, bind: extremeBind('greatest', 1) });
registerScalar({ name: 'least', minArgs: 2, maxArgs: Infinity, bind: extremeBind('least', -1) });

// ---- random numbers --------------------------------------------------------------------------

/** mulberry32: a small seeded generator, so rand(seed) repeats its sequence per bound expression. */
function seeded(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSource(name: string, args: readonly BoundExpr[]): () => number {
  if (args.length === 0) return Math.random;
  const lit = literalOf(args[0]);
  if (!lit || (lit.value !== null && typeof lit.value !== 'number')) {
    throw new AnalysisError(`${name}() seed must be an integer literal, such as ${name}(42)`);
  }
  return seeded(typeof lit.value === 'number' ? lit.value : 0);
}

/** A standard normal sample by the Box-Muller transform. */
function gaussian(uniform: () => number): number {
  const u = 1 - uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

registerScalar({
  name: 'rand', aliases: ['random'], minArgs: 0, maxArgs: 1,
  bind(args) {
    const next = randomSource('rand', args);
    return { name: 'rand', type: DOUBLE, impl: () => next(), nullIntolerant: false, nondeterministic: true };
  },
});
registerScalar({
  name: 'randn', minArgs: 0, maxArgs: 1,
  bind(args) {
    const next = randomSource('randn', args);
    return { name: 'randn', type: DOUBLE, impl: () => gaussian(next), nullIntolerant: false, nondeterministic: true };
  },
});
