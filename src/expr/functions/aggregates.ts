// Aggregate functions. Each is init/update/merge/result over an accumulator made of plain data
// (numbers, objects, arrays, Maps, Sets, Uint8Arrays), so accumulators survive v8.serialize into
// state stores. Nulls are ignored as in Spark; an aggregate over no values is null (count: 0).
// `merge` is exact: merging two accumulators equals feeding both inputs to one.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import type { DataType } from '../types.js';
import { BOOLEAN, DOUBLE, LONG, arrayOf, isIntegral } from '../types.js';
import { apply, argError, coerce, literalOf, type Coerce } from './define.js';
import { addToSketch, createSketch, estimateSketch, mergeSketches, precisionFor } from './hyperloglog.js';
import { registerAggregate, type BoundAggregate } from './registry.js';
import { canonicalKey, compareAny } from './values.js';

type Options = Readonly<Record<string, unknown>> | undefined;

interface AggSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly minArgs: number;
  readonly maxArgs: number;
  bind(args: readonly BoundExpr[], options: Options): BoundAggregate;
  /** A cheaper DISTINCT form than the generic one (count). */
  bindDistinct?(args: readonly BoundExpr[], options: Options): BoundAggregate;
}

function defineAggregate(spec: AggSpec): void {
  registerAggregate({
    name: spec.name,
    ...(spec.aliases ? { aliases: spec.aliases } : {}),
    minArgs: spec.minArgs,
    maxArgs: spec.maxArgs,
    bind(args, distinct, options) {
      if (!distinct) return spec.bind(args, options);
      return spec.bindDistinct ? spec.bindDistinct(args, options) : distinctOf(spec.bind(args, options));
    },
  });
}

/**
 * agg(DISTINCT x): keeps each distinct argument tuple once (rows with a null argument are
 * skipped) and folds the kept tuples into the inner aggregate only when the result is asked for.
 */
function distinctOf<A>(inner: BoundAggregate<A>): BoundAggregate<Map<string, unknown[]>> {
  return {
    name: inner.name,
    type: inner.type,
    init: () => new Map(),
    update(acc, ...values) {
      if (values.some((v) => v == null)) return acc;
      const key = canonicalKey(values);
      if (!acc.has(key)) acc.set(key, values);
      return acc;
    },
    merge(a, b) {
      for (const [k, v] of b) if (!a.has(k)) a.set(k, v);
      return a;
    },
    result(acc) {
      let s = inner.init();
      for (const values of acc.values()) s = inner.update(s, ...values);
      return inner.result(s);
    },
  };
}

/** A literal boolean flag at argument `i` (or in options under `key`), e.g. first(x, true). */
function flag(fn: string, args: readonly BoundExpr[], i: number, options: Options, key: string): boolean {
  const fromOptions = options?.[key];
  if (typeof fromOptions === 'boolean') return fromOptions;
  if (!args[i]) return false;
  const lit = literalOf(args[i]);
  if (!lit || typeof lit.value !== 'boolean') throw new AnalysisError(`${fn}() argument ${i + 1} must be a literal true or false`);
  return lit.value;
}

function comparable(fn: string, arg: BoundExpr, i: number): DataType {
  if (arg.type.kind === 'map') throw argError(fn, i, 'a value that can be ordered (not a map)', arg.type);
  return arg.type;
}

// ---- counting --------------------------------------------------------------------------------

const countRows: BoundAggregate<number> = {
  name: 'count', type: LONG,
  init: () => 0,
  update: (acc) => acc + 1,
  merge: (a, b) => a + b,
  result: (acc) => acc,
};

