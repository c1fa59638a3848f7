// The function registry: every scalar and aggregate function known by name to `expr()`,
// the SQL parser and the Column API. A definition binds to typed arguments and returns the
// result type plus an implementation; code generation calls the implementation.
import { AnalysisError } from '../../errors.js';
import type { BindOrigin, BoundExpr, BoundFunction } from '../bound.js';
import type { DataType } from '../types.js';

export interface BindContext {
  /** The session time zone; 'UTC' unless configured (spate.sql.session.timeZone). */
  readonly timeZone: string;
}

export interface ScalarFunctionDef {
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Argument count bounds, checked before bind. */
  readonly minArgs: number;
  readonly maxArgs: number;
  /**
   * Checks the typed arguments (throwing AnalysisError with a message naming the function and
   * what to pass instead) and returns the bound function. `options` carries non-expression
   * arguments given through the Column API (a schema, a format).
   */
  bind(args: readonly BoundExpr[], options: Readonly<Record<string, unknown>> | undefined, ctx: BindContext): BoundFunction;
}

/** An aggregate bound to its argument types. Accumulators must survive v8.serialize. */
export interface BoundAggregate<A = unknown> {
  readonly name: string;
  readonly type: DataType;
  /** A new, empty accumulator. */
  init(): A;
  /** Folds one row's argument values into the accumulator; may mutate and must return it. */
  update(acc: A, ...values: unknown[]): A;
  /** Combines two accumulators (session windows merge their sessions). */
  merge(a: A, b: A): A;
  /** The output value of an accumulator. */
  result(acc: A): unknown;
  /**
   * Optional: a JavaScript expression computing the new accumulator from the expressions `acc`
   * and `values` (variable names), equivalent to `update`. Code generation inlines it on the
   * per-row path. Written by the function's definition, never from user text.
   */
  updateCode?(acc: string, values: readonly string[]): string;
  /** How the registry bound it, so that another thread can bind it again. */
  readonly origin?: BindOrigin;
  /**
   * Optional: the accumulator is one number, which a columnar aggregation keeps in a typed array
   * (no object per group, no boxed number per update). `nullable`: the accumulator is null until
   * a first value counts (sum), else it starts at init() (count). `bufferCode(acc, values, seen)`
   * is the JS statement updating the number `acc` (an assignable expression) from the argument
   * values, setting `seen` to 1 when a value counted (nullable only). Equivalent to `update`;
   * written by the function's definition, never from user text.
   */
  readonly numericBuffer?: {
    readonly nullable: boolean;
    bufferCode(acc: string, values: readonly string[], seen: string): string;
  };
}

export interface AggregateFunctionDef {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly minArgs: number;
  readonly maxArgs: number;
  bind(args: readonly BoundExpr[], distinct: boolean, options: Readonly<Record<string, unknown>> | undefined): BoundAggregate;
}

const scalars = new Map<string, ScalarFunctionDef>();
const aggregates = new Map<string, AggregateFunctionDef>();

export function registerScalar(def: ScalarFunctionDef): void {
  for (const n of [def.name, ...(def.aliases ?? [])]) scalars.set(n.toLowerCase(), def);
}
export function registerAggregate(def: AggregateFunctionDef): void {
  for (const n of [def.name, ...(def.aliases ?? [])]) aggregates.set(n.toLowerCase(), def);
}

export function lookupScalar(name: string): ScalarFunctionDef | undefined {
  return scalars.get(name.toLowerCase());
}
export function lookupAggregate(name: string): AggregateFunctionDef | undefined {
  return aggregates.get(name.toLowerCase());
}
export function isAggregateName(name: string): boolean {
  return aggregates.has(name.toLowerCase());
}

/** Generators turn one row into several (explode); the planner handles them, not codegen. */
export const GENERATOR_NAMES: ReadonlySet<string> = new Set(['explode', 'explode_outer', 'posexplode', 'posexplode_outer']);

export function checkArity(name: string, min: number, max: number, got: number): void {
  if (got < min || got > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new AnalysisError(`function ${name} takes ${want} argument${min === 1 && max === 1 ? '' : 's'}, got ${got}`);
  }
}

/** Convenience for the common case: a null-intolerant function of fixed result type. */
export function simple(name: string, type: DataType, impl: (...args: never[]) => unknown): BoundFunction {
  return { name, type, impl, nullIntolerant: true };
}

/** Every name known, for "did you mean" hints. */
export function knownFunctionNames(): string[] {
  return [...scalars.keys(), ...aggregates.keys(), ...GENERATOR_NAMES];
}
