// Unresolved expression trees: what `col`, `lit`, the functions and the SQL parser build.
// Names are resolved and types assigned by `analyze.ts`; code is generated from the typed tree.
import { isDate } from 'node:util/types';
import type { DataType } from './types.js';

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%' | 'div'
  | '=' | '!=' | '<' | '<=' | '>' | '>=' | '<=>'
  | 'and' | 'or' | '||';

export type Expr =
  | ColumnRef | Star | Literal | IntervalLit | Alias | Binary | Not | Negate | IsNull | In | Between
  | Like | Case | Cast | Call | GetField | GetItem | Udf;

/** `a`, `t.a`, `window.start`: a path resolved against the input schema. */
export interface ColumnRef { readonly k: 'col'; readonly path: readonly string[] }
/** `*` or `t.*`: expands to every field of the input (or of struct column `t`). */
export interface Star { readonly k: 'star'; readonly target?: readonly string[] }
export interface Literal { readonly k: 'lit'; readonly value: unknown; readonly type: DataType }
/** `interval 1 hour`; months are kept apart because their length in ms is not fixed. */
export interface IntervalLit { readonly k: 'interval'; readonly ms: number; readonly months: number }
export interface Alias { readonly k: 'alias'; readonly child: Expr; readonly name: string }
export interface Binary { readonly k: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
export interface Not { readonly k: 'not'; readonly child: Expr }
export interface Negate { readonly k: 'neg'; readonly child: Expr }
export interface IsNull { readonly k: 'isNull'; readonly child: Expr; readonly negated: boolean }
export interface In { readonly k: 'in'; readonly child: Expr; readonly list: readonly Expr[]; readonly negated: boolean }
export interface Between {
  readonly k: 'between'; readonly child: Expr; readonly low: Expr; readonly high: Expr; readonly negated: boolean;
}
export interface Like {
  readonly k: 'like'; readonly child: Expr; readonly pattern: Expr; readonly negated: boolean;
  /** rlike / regexp: the pattern is a regular expression rather than a LIKE pattern. */
  readonly regex: boolean;
}
export interface Case {
  readonly k: 'case'; readonly branches: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly otherwise?: Expr;
}
export interface Cast { readonly k: 'cast'; readonly child: Expr; readonly to: DataType }
/**
 * A function call by name (scalar or aggregate). `options` carries arguments that are not
 * expressions, such as the schema of from_json or a window's durations.
 */
export interface Call {
  readonly k: 'call'; readonly name: string; readonly args: readonly Expr[];
  readonly distinct?: boolean; readonly options?: Readonly<Record<string, unknown>>;
}
/** `expr.field` on a struct-valued expression. */
export interface GetField { readonly k: 'field'; readonly child: Expr; readonly name: string }
/** `arr[0]` or `m['key']`. */
export interface GetItem { readonly k: 'item'; readonly child: Expr; readonly index: Expr }
/** A user function over column values, with a declared result type. */
export interface Udf {
  readonly k: 'udf'; readonly name: string; readonly fn: (...args: never[]) => unknown;
  readonly args: readonly Expr[]; readonly returnType: DataType;
}

export const colRef = (path: readonly string[]): ColumnRef => ({ k: 'col', path });
export const literal = (value: unknown, type: DataType): Literal => ({ k: 'lit', value, type });
export const call = (name: string, args: readonly Expr[], options?: Record<string, unknown>): Call =>
  options ? { k: 'call', name, args, options } : { k: 'call', name, args };

/**
 * Splits a column name such as `t.a` or `` `odd.name`.b `` into its path. Backticks quote a part
 * that contains dots.
 */
export function parseColumnPath(name: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '`') {
      if (quoted && name[i + 1] === '`') { cur += '`'; i++; continue; }
      quoted = !quoted;
    } else if (c === '.' && !quoted) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (quoted) throw new Error(`column name ${name} has an unclosed backtick`);
  parts.push(cur);
  return parts;
}

/** The name Spark gives an unaliased expression in a projection. */
export function autoName(e: Expr): string {
  switch (e.k) {
    case 'col': return e.path[e.path.length - 1]!;
    case 'alias': return e.name;
    case 'lit': return e.value === null ? 'NULL' : isDate(e.value) ? e.value.toISOString() : String(e.value);
    case 'field': return e.name;
    default: return sqlText(e);
  }
}

