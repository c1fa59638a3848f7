// Array and map functions. Arrays are 1-based in SQL (element_at, slice, array_position); maps
// are plain objects keyed by the key's string form. Generators (explode) belong to the planner.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import { valueToString } from '../cast.js';
import { compareValues, deepEqual } from '../codegen.js';
import type { ArrayType, DataType, MapType } from '../types.js';
import { BOOLEAN, INTEGER, NULL, STRING, arrayOf, mapOf, typeToString } from '../types.js';
import {
  apply, argError, castTo, coerce, coercersTo, commonTypeOf, lenientFn, literalOf, strictFn, type Coerce,
} from './define.js';
import { registerScalar } from './registry.js';
import { DataError, canonicalKey, put } from './values.js';

function arrayArg(fn: string, args: readonly BoundExpr[], i: number): ArrayType {
  const t = args[i]!.type;
  if (t.kind === 'array') return t;
  if (t.kind === 'null') return arrayOf<DataType>(NULL);
  throw argError(fn, i, 'an array', t);
}

/** A converter bringing argument `i` to the element type of the array argument. */
function toElement(fn: string, arr: ArrayType, arg: BoundExpr, i: number): Coerce | undefined {
  if (arg.type.kind === 'null' || arr.element.kind === 'null') return undefined;
  try {
    return castTo(arg.type, arr.element);
  } catch {
    throw argError(fn, i, `a value of the array's element type ${typeToString(arr.element)}`, arg.type);
  }
}

// ---- construction ----------------------------------------------------------------------------

registerScalar({
  name: 'array', minArgs: 0, maxArgs: Infinity,
  bind(args) {
    const elem = commonTypeOf('array', args.map((a) => a.type), true);
    const coercers = coercersTo('array', args, elem);
    return lenientFn('array', arrayOf(elem), coercers, (...xs: unknown[]) => xs);
  },
});

/** map(k1, v1, k2, v2, ...): keys are stored by their string form; a null key is an error. */
registerScalar({
  name: 'map', minArgs: 0, maxArgs: Infinity,
  bind(args) {
    if (args.length % 2 !== 0) throw new AnalysisError(`map() takes key, value pairs, but got ${args.length} arguments`);
    const keys = args.filter((_, i) => i % 2 === 0);
    const values = args.filter((_, i) => i % 2 === 1);
    const keyType = commonTypeOf('map', keys.map((a) => a.type), true);
    const valueType = commonTypeOf('map', values.map((a) => a.type), true);
    const vc = coercersTo('map', values, valueType);
    const type = mapOf(keyType.kind === 'null' ? STRING : keyType, valueType.kind === 'null' ? STRING : valueType);
    return lenientFn('map', type, [], (...kv: unknown[]) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < kv.length; i += 2) put(out, mapKey('map', kv[i]), apply(vc[i / 2], kv[i + 1]));
      return out;
    });
  },
});

/** The string a map key is stored under (maps are plain objects). */
function mapKey(fn: string, k: unknown): string {
  if (k == null) throw new DataError(`${fn}(): a map key cannot be null`);
  return valueToString(k);
}

const keyText: Coerce = (k) => valueToString(k);

registerScalar({
  name: 'map_from_arrays', minArgs: 2, maxArgs: 2,
  bind(args) {
    const keys = arrayArg('map_from_arrays', args, 0);
    const values = arrayArg('map_from_arrays', args, 1);
    return strictFn('map_from_arrays', mapOf(keys.element, values.element), [], (ks: unknown[], vs: unknown[]) => {
      if (ks.length !== vs.length) {
        throw new DataError(`map_from_arrays() needs arrays of equal length, got ${ks.length} keys and ${vs.length} values`);
      }
      const out: Record<string, unknown> = {};
      ks.forEach((k, i) => {
        put(out, mapKey('map_from_arrays', k), vs[i] ?? null);
      });
      return out;
    });
  },
});

// ---- size and lookups ------------------------------------------------------------------------

/** size(null) is -1, Spark's legacy default (spark.sql.legacy.sizeOfNull). */
registerScalar({
  name: 'size', aliases: ['cardinality'], minArgs: 1, maxArgs: 1,
  bind(args) {
    const t = args[0]!.type;
    if (t.kind !== 'array' && t.kind !== 'map' && t.kind !== 'null') throw argError('size', 0, 'an array or a map', t);
    return lenientFn('size', INTEGER, [], (v: unknown) => (v == null ? -1 : Array.isArray(v) ? v.length : Object.keys(v as object).length));
  },
});

