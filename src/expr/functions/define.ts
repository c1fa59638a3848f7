// Shared machinery for defining scalar functions: what each argument position accepts, the
// implicit casts Spark would insert, and a compact way to register fixed-signature functions.
// Bind cannot rewrite its arguments (the analyzer keeps them as given), so implicit casts are
// applied to the values inside the implementation instead.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr, BoundFunction } from '../bound.js';
import { castFunction } from '../cast.js';
import type { DataType } from '../types.js';
import {
  BINARY, BOOLEAN, DOUBLE, INTEGER, LONG, STRING, TIMESTAMP, isNumeric, typeToString, widerNumeric,
} from '../types.js';
import { registerScalar } from './registry.js';

/** Converts an argument value (never null) to the type the function works on; may give null. */
export type Coerce = (v: unknown) => unknown;

/** What an argument position accepts. `number` keeps the argument's own numeric type. */
export type Param =
  | 'string' | 'int' | 'long' | 'double' | 'number' | 'boolean' | 'timestamp' | 'binary' | 'array' | 'map' | 'any';

const WANT: Readonly<Record<Param, string>> = {
  string: 'a string',
  int: 'an integer',
  long: 'an integer',
  double: 'a number',
  number: 'a number',
  boolean: 'a boolean',
  timestamp: "a timestamp (or a string such as '2019-02-05 10:05:00')",
  binary: 'a binary or a string',
  array: 'an array',
  map: 'a map',
  any: 'a value',
};

export function argError(fn: string, index: number, want: string, got: DataType): AnalysisError {
  return new AnalysisError(
    `${fn}() argument ${index + 1} must be ${want}, but it is ${typeToString(got)}; cast it or pass another column`,
  );
}

function isAtomic(t: DataType): boolean {
  return t.kind !== 'array' && t.kind !== 'map' && t.kind !== 'struct';
}

/** The conversion a `param` position applies to an argument of type `arg.type`; undefined = none. */
export function coerce(fn: string, arg: BoundExpr, index: number, param: Param): Coerce | undefined {
  const t = arg.type;
  if (t.kind === 'null' || param === 'any') return undefined;
  const fail = (): never => {
    throw argError(fn, index, WANT[param], t);
  };
  switch (param) {
    case 'string': return isAtomic(t) ? castTo(t, STRING) : fail();
    case 'int': case 'long':
      if (t.kind === 'integer' || t.kind === 'long') return undefined;
      return t.kind === 'double' || t.kind === 'string' ? castTo(t, param === 'int' ? INTEGER : LONG) : fail();
    case 'double':
      if (isNumeric(t)) return undefined; // integers are already JS numbers
      return t.kind === 'string' ? castTo(t, DOUBLE) : fail();
    case 'number':
      if (isNumeric(t)) return undefined;
      return t.kind === 'string' ? castTo(t, DOUBLE) : fail();
    case 'boolean': return t.kind === 'boolean' ? undefined : t.kind === 'string' ? castTo(t, BOOLEAN) : fail();
    case 'timestamp': return t.kind === 'timestamp' ? undefined : t.kind === 'string' ? castTo(t, TIMESTAMP) : fail();
    case 'binary': return t.kind === 'binary' ? undefined : t.kind === 'string' ? castTo(t, BINARY) : fail();
    case 'array': return t.kind === 'array' ? undefined : fail();
    case 'map': return t.kind === 'map' ? undefined : fail();
  }
}

/** The type a value has after `coerce` for `param`. */
export function coercedType(param: Param, arg: BoundExpr): DataType {
  switch (param) {
    case 'string': return STRING;
    case 'int': return INTEGER;
    case 'long': return LONG;
    case 'double': return DOUBLE;
    case 'number': return isNumeric(arg.type) ? arg.type : DOUBLE;
    case 'boolean': return BOOLEAN;
    case 'timestamp': return TIMESTAMP;
    case 'binary': return BINARY;
    default: return arg.type;
  }
}

/** A value conversion between two types (Spark's CAST); undefined when none is needed. */
export function castTo(from: DataType, to: DataType): Coerce | undefined {
  return castFunction(from, to) as Coerce | undefined;
}

type Impl = (...args: never[]) => unknown;
type LooseImpl = (...args: unknown[]) => unknown;

/**
 * A null-intolerant function whose argument values are first converted by `coercers`; a value
 * that converts to null (a string that is no number) makes the result null, as in Spark.
 */
