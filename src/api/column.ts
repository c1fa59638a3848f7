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

/** Where the API takes a column: a Column, or a column name (`'word'`, `'t.a'`, `'t.*'`). */
export type ColumnLike = Column | string;
/** A value usable where Spark accepts a literal: numbers, strings, booleans, dates, null. */
export type LiteralValue = string | number | boolean | Date | Buffer | null | readonly LiteralValue[];

/**
 * A column expression. The type parameters let row types follow a query (src/api/row-types.ts):
 * V is the type of the values it gives (unknown when TypeScript cannot tell), N its name when
 * known (col('a'), alias('total')), else string. They exist only for the compiler.
 */
export class Column<V = unknown, N extends string = string> {
  /**
   * Carries the value type `V` and the name `N` for the compiler only: never set at run time, and not
   * part of a Column's behaviour.
   */
  declare readonly __column?: {
    /** The type of the column's values (`V`). */
    readonly value: V;
    /** The column's name (`N`), when the compiler knows it. */
    readonly name: N;
  };

  /**
   * @param expr The expression tree this column stands for. Columns are made by {@link col},
   * {@link lit}, `expr()` and the other functions, not with `new`.
   */
  constructor(readonly expr: Expr) {}

  /** Spark's default name for this column in a projection. */
  toString(): string {
    return sqlText(this.expr);
  }

  /**
   * The name a projection gives this column when it has no alias: the alias, a column's or field's
   * last name part, else the expression's SQL text (`(a + 1)`), as Spark names it.
   */
  get name(): string {
    return autoName(this.expr);
  }

  /**
   * This column under another name (Spark's `alias`), e.g. `sum('amount').alias('total')`. Several
   * names name the columns of a generator: `posexplode(col('xs')).alias('i', 'x')`.
   *
   * @throws {@link AnalysisError} when `name` is not a string, or several names are given for an
   * expression that is not a generator.
   */
  alias<A extends string>(name: A, ...more: string[]): Column<V, A> {
    requireString(name, 'alias()', 'the name', "'total'");
    if (more.length > 0) {
      if (this.expr.k !== 'call') throw new AnalysisError('several aliases can only name the columns of a generator such as posexplode');
      return new Column({ ...this.expr, options: { ...this.expr.options, aliases: [name, ...more] } });
    }
    return new Column({ k: 'alias', child: this.expr.k === 'alias' ? this.expr.child : this.expr, name });
  }

  /** The same as {@link Column.alias} (Spark's `as`). */
  as<A extends string>(name: A, ...more: string[]): Column<V, A> {
    return this.alias(name, ...more);
  }

  /** cast('string'), cast('int'), or cast(T.timestamp()). */
  cast(to: string | DataType): Column {
    const t = typeof to === 'string' ? parseTypeName(to) : to;
    if (!t) throw new AnalysisError(`cannot cast to unknown type '${String(to)}': use string, int, bigint, double, boolean, timestamp, binary`);
    return new Column({ k: 'cast', child: this.expr, to: t });
  }

  /** The same as {@link Column.cast} (Spark's `astype`). */
  astype(to: string | DataType): Column {
    return this.cast(to);
  }