registerScalar({
  name: 'element_at', minArgs: 2, maxArgs: 2,
  bind(args) {
    const t = args[0]!.type;
    if (t.kind === 'map') {
      return strictFn('element_at', t.value, [undefined, keyText],
        (m: Record<string, unknown>, k: string) => (Object.prototype.hasOwnProperty.call(m, k) ? m[k] ?? null : null));
    }
    const arr = arrayArg('element_at', args, 0);
    return strictFn('element_at', arr.element, [undefined, coerce('element_at', args[1]!, 1, 'int')], (xs: unknown[], i: number) => {
      if (i === 0) throw new DataError('element_at(): SQL array indices start at 1, got 0');
      const at = i > 0 ? i - 1 : xs.length + i;
      return at >= 0 && at < xs.length ? xs[at] ?? null : null;
    });
  },
});

/** array_contains: null when not found but the array holds a null (three-valued logic). */
registerScalar({
  name: 'array_contains', minArgs: 2, maxArgs: 2,
  bind(args) {
    const arr = arrayArg('array_contains', args, 0);
    const c = toElement('array_contains', arr, args[1]!, 1);
    return strictFn('array_contains', BOOLEAN, [undefined, c], (xs: unknown[], v: unknown) => {
      let sawNull = false;
      for (const x of xs) {
        if (x == null) sawNull = true;
        else if (deepEqual(x, v)) return true;
      }
      return sawNull ? null : false;
    });
  },
});

registerScalar({
  name: 'array_position', minArgs: 2, maxArgs: 2,
  bind(args) {
    const arr = arrayArg('array_position', args, 0);
    const c = toElement('array_position', arr, args[1]!, 1);
    return strictFn('array_position', { kind: 'long' }, [undefined, c], (xs: unknown[], v: unknown) => xs.findIndex((x) => x != null && deepEqual(x, v)) + 1);
  },
});

registerScalar({
  name: 'array_remove', minArgs: 2, maxArgs: 2,
  bind(args) {
    const arr = arrayArg('array_remove', args, 0);
    const c = toElement('array_remove', arr, args[1]!, 1);
    return strictFn('array_remove', arr, [undefined, c], (xs: unknown[], v: unknown) => xs.filter((x) => x == null || !deepEqual(x, v)));
  },
});

// ---- reshaping -------------------------------------------------------------------------------