export function strictFn(
  name: string, type: DataType, coercers: readonly (Coerce | undefined)[], core: Impl,
  extra: Partial<Pick<BoundFunction, 'nondeterministic' | 'mayDropRow'>> = {},
): BoundFunction {
  const f = core as LooseImpl;
  const impl = coercers.every((c) => c === undefined) ? core : (...raw: unknown[]): unknown => {
    const vals: unknown[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const c = coercers[i];
      const v = raw[i] == null ? null : c ? c(raw[i]) : raw[i];
      if (v == null) return null;
      vals[i] = v;
    }
    return f(...vals);
  };
  return { name, type, impl, nullIntolerant: true, ...extra };
}

/** A function that sees nulls: each non-null value is converted, nulls stay null. */
export function lenientFn(name: string, type: DataType, coercers: readonly (Coerce | undefined)[], core: Impl): BoundFunction {
  const f = core as LooseImpl;
  const impl = coercers.every((c) => c === undefined) ? core : (...raw: unknown[]): unknown =>
    f(...raw.map((v, i) => {
      const c = coercers[i];
      return v == null ? null : c ? c(v) : v;
    }));
  return { name, type, impl, nullIntolerant: false };
}

export interface FixedSpec {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** What each position accepts. */
  readonly params: readonly Param[];
  /** Trailing parameters may be left out down to this many (default: none may). */
  readonly minArgs?: number;
  readonly type: DataType | ((args: readonly BoundExpr[]) => DataType);
  /** Called with the converted, non-null argument values. */
  readonly impl: Impl;
  readonly nondeterministic?: boolean;
}

/** Registers a null-intolerant function of a fixed signature. */
export function defineFixed(spec: FixedSpec): void {
  registerScalar({
    name: spec.name,
    ...(spec.aliases ? { aliases: spec.aliases } : {}),
    minArgs: spec.minArgs ?? spec.params.length,
    maxArgs: spec.params.length,
    bind(args) {
      const coercers = args.map((a, i) => coerce(spec.name, a, i, spec.params[i]!));
      const type = typeof spec.type === 'function' ? spec.type(args) : spec.type;
      return strictFn(spec.name, type, coercers, spec.impl, spec.nondeterministic ? { nondeterministic: true } : {});
    },
  });
}

/** Registers several functions that share a signature and differ only in name and implementation. */
export function defineEach(
  params: readonly Param[], type: FixedSpec['type'], impls: Readonly<Record<string, Impl>>, aliases: Readonly<Record<string, readonly string[]>> = {},
): void {
  for (const [name, impl] of Object.entries(impls)) {
    defineFixed({ name, params, type, impl, ...(aliases[name] ? { aliases: aliases[name] } : {}) });
  }
}

/** A literal argument's value, or undefined when the argument is computed per row. */
export function literalOf(arg: BoundExpr | undefined): { readonly value: unknown } | undefined {
  return arg?.k === 'lit' ? { value: arg.value } : undefined;
}

/**
 * The type several values are brought to (coalesce, if, array): equal types stay, numbers
 * widen, and with `promoteToString` a string beside another atomic type wins, as in Spark.
 */
export function commonTypeOf(fn: string, types: readonly DataType[], promoteToString: boolean): DataType {
  let acc: DataType | undefined;
  for (const t of types) {
    if (t.kind === 'null') continue;
    if (acc === undefined || typeToString(acc) === typeToString(t)) {
      acc = t;
      continue;
    }
    if (isNumeric(acc) && isNumeric(t)) acc = widerNumeric(acc, t);
    else if (promoteToString && isAtomic(acc) && isAtomic(t) && (acc.kind === 'string' || t.kind === 'string')) acc = STRING;
    else {
      throw new AnalysisError(
        `${fn}() needs arguments of one type, but got ${typeToString(acc)} and ${typeToString(t)}; cast them to a common type`,
      );
    }
  }
  return acc ?? { kind: 'null' };
}

/** Converters bringing each argument to `to` (undefined where none is needed). */
export function coercersTo(fn: string, args: readonly BoundExpr[], to: DataType): (Coerce | undefined)[] {
  return args.map((a, i) => {
    try {
      return a.type.kind === 'null' ? undefined : castTo(a.type, to);
    } catch {
      throw argError(fn, i, typeToString(to), a.type);
    }
  });
}

/** Applies an optional converter to a possibly-null value. */
export function apply(c: Coerce | undefined, v: unknown): unknown {
  return v == null ? null : c ? c(v) : v;
}
