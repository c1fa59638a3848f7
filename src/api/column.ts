// Column: an expression being built, with Spark's method names. Immutable: every method
// returns a new Column over a new tree.
import { isDate } from 'node:util/types';
import { AnalysisError } from '../errors.js';
import { argumentError, requireString } from './arguments.js';
import type { BinaryOp, Expr } from '../expr/tree.js';
import { autoName, call, literal, parseColumnPath, sqlText } from '../expr/tree.js';
import { SORT_ORDER } from '../plan/nodes.js';
import type { DataType } from '../expr/types.js';
import { BOOLEAN, DOUBLE, INTEGER, LONG, NULL, STRING, TIMESTAMP, BINARY, arrayOf, parseTypeName, typeToString } from '../expr/types.js';

export type ColumnLike = Column | string;
/** A value usable where Spark accepts a literal: numbers, strings, booleans, dates, null. */
export type LiteralValue = string | number | boolean | Date | Buffer | null | readonly LiteralValue[];

/**
 * A column expression. The type parameters let row types follow a query (src/api/row-types.ts):
 * V is the type of the values it gives (unknown when TypeScript cannot tell), N its name when
 * known (col('a'), alias('total')), else string. They exist only for the compiler.
 */
export class Column<V = unknown, N extends string = string> {
  /** Carries V and N for the compiler only; never set. */
  declare readonly __column?: { readonly value: V; readonly name: N };

  constructor(readonly expr: Expr) {}

  /** Spark's default name for this column in a projection. */
  toString(): string {
    return sqlText(this.expr);
  }

  get name(): string {
    return autoName(this.expr);
  }

  alias<A extends string>(name: A, ...more: string[]): Column<V, A> {
    requireString(name, 'alias()', 'the name', "'total'");
    if (more.length > 0) {
      if (this.expr.k !== 'call') throw new AnalysisError('several aliases can only name the columns of a generator such as posexplode');
      return new Column({ ...this.expr, options: { ...this.expr.options, aliases: [name, ...more] } });
    }
    return new Column({ k: 'alias', child: this.expr.k === 'alias' ? this.expr.child : this.expr, name });
  }

  as<A extends string>(name: A, ...more: string[]): Column<V, A> {
    return this.alias(name, ...more);
  }

  /** cast('string'), cast('int'), or cast(T.timestamp()). */
  cast(to: string | DataType): Column {
    const t = typeof to === 'string' ? parseTypeName(to) : to;
    if (!t) throw new AnalysisError(`cannot cast to unknown type '${String(to)}': use string, int, bigint, double, boolean, timestamp, binary`);
    return new Column({ k: 'cast', child: this.expr, to: t });
  }

  astype(to: string | DataType): Column {
    return this.cast(to);
  }

  plus(o: unknown): Column { return this.bin('+', o); }
  minus(o: unknown): Column { return this.bin('-', o); }
  multiply(o: unknown): Column { return this.bin('*', o); }
  divide(o: unknown): Column { return this.bin('/', o); }
  mod(o: unknown): Column { return this.bin('%', o); }
  equalTo(o: unknown): Column { return this.bin('=', o); }
  eq(o: unknown): Column { return this.bin('=', o); }
  notEqual(o: unknown): Column { return this.bin('!=', o); }
  ne(o: unknown): Column { return this.bin('!=', o); }
  eqNullSafe(o: unknown): Column { return this.bin('<=>', o); }
  gt(o: unknown): Column { return this.bin('>', o); }
  geq(o: unknown): Column { return this.bin('>=', o); }
  ge(o: unknown): Column { return this.bin('>=', o); }
  lt(o: unknown): Column { return this.bin('<', o); }
  leq(o: unknown): Column { return this.bin('<=', o); }
  le(o: unknown): Column { return this.bin('<=', o); }
  and(o: unknown): Column { return this.bin('and', o); }
  or(o: unknown): Column { return this.bin('or', o); }
  concat(o: unknown): Column { return this.bin('||', o); }

  not(): Column { return new Column({ k: 'not', child: this.expr }); }
  negate(): Column { return new Column({ k: 'neg', child: this.expr }); }
  isNull(): Column { return new Column({ k: 'isNull', child: this.expr, negated: false }); }
  isNotNull(): Column { return new Column({ k: 'isNull', child: this.expr, negated: true }); }

  isin(...values: unknown[]): Column {
    const list = values.length === 1 && Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
    return new Column({ k: 'in', child: this.expr, list: list.map(toExpr), negated: false });
  }

  between(low: unknown, high: unknown): Column {
    return new Column({ k: 'between', child: this.expr, low: toExpr(low), high: toExpr(high), negated: false });
  }

  like(pattern: string): Column {
    return new Column({ k: 'like', child: this.expr, pattern: literal(pattern, STRING), negated: false, regex: false });
  }