/** Keeps the first of equal elements (nulls included, once), by canonical key. */
function distinct(xs: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  return xs.filter((x) => {
    const k = canonicalKey(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function unary(name: string, type: (arr: ArrayType) => DataType, impl: (xs: unknown[]) => unknown): void {
  registerScalar({
    name, minArgs: 1, maxArgs: 1,
    bind(args) {
      return strictFn(name, type(arrayArg(name, args, 0)), [], impl);
    },
  });
}

unary('array_distinct', (a) => a, distinct);
unary('array_max', (a) => a.element, (xs) => extreme(xs, 1));
unary('array_min', (a) => a.element, (xs) => extreme(xs, -1));
unary('array_sort', (a) => a, (xs) => [...xs].sort((a, b) => (a == null ? (b == null ? 0 : 1) : b == null ? -1 : compareValues(a, b))));

/** The greatest (sign 1) or least (-1) non-null element; null for none. */
function extreme(xs: readonly unknown[], sign: 1 | -1): unknown {
  let best: unknown = null;
  for (const x of xs) if (x != null && (best === null || sign * compareValues(x, best) > 0)) best = x;
  return best;
}

registerScalar({
  name: 'flatten', minArgs: 1, maxArgs: 1,
  bind(args) {
    const outer = arrayArg('flatten', args, 0);
    if (outer.element.kind !== 'array' && outer.element.kind !== 'null') {
      throw argError('flatten', 0, 'an array of arrays', outer);
    }
    // Spark: a null inner array makes the whole result null.
    return strictFn('flatten', outer.element.kind === 'array' ? outer.element : outer, [],
      (xss: unknown[][]) => (xss.some((x) => x == null) ? null : ([] as unknown[]).concat(...xss)));
  },
});

/** sort_array(arr[, asc]): ascending puts nulls first, descending last. */
registerScalar({
  name: 'sort_array', minArgs: 1, maxArgs: 2,
  bind(args) {
    const arr = arrayArg('sort_array', args, 0);
    let asc = true;
    if (args[1]) {
      const lit = literalOf(args[1]);
      if (!lit || typeof lit.value !== 'boolean') throw new AnalysisError('sort_array() direction must be a literal true (ascending) or false');
      asc = lit.value;
    }
    const sign = asc ? 1 : -1;
    return strictFn('sort_array', arr, [], (xs: unknown[]) => [...xs].sort((a, b) => sign * compareValues(a, b)));
  },
});

/** slice(arr, start, length): start is 1-based (negative counts from the end), never 0. */
registerScalar({
  name: 'slice', minArgs: 3, maxArgs: 3,
  bind(args) {
    const arr = arrayArg('slice', args, 0);
    const coercers = [undefined, coerce('slice', args[1]!, 1, 'int'), coerce('slice', args[2]!, 2, 'int')];
    return strictFn('slice', arr, coercers, (xs: unknown[], start: number, len: number) => {
      if (start === 0) throw new DataError('slice(): SQL array indices start at 1; start must not be 0');
      if (len < 0) throw new DataError(`slice(): length must be at least 0, got ${len}`);
      const from = start > 0 ? start - 1 : xs.length + start;
      return from < 0 || from >= xs.length ? [] : xs.slice(from, from + len);
    });
  },
});

/** array_join(arr, sep[, nullReplacement]): nulls are skipped unless a replacement is given. */
registerScalar({
  name: 'array_join', minArgs: 2, maxArgs: 3,
  bind(args) {
    const arr = arrayArg('array_join', args, 0);
    const toText = arr.element.kind === 'null' ? undefined : castTo(arr.element, STRING);
    const coercers = [undefined, ...args.slice(1).map((a, i) => coerce('array_join', a, i + 1, 'string'))];
    return strictFn('array_join', STRING, coercers, (xs: unknown[], sep: string, nullText?: string) =>
      xs.flatMap((x) => (x == null ? (nullText === undefined ? [] : [nullText]) : [String(apply(toText, x))])).join(sep));
  },
});

function setOp(name: string, op: (a: unknown[], b: unknown[]) => unknown[]): void {
  registerScalar({
    name, minArgs: 2, maxArgs: 2,
    bind(args) {
      const a = arrayArg(name, args, 0);
      const b = arrayArg(name, args, 1);
      const type = arrayOf(commonTypeOf(name, [a.element, b.element], false));
      const [ca, cb] = [castTo(a, type), castTo(b, type)];
      return strictFn(name, type, [ca, cb], op);
    },
  });
}

const keysOf = (xs: readonly unknown[]): Set<string> => new Set(xs.map(canonicalKey));
setOp('array_union', (a, b) => distinct([...a, ...b]));
setOp('array_intersect', (a, b) => {
  const inB = keysOf(b);
  return distinct(a.filter((x) => inB.has(canonicalKey(x))));
});
setOp('array_except', (a, b) => {
  const inB = keysOf(b);
  return distinct(a.filter((x) => !inB.has(canonicalKey(x))));
});

/** array_repeat(v, n): a null element is repeated too; only a null count gives null. */
registerScalar({
  name: 'array_repeat', minArgs: 2, maxArgs: 2,
  bind(args) {
    return lenientFn('array_repeat', arrayOf(args[0]!.type), [undefined, coerce('array_repeat', args[1]!, 1, 'int')],
      (v: unknown, n: number | null) => (n === null ? null : Array.from({ length: Math.max(0, n) }, () => v)));
  },
});

// ---- maps ------------------------------------------------------------------------------------

function mapArg(fn: string, args: readonly BoundExpr[]): MapType {
  const t = args[0]!.type;
  if (t.kind === 'map') return t;
  if (t.kind === 'null') return mapOf<DataType, DataType>(STRING, NULL);
  throw argError(fn, 0, 'a map', t);
}

/** map_keys: the stored key strings brought back to the key type. */
registerScalar({
  name: 'map_keys', minArgs: 1, maxArgs: 1,
  bind: (args) => {
    const key = mapArg('map_keys', args).key;
    const back = castTo(STRING, key);
    return strictFn('map_keys', arrayOf(key), [], (m: object) => (back ? Object.keys(m).map((k) => back(k)) : Object.keys(m)));
  },
});
registerScalar({
  name: 'map_values', minArgs: 1, maxArgs: 1,
  bind: (args) => strictFn('map_values', arrayOf(mapArg('map_values', args).value), [], (m: object) => Object.values(m)),
});
registerScalar({
  name: 'map_contains_key', minArgs: 2, maxArgs: 2,
  bind: (args) => {
    mapArg('map_contains_key', args);
    return strictFn('map_contains_key', BOOLEAN, [undefined, keyText],
      (m: object, k: string) => Object.prototype.hasOwnProperty.call(m, k));
  },
});