  /** This column plus `o` (a literal or a Column), Spark's `+`; null if either side is null. */
  plus(o: unknown): Column { return this.bin('+', o); }
  /** This column minus `o`, Spark's `-`. */
  minus(o: unknown): Column { return this.bin('-', o); }
  /** This column times `o`, Spark's `*`. */
  multiply(o: unknown): Column { return this.bin('*', o); }
  /** This column divided by `o`, always as a `double` (Spark's `/`); division by zero gives null. */
  divide(o: unknown): Column { return this.bin('/', o); }
  /**
   * The remainder of this column divided by `o`, with the dividend's sign (Spark's `%`); zero gives
   * null.
   */
  mod(o: unknown): Column { return this.bin('%', o); }
  /**
   * Whether this column equals `o` (Spark's `===` / `equalTo`); null if either side is null. The
   * sides are brought to a common type first, as in Spark.
   */
  equalTo(o: unknown): Column { return this.bin('=', o); }
  /** The same as {@link Column.equalTo}. */
  eq(o: unknown): Column { return this.bin('=', o); }
  /** Whether this column differs from `o` (Spark's `=!=` / `notEqual`); null if either side is null. */
  notEqual(o: unknown): Column { return this.bin('!=', o); }
  /** The same as {@link Column.notEqual}. */
  ne(o: unknown): Column { return this.bin('!=', o); }
  /**
   * Null-safe equality (Spark's `<=>` / `eqNullSafe`): true when both sides are null, false when only
   * one is; never null.
   */
  eqNullSafe(o: unknown): Column { return this.bin('<=>', o); }
  /** Whether this column is greater than `o` (Spark's `>`); null if either side is null. */
  gt(o: unknown): Column { return this.bin('>', o); }
  /** Whether this column is greater than or equal to `o` (Spark's `>=`); null if either side is null. */
  geq(o: unknown): Column { return this.bin('>=', o); }
  /** The same as {@link Column.geq}. */
  ge(o: unknown): Column { return this.bin('>=', o); }
  /** Whether this column is less than `o` (Spark's `<`); null if either side is null. */
  lt(o: unknown): Column { return this.bin('<', o); }
  /** Whether this column is less than or equal to `o` (Spark's `<=`); null if either side is null. */
  leq(o: unknown): Column { return this.bin('<=', o); }
  /** The same as {@link Column.leq}. */
  le(o: unknown): Column { return this.bin('<=', o); }
  /**
   * Boolean AND with SQL's three-valued logic (Spark's `&&` / `and`): false if either side is false,
   * else null if either is null.
   */
  and(o: unknown): Column { return this.bin('and', o); }
  /**
   * Boolean OR with SQL's three-valued logic (Spark's `||` / `or`): true if either side is true, else
   * null if either is null.
   */
  or(o: unknown): Column { return this.bin('or', o); }
  /** This column and `o` as strings joined (SQL's `||`); null if either is null. */
  concat(o: unknown): Column { return this.bin('||', o); }

  /** Boolean NOT (Spark's `!` / `not`); null stays null. */
  not(): Column { return new Column({ k: 'not', child: this.expr }); }
  /** The negated number (Spark's unary `-`). */
  negate(): Column { return new Column({ k: 'neg', child: this.expr }); }
  /** Whether the value is null (Spark's `isNull`); never null itself. */
  isNull(): Column { return new Column({ k: 'isNull', child: this.expr, negated: false }); }
  /** Whether the value is not null (Spark's `isNotNull`); never null itself. */
  isNotNull(): Column { return new Column({ k: 'isNull', child: this.expr, negated: true }); }

  /**
   * Whether the value is one of `values` (literals or Columns, or one array of them), SQL's `IN`
   * (Spark's `isin`): null when it is not found and either the value or a listed value is null.
   */
  isin(...values: unknown[]): Column {
    const list = values.length === 1 && Array.isArray(values[0]) ? (values[0] as unknown[]) : values;
    return new Column({ k: 'in', child: this.expr, list: list.map(toExpr), negated: false });
  }

  /** Whether `low <= value <= high`, bounds included (Spark's `between`). */
  between(low: unknown, high: unknown): Column {
    return new Column({ k: 'between', child: this.expr, low: toExpr(low), high: toExpr(high), negated: false });
  }

  /**
   * SQL LIKE (Spark's `like`): `%` matches any run of characters, `_` one character, `\` escapes;
   * the whole string must match.
   */
  like(pattern: string): Column {
    return new Column({ k: 'like', child: this.expr, pattern: literal(pattern, STRING), negated: false, regex: false });
  }

  /**
   * Whether a regular expression matches anywhere in the string (Spark's `rlike`). The pattern is
   * a JavaScript regular expression, which reads common Java patterns the same way.
   */
  rlike(pattern: string): Column {
    return new Column({ k: 'like', child: this.expr, pattern: literal(pattern, STRING), negated: false, regex: true });
  }

  /** Whether the string starts with `prefix` (a string or a Column) (Spark's `startsWith`). */
  startsWith(prefix: unknown): Column { return fnCol('startswith', this, prefix); }
  /** Whether the string ends with `suffix` (Spark's `endsWith`). */
  endsWith(suffix: unknown): Column { return fnCol('endswith', this, suffix); }
  /** Whether the string contains `other` (Spark's `contains`). */
  contains(other: unknown): Column { return fnCol('contains', this, other); }
  /** `length` characters from 1-based position `start` (Spark's `substr`; see {@link substring}). */
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

  /**
   * The value of a {@link when} chain for rows no branch matched (Spark's `otherwise`).
   *
   * @throws {@link AnalysisError} unless it follows `when(...)`, once.
   */
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

/**
 * A JavaScript value as a literal expression (what {@link lit} builds): null and undefined as
 * NULL, strings, booleans, numbers (integer when whole and within 32 bits, long when whole, else
 * double), bigints as long, Dates as timestamp, Buffers as binary, arrays of those as an array.
 * Throws an AnalysisError for any other value.
 */
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