  rlike(pattern: string): Column {
    return new Column({ k: 'like', child: this.expr, pattern: literal(pattern, STRING), negated: false, regex: true });
  }

  startsWith(prefix: unknown): Column { return fnCol('startswith', this, prefix); }
  endsWith(suffix: unknown): Column { return fnCol('endswith', this, suffix); }
  contains(other: unknown): Column { return fnCol('contains', this, other); }
  substr(start: unknown, length: unknown): Column { return fnCol('substring', this, start, length); }

  /** Sort key for orderBy: ascending, nulls first (Spark's default for asc). */
  asc(): Column { return this.sortOrder(true, true); }
  /** Sort key for orderBy: ascending, nulls first. */
  ascNullsFirst(): Column { return this.sortOrder(true, true); }
  /** Sort key for orderBy: ascending, nulls last. */
  ascNullsLast(): Column { return this.sortOrder(true, false); }
  /** Sort key for orderBy: descending, nulls last (Spark's default for desc). */
  desc(): Column { return this.sortOrder(false, false); }
  /** Sort key for orderBy: descending, nulls first. */
  descNullsFirst(): Column { return this.sortOrder(false, true); }
  /** Sort key for orderBy: descending, nulls last. */
  descNullsLast(): Column { return this.sortOrder(false, false); }

  /** A field of a struct column. */
  getField(name: string): Column {
    return new Column({ k: 'field', child: this.expr, name });
  }

  /** An element of an array (0-based) or a value of a map. */
  getItem(key: unknown): Column {
    return new Column({ k: 'item', child: this.expr, index: toExpr(key) });
  }

  /** CASE WHEN chaining after functions.when(): when(cond, a).when(cond2, b).otherwise(c). */
  when(condition: Column, value: unknown): Column {
    if (this.expr.k !== 'case' || this.expr.otherwise) throw new AnalysisError('when() can only follow when(...); start with the function when(condition, value)');
    return new Column({ ...this.expr, branches: [...this.expr.branches, { when: condition.expr, then: toExpr(value) }] });
  }

  otherwise(value: unknown): Column {
    if (this.expr.k !== 'case' || this.expr.otherwise) throw new AnalysisError('otherwise() can only follow when(...)');
    return new Column({ ...this.expr, otherwise: toExpr(value) });
  }

  private sortOrder(ascending: boolean, nullsFirst: boolean): Column {
    const child = this.expr.k === 'call' && this.expr.name === SORT_ORDER ? this.expr.args[0]! : this.expr;
    return new Column(call(SORT_ORDER, [child], { ascending, nullsFirst }));
  }

  private bin(op: BinaryOp, other: unknown): Column {
    return new Column({ k: 'binary', op, left: this.expr, right: toExpr(other) });
  }
}

function fnCol(name: string, ...args: unknown[]): Column {
  return new Column({ k: 'call', name, args: args.map(toExpr) });
}

/**
 * A column name or a Column, as an expression. Strings are column names. Anything else (from
 * plain JavaScript) is refused, naming `method` when given.
 */
export function toColumnExpr(c: ColumnLike, method?: string): Expr {
  if (c instanceof Column) return c.expr;
  if (typeof c !== 'string') {
    throw argumentError(method ?? 'a column argument', method ? 'each column' : 'it', "a column name (string) or a Column, e.g. 'word' or col('word')", c);
  }
  if (c === '*') return { k: 'star' };
  if (c.endsWith('.*')) return { k: 'star', target: parseColumnPath(c.slice(0, -2)) };
  return { k: 'col', path: parseColumnPath(c) };
}

/** A value as an expression: Columns stay, anything else becomes a literal. */
export function toExpr(v: unknown): Expr {
  if (v instanceof Column) return v.expr;
  return literalExpr(v);
}

export function literalExpr(v: unknown): Expr {
  if (v === null || v === undefined) return literal(null, NULL);
  if (typeof v === 'string') return literal(v, STRING);
  if (typeof v === 'boolean') return literal(v, BOOLEAN);
  if (typeof v === 'number') return literal(v, Number.isInteger(v) ? (Math.abs(v) < 2 ** 31 ? INTEGER : LONG) : DOUBLE);
  if (typeof v === 'bigint') return literal(Number(v), LONG);
  if (isDate(v)) return literal(v, TIMESTAMP);
  if (Buffer.isBuffer(v)) return literal(v, BINARY);
  if (Array.isArray(v)) {
    const items = v.map(literalExpr);
    const first = items.find((i) => i.k === 'lit' && i.type.kind !== 'null');
    const type = first && first.k === 'lit' ? first.type : NULL;
    return literal(v, arrayOf(type));
  }
  throw new AnalysisError(`cannot use ${typeof v} value ${String(v)} as a literal; wrap it with a supported type (${typeToString(STRING)}, number, boolean, Date, Buffer, array)`);
}
