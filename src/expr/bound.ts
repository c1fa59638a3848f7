// Typed expression trees: every name resolved against an input schema, every node typed,
// implicit casts made explicit. Code is generated from these and only these.
import type { DataType } from './types.js';

export type ArithOp = '+' | '-' | '*' | '/' | '%' | 'div';
export type CmpOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | '<=>';

/** A scalar function bound to its argument types: its result type and its implementation. */
export interface BoundFunction {
  readonly name: string;
  readonly type: DataType;
  /** Called with the argument values. */
  readonly impl: (...args: never[]) => unknown;
  /** When true (the default) a null argument gives null without calling `impl`. */
  readonly nullIntolerant: boolean;
  /**
   * The function may return MALFORMED to ask that the row be dropped (DROPMALFORMED mode);
   * the generated code skips the row and counts it.
   */
  readonly mayDropRow?: boolean;
  /** The value differs between calls with equal arguments (rand, current_timestamp); never folded. */
  readonly nondeterministic?: boolean;
  /** How the registry bound it, so that another thread can bind it again; absent for a udf (a user closure). */
  readonly origin?: BindOrigin;
  /**
   * For a function returning a struct: the same function returning only the struct's `fields`
   * (the query reads no others), with identical nulls, malformed-record handling and errors.
   * Code generation uses it to push a projection into decoding (from_json).
   */
  project?(fields: readonly string[]): BoundFunction;
}

/**
 * A registry function's name and the non-expression inputs it was bound with. Expression trees
 * are plain data except the implementations they bind to: this is what lets a tree travel to
 * another thread (or process) and be bound there to the same functions.
 */
export interface BindOrigin {
  readonly name: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly timeZone?: string;
  readonly distinct?: boolean;
}

/** Returned by a function in DROPMALFORMED mode to drop the row being evaluated. */
export const MALFORMED: unique symbol = Symbol('spate.malformed');

export type BoundExpr =
  | { readonly k: 'ref'; readonly name: string; readonly type: DataType }
  | { readonly k: 'lit'; readonly value: unknown; readonly type: DataType }
  | { readonly k: 'field'; readonly child: BoundExpr; readonly name: string; readonly type: DataType }
  | { readonly k: 'item'; readonly child: BoundExpr; readonly index: BoundExpr; readonly type: DataType }
  | { readonly k: 'arith'; readonly op: ArithOp; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: DataType }
  | {
    readonly k: 'cmp'; readonly op: CmpOp; readonly left: BoundExpr; readonly right: BoundExpr;
    readonly type: DataType;
  }
  | { readonly k: 'and' | 'or'; readonly left: BoundExpr; readonly right: BoundExpr; readonly type: DataType }
  | { readonly k: 'not'; readonly child: BoundExpr; readonly type: DataType }
  | { readonly k: 'neg'; readonly child: BoundExpr; readonly type: DataType }
  | { readonly k: 'concat'; readonly args: readonly BoundExpr[]; readonly type: DataType }
  | { readonly k: 'isNull'; readonly child: BoundExpr; readonly negated: boolean; readonly type: DataType }
  | {
    readonly k: 'in'; readonly child: BoundExpr; readonly list: readonly BoundExpr[]; readonly negated: boolean;
    readonly type: DataType;
  }
  | {
    readonly k: 'like'; readonly child: BoundExpr; readonly pattern: BoundExpr; readonly negated: boolean;
    readonly regex: boolean; readonly type: DataType;
  }
  | {
    readonly k: 'case'; readonly branches: readonly { readonly when: BoundExpr; readonly then: BoundExpr }[];
    readonly otherwise: BoundExpr | null; readonly type: DataType;
  }
  | { readonly k: 'cast'; readonly child: BoundExpr; readonly type: DataType }
  /** timestamp + interval (months added on the calendar, in UTC). */
  | { readonly k: 'tsAdd'; readonly child: BoundExpr; readonly ms: number; readonly months: number; readonly type: DataType }
  | { readonly k: 'call'; readonly fn: BoundFunction; readonly args: readonly BoundExpr[]; readonly type: DataType }
  | { readonly k: 'struct'; readonly names: readonly string[]; readonly args: readonly BoundExpr[]; readonly type: DataType };

export function boundChildren(e: BoundExpr): readonly BoundExpr[] {
  switch (e.k) {
    case 'ref': case 'lit': return [];
    case 'field': case 'not': case 'neg': case 'isNull': case 'cast': case 'tsAdd': return [e.child];
    case 'item': return [e.child, e.index];
    case 'arith': case 'cmp': case 'and': case 'or': return [e.left, e.right];
    case 'concat': case 'call': case 'struct': return e.args;
    case 'in': return [e.child, ...e.list];
    case 'like': return [e.child, e.pattern];
    case 'case': return [...e.branches.flatMap((b) => [b.when, b.then]), ...(e.otherwise ? [e.otherwise] : [])];
  }
}

/** Top-level input columns an expression reads. */
export function referencedColumns(e: BoundExpr, into = new Set<string>()): Set<string> {
  if (e.k === 'ref') into.add(e.name);
  for (const c of boundChildren(e)) referencedColumns(c, into);
  return into;
}