defineAggregate({
  name: 'count', minArgs: 0, maxArgs: Infinity,
  // count(*) arrives with no arguments, count(1) with a literal: both count rows.
  bind: (args) => {
    // count(1) / count('x'): a non-null literal counts every row, like count(*).
    if (args.every((a) => a.k === 'lit' && a.value !== null)) {
      return { ...countRows, updateCode: (acc: string) => `${acc} + 1`, numericBuffer: { nullable: false, bufferCode: (acc: string) => `${acc} += 1;` } };
    }
    const anyNull = (values: readonly string[]): string => values.map((v) => `${v} == null`).join(' || ');
    return {
      ...countRows,
      update: (acc: number, ...values: unknown[]) => (values.some((v) => v == null) ? acc : acc + 1),
      updateCode: (acc: string, values: readonly string[]) => `${anyNull(values)} ? ${acc} : ${acc} + 1`,
      numericBuffer: { nullable: false, bufferCode: (acc: string, values: readonly string[]) => `if (!(${anyNull(values)})) ${acc} += 1;` },
    };
  },
  bindDistinct: (): BoundAggregate<Set<string>> => ({
    name: 'count', type: LONG,
    init: () => new Set(),
    update(acc, ...values) {
      if (!values.some((v) => v == null)) acc.add(canonicalKey(values.length === 1 ? values[0] : values));
      return acc;
    },
    merge(a, b) {
      for (const k of b) a.add(k);
      return a;
    },
    result: (acc) => acc.size,
  }),
});

defineAggregate({
  name: 'count_if', minArgs: 1, maxArgs: 1,
  bind(args) {
    if (args[0]!.type.kind !== 'boolean' && args[0]!.type.kind !== 'null') throw argError('count_if', 0, 'a boolean', args[0]!.type);
    return { ...countRows, name: 'count_if', update: (acc: number, v: unknown) => (v === true ? acc + 1 : acc) };
  },
});

defineAggregate({
  name: 'approx_count_distinct', minArgs: 1, maxArgs: 2,
  bind(args, options): BoundAggregate<Uint8Array> {
    const rsd = rsdOf(args[1], options);
    const p = precisionFor(rsd);
    if (p < 4) throw new AnalysisError(`approx_count_distinct() relative error ${rsd} is too large: use at most 0.39`);
    if (p > 18) throw new AnalysisError(`approx_count_distinct() relative error ${rsd} is too small: use at least 0.003`);
    return {
      name: 'approx_count_distinct', type: LONG,
      init: () => createSketch(p),
      update: (acc, v) => (v == null ? acc : addToSketch(acc, canonicalKey(v))),
      merge: mergeSketches,
      result: estimateSketch,
    };
  },
});

function rsdOf(arg: BoundExpr | undefined, options: Options): number {
  const given = options?.['rsd'] ?? (arg ? literalOf(arg)?.value : 0.05);
  if (typeof given !== 'number' || !(given > 0)) {
    throw new AnalysisError('approx_count_distinct() relative error must be a positive literal number, such as 0.05');
  }
  return given;
}

// ---- sums and averages -----------------------------------------------------------------------

function numeric(fn: string, arg: BoundExpr): Coerce | undefined {
  return coerce(fn, arg, 0, 'double');
}

defineAggregate({
  name: 'sum', minArgs: 1, maxArgs: 1,
  bind(args): BoundAggregate<number | null> {
    const c = numeric('sum', args[0]!);
    return {
      name: 'sum', type: isIntegral(args[0]!.type) ? LONG : DOUBLE,
      init: () => null,
      update(acc, v) {
        const x = apply(c, v) as number | null;
        return x === null ? acc : (acc ?? 0) + x;
      },
      merge: (a, b) => (a === null ? b : b === null ? a : a + b),
      result: (acc) => acc,
      ...(c === undefined ? {
        updateCode: (acc: string, [v]: readonly string[]) => `${v} == null ? ${acc} : (${acc} ?? 0) + ${v}`,
        numericBuffer: { nullable: true, bufferCode: (acc: string, [v]: readonly string[], seen: string) => `if (${v} != null) { ${acc} += ${v}; ${seen} = 1; }` },
      } : {}),
    };
  },
});

interface Mean { n: number; sum: number }