/** A readable SQL rendering, used for generated column names and messages. */
export function sqlText(e: Expr): string {
  switch (e.k) {
    case 'col': return e.path.join('.');
    case 'star': return e.target ? `${e.target.join('.')}.*` : '*';
    case 'lit':
      if (e.value === null) return 'NULL';
      if (typeof e.value === 'string') return `'${e.value.replace(/'/g, "\\'")}'`;
      if (isDate(e.value)) return `TIMESTAMP '${e.value.toISOString()}'`;
      return String(e.value);
    case 'interval': return e.months ? `INTERVAL ${e.months} MONTHS ${e.ms} MILLISECONDS` : `INTERVAL ${e.ms} MILLISECONDS`;
    case 'alias': return `${sqlText(e.child)} AS ${e.name}`;
    case 'binary': return `(${sqlText(e.left)} ${e.op.toUpperCase()} ${sqlText(e.right)})`;
    case 'not': return `(NOT ${sqlText(e.child)})`;
    case 'neg': return `(- ${sqlText(e.child)})`;
    case 'isNull': return `(${sqlText(e.child)} IS ${e.negated ? 'NOT ' : ''}NULL)`;
    case 'in': return `(${sqlText(e.child)} ${e.negated ? 'NOT ' : ''}IN (${e.list.map(sqlText).join(', ')}))`;
    case 'between':
      return `(${sqlText(e.child)} ${e.negated ? 'NOT ' : ''}BETWEEN ${sqlText(e.low)} AND ${sqlText(e.high)})`;
    case 'like': return `(${sqlText(e.child)} ${e.negated ? 'NOT ' : ''}${e.regex ? 'RLIKE' : 'LIKE'} ${sqlText(e.pattern)})`;
    case 'case':
      return `CASE ${e.branches.map((b) => `WHEN ${sqlText(b.when)} THEN ${sqlText(b.then)}`).join(' ')}${
        e.otherwise ? ` ELSE ${sqlText(e.otherwise)}` : ''} END`;
    case 'cast': return `CAST(${sqlText(e.child)} AS ${e.to.kind.toUpperCase()})`;
    case 'call': return `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${e.args.map(sqlText).join(', ')})`;
    case 'field': return `${sqlText(e.child)}.${e.name}`;
    case 'item': return `${sqlText(e.child)}[${sqlText(e.index)}]`;
    case 'udf': return `${e.name}(${e.args.map(sqlText).join(', ')})`;
  }
}

/** Calls `visit` on every node of the tree, parents first. */
export function walk(e: Expr, visit: (node: Expr) => void): void {
  visit(e);
  for (const c of children(e)) walk(c, visit);
}

export function children(e: Expr): readonly Expr[] {
  switch (e.k) {
    case 'col': case 'star': case 'lit': case 'interval': return [];
    case 'alias': case 'not': case 'neg': case 'isNull': case 'cast': case 'field': return [e.child];
    case 'binary': return [e.left, e.right];
    case 'in': return [e.child, ...e.list];
    case 'between': return [e.child, e.low, e.high];
    case 'like': return [e.child, e.pattern];
    case 'case': return [...e.branches.flatMap((b) => [b.when, b.then]), ...(e.otherwise ? [e.otherwise] : [])];
    case 'call': case 'udf': return e.args;
    case 'item': return [e.child, e.index];
  }
}

/** A copy of `e` whose direct children are replaced by `f(child)`. */
export function mapChildren(e: Expr, f: (child: Expr) => Expr): Expr {
  switch (e.k) {
    case 'col': case 'star': case 'lit': case 'interval': return e;
    case 'alias': case 'not': case 'neg': case 'isNull': case 'cast': case 'field': return { ...e, child: f(e.child) };
    case 'binary': return { ...e, left: f(e.left), right: f(e.right) };
    case 'in': return { ...e, child: f(e.child), list: e.list.map(f) };
    case 'between': return { ...e, child: f(e.child), low: f(e.low), high: f(e.high) };
    case 'like': return { ...e, child: f(e.child), pattern: f(e.pattern) };
    case 'case':
      return { ...e, branches: e.branches.map((b) => ({ when: f(b.when), then: f(b.then) })), ...(e.otherwise ? { otherwise: f(e.otherwise) } : {}) };
    case 'call': return { ...e, args: e.args.map(f) };
    case 'udf': return { ...e, args: e.args.map(f) };
    case 'item': return { ...e, child: f(e.child), index: f(e.index) };
  }
}

/** Rebuilds the tree bottom-up, replacing each node by `f(node with transformed children)`. */
export function transform(e: Expr, f: (node: Expr) => Expr): Expr {
  return f(mapChildren(e, (c) => transform(c, f)));
}

/** Rebuilds the tree top-down: where `f` returns a node, that node replaces the subtree. */
export function transformDown(e: Expr, f: (node: Expr) => Expr | undefined): Expr {
  return f(e) ?? mapChildren(e, (c) => transformDown(c, f));
}