defineAggregate({
  name: 'avg', aliases: ['mean'], minArgs: 1, maxArgs: 1,
  bind(args): BoundAggregate<Mean> {
    const c = numeric('avg', args[0]!);
    return {
      name: 'avg', type: DOUBLE,
      init: () => ({ n: 0, sum: 0 }),
      update(acc, v) {
        const x = apply(c, v) as number | null;
        if (x !== null) {
          acc.n++;
          acc.sum += x;
        }
        return acc;
      },
      merge(a, b) {
        a.n += b.n;
        a.sum += b.sum;
        return a;
      },
      result: (acc) => (acc.n === 0 ? null : acc.sum / acc.n),
    };
  },
});

/** Welford's running moments: count, mean and the sum of squared deviations. */
interface Moments { n: number; mean: number; m2: number }

function momentsAggregate(name: string, arg: BoundExpr, result: (m: Moments) => number | null): BoundAggregate<Moments> {
  const c = numeric(name, arg);
  return {
    name, type: DOUBLE,
    init: () => ({ n: 0, mean: 0, m2: 0 }),
    update(acc, v) {
      const x = apply(c, v) as number | null;
      if (x === null) return acc;
      acc.n++;
      const delta = x - acc.mean;
      acc.mean += delta / acc.n;
      acc.m2 += delta * (x - acc.mean);
      return acc;
    },
    // Chan et al.'s pairwise combination.
    merge(a, b) {
      if (b.n === 0) return a;
      if (a.n === 0) return { ...b };
      const n = a.n + b.n;
      const delta = b.mean - a.mean;
      a.m2 += b.m2 + (delta * delta * a.n * b.n) / n;
      a.mean += (delta * b.n) / n;
      a.n = n;
      return a;
    },
    result,
  };
}

/** Spark 3 gives null (not NaN) for a sample statistic of one value. */
const varSamp = (m: Moments): number | null => (m.n < 2 ? null : m.m2 / (m.n - 1));
const varPop = (m: Moments): number | null => (m.n === 0 ? null : m.m2 / m.n);
const sqrtOrNull = (v: number | null): number | null => (v === null ? null : Math.sqrt(v));

const STATISTICS: readonly [string, readonly string[], (m: Moments) => number | null][] = [
  ['stddev_samp', ['stddev', 'std'], (m) => sqrtOrNull(varSamp(m))],
  ['stddev_pop', [], (m) => sqrtOrNull(varPop(m))],
  ['var_samp', ['variance'], varSamp],
  ['var_pop', [], varPop],
];
for (const [name, aliases, result] of STATISTICS) {
  defineAggregate({ name, aliases, minArgs: 1, maxArgs: 1, bind: (args) => momentsAggregate(name, args[0]!, result) });
}

// ---- min, max, first, last -------------------------------------------------------------------

function extremeAggregate(name: string, sign: 1 | -1) {
  return (args: readonly BoundExpr[]): BoundAggregate<unknown> => {
    const better = (v: unknown, acc: unknown): boolean => acc == null || sign * compareAny(v, acc) > 0;
    return {
      name, type: comparable(name, args[0]!, 0),
      init: () => null,
      update: (acc, v) => (v != null && better(v, acc) ? v : acc),
      merge: (a, b) => (b != null && better(b, a) ? b : a),
      result: (acc) => acc ?? null,
    };
  };
}

defineAggregate({ name: 'max', minArgs: 1, maxArgs: 1, bind: extremeAggregate('max', 1) });
defineAggregate({ name: 'min', minArgs: 1, maxArgs: 1, bind: extremeAggregate('min', -1) });

/** max_by(x, ord) / min_by: the x of the row with the greatest (least) non-null ord. */
interface ByOrder { has: boolean; value: unknown; order: unknown }

function byAggregate(name: string, sign: 1 | -1) {
  return (args: readonly BoundExpr[]): BoundAggregate<ByOrder> => {
    comparable(name, args[1]!, 1);
    const better = (o: unknown, acc: ByOrder): boolean => !acc.has || sign * compareAny(o, acc.order) > 0;
    return {
      name, type: args[0]!.type,
      init: () => ({ has: false, value: null, order: null }),
      update(acc, v, o) {
        if (o != null && better(o, acc)) Object.assign(acc, { has: true, value: v ?? null, order: o });
        return acc;
      },
      merge: (a, b) => (b.has && better(b.order, a) ? b : a),
      result: (acc) => acc.value,
    };
  };
}

defineAggregate({ name: 'max_by', minArgs: 2, maxArgs: 2, bind: byAggregate('max_by', 1) });
defineAggregate({ name: 'min_by', minArgs: 2, maxArgs: 2, bind: byAggregate('min_by', -1) });

interface Picked { has: boolean; value: unknown }

/** first/last(x[, ignoreNulls]): without ignoreNulls a null value counts as the pick. */
function pickAggregate(name: string, keepFirst: boolean) {
  return (args: readonly BoundExpr[], options: Options): BoundAggregate<Picked> => {
    const ignoreNulls = flag(name, args, 1, options, 'ignoreNulls');
    return {
      name, type: args[0]!.type,
      init: () => ({ has: false, value: null }),
      update(acc, v) {
        if ((keepFirst && acc.has) || (ignoreNulls && v == null)) return acc;
        acc.has = true;
        acc.value = v ?? null;
        return acc;
      },
      merge: (a, b) => (keepFirst ? (a.has ? a : b) : b.has ? b : a),
      result: (acc) => acc.value,
    };
  };
}

defineAggregate({ name: 'first', aliases: ['first_value'], minArgs: 1, maxArgs: 2, bind: pickAggregate('first', true) });
defineAggregate({ name: 'last', aliases: ['last_value'], minArgs: 1, maxArgs: 2, bind: pickAggregate('last', false) });

// ---- collecting ------------------------------------------------------------------------------

defineAggregate({
  name: 'collect_list', aliases: ['array_agg'], minArgs: 1, maxArgs: 1,
  bind: (args): BoundAggregate<unknown[]> => ({
    name: 'collect_list', type: arrayOf(args[0]!.type),
    init: () => [],
    update(acc, v) {
      if (v != null) acc.push(v);
      return acc;
    },
    merge(a, b) {
      for (const v of b) a.push(v); // not push(...b): b may exceed the argument limit
      return a;
    },
    result: (acc) => acc.slice(), // a copy: the accumulator keeps growing after an update-mode emit
  }),
});

/** collect_set: distinct by canonical key (dates by time), first occurrence kept, in arrival order. */
defineAggregate({
  name: 'collect_set', minArgs: 1, maxArgs: 1,
  bind(args): BoundAggregate<Map<string, unknown>> {
    if (args[0]!.type.kind === 'map') throw argError('collect_set', 0, 'a value other than a map', args[0]!.type);
    return {
      name: 'collect_set', type: arrayOf(args[0]!.type),
      init: () => new Map(),
      update(acc, v) {
        if (v == null) return acc;
        const k = canonicalKey(v);
        if (!acc.has(k)) acc.set(k, v);
        return acc;
      },
      merge(a, b) {
        for (const [k, v] of b) if (!a.has(k)) a.set(k, v);
        return a;
      },
      result: (acc) => [...acc.values()],
    };
  },
});

// ---- booleans --------------------------------------------------------------------------------

function boolAggregate(name: string, isAnd: boolean) {
  return (args: readonly BoundExpr[]): BoundAggregate<boolean | null> => {
    const t = args[0]!.type;
    if (t.kind !== 'boolean' && t.kind !== 'null') throw argError(name, 0, 'a boolean', t);
    const combine = (a: boolean | null, b: boolean | null): boolean | null =>
      (a === null ? b : b === null ? a : isAnd ? a && b : a || b);
    return {
      name, type: BOOLEAN,
      init: () => null,
      update: (acc, v) => combine(acc, typeof v === 'boolean' ? v : null),
      merge: combine,
      result: (acc) => acc,
    };
  };
}

defineAggregate({ name: 'bool_and', aliases: ['every'], minArgs: 1, maxArgs: 1, bind: boolAggregate('bool_and', true) });
defineAggregate({ name: 'bool_or', aliases: ['some', 'any'], minArgs: 1, maxArgs: 1, bind: boolAggregate('bool_or', false) });
