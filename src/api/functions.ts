// The functions of Spark's `functions` object, in camelCase. Where Spark takes a column, a
// string is a column name; where it takes a pattern or a format, a string is a literal.
import { AnalysisError } from '../errors.js';
import { parseSelectItem } from '../expr/parser.js';
import type { Expr } from '../expr/tree.js';
import { call, literal } from '../expr/tree.js';
import type { DataType } from '../expr/types.js';
import { STRING } from '../expr/types.js';
import type { ColumnLike } from './column.js';
import { Column, literalExpr, toColumnExpr, toExpr } from './column.js';
import { argumentError, requireInterval, requireString } from './arguments.js';

const c = (x: ColumnLike): Expr => toColumnExpr(x);
const fn = <V = unknown>(name: string, ...args: Expr[]): Column<V> => new Column<V>(call(name, args));
const str = (s: string): Expr => literal(s, STRING);

/** A column by name: `col('a')`, `col('t.a')`, `col('t.*')`. */
export function col<N extends string>(name: N): Column<unknown, N> {
  return new Column(toColumnExpr(requireString(name, 'col()', 'the column name', "'word' or 't.*'"), 'col()'));
}
export const column = col;

/** A literal value. */
export function lit<V, N extends string>(value: Column<V, N>): Column<V, N>;
export function lit<V>(value: V): Column<V>;
export function lit(value: unknown): Column {
  return value instanceof Column ? value : new Column(literalExpr(value));
}

/** A Spark SQL expression, e.g. `expr("case when Type == 'BUY' then Amount end")`. */
export function expr(sql: string): Column {
  return new Column(parseSelectItem(requireString(sql, 'expr()', 'the expression', `"case when Type == 'BUY' then Amount end"`)));
}

// ---- sort keys (for orderBy / sort) ----

/** Ascending, nulls first: `orderBy(asc('name'))`. */
export const asc = (x: ColumnLike): Column => new Column(c(x)).asc();
export const ascNullsFirst = (x: ColumnLike): Column => new Column(c(x)).ascNullsFirst();
export const ascNullsLast = (x: ColumnLike): Column => new Column(c(x)).ascNullsLast();
/** Descending, nulls last: `orderBy(desc('count'))`. */
export const desc = (x: ColumnLike): Column => new Column(c(x)).desc();
export const descNullsFirst = (x: ColumnLike): Column => new Column(c(x)).descNullsFirst();
export const descNullsLast = (x: ColumnLike): Column => new Column(c(x)).descNullsLast();

// ---- windows ----

/** Tumbling (`window(ts, '15 minutes')`) or sliding (`window(ts, '15 minutes', '5 minutes')`) event-time windows. */
export function window(timeColumn: ColumnLike, windowDuration: string, slideDuration?: string, startTime?: string): Column<WindowValue, 'window'> {
  requireInterval(windowDuration, 'window()', 'the window duration');
  if (slideDuration !== undefined) requireInterval(slideDuration, 'window()', 'the slide duration');
  if (startTime !== undefined) requireString(startTime, 'window()', 'the start time', "'5 minutes' or '-5 minutes'");
  return new Column<WindowValue, 'window'>(call('window', [c(timeColumn)], {
    windowDuration, ...(slideDuration !== undefined ? { slideDuration } : {}), ...(startTime !== undefined ? { startTime } : {}),
  }));
}

/** Session windows closing after `gapDuration` without events (a duration, or a Column per row). */
export function sessionWindow(timeColumn: ColumnLike, gapDuration: string | Column): Column<WindowValue, 'session_window'> {
  if (!(gapDuration instanceof Column)) requireInterval(gapDuration, 'sessionWindow()', 'the gap duration');
  return typeof gapDuration === 'string'
    ? new Column<WindowValue, 'session_window'>(call('session_window', [c(timeColumn)], { gapDuration }))
    : new Column<WindowValue, 'session_window'>(call('session_window', [c(timeColumn), gapDuration.expr]));
}

/** A window column's value: its start (inclusive) and end (exclusive). */
export interface WindowValue {
  start: Date | null;
  end: Date | null;
}

// ---- aggregates ----

/** The number of rows (`count('*')`) or of non-null values. */
export function count(x: ColumnLike): Column<number> {
  return x === '*' ? fn<number>('count', { k: 'star' }) : fn<number>('count', c(x));
}
export function countDistinct(x: ColumnLike, ...more: ColumnLike[]): Column {
  return new Column({ k: 'call', name: 'count', args: [c(x), ...more.map(c)], distinct: true });
}
export const sum = (x: ColumnLike): Column<number | null> => fn<number | null>('sum', c(x));
export const avg = (x: ColumnLike): Column<number | null> => fn<number | null>('avg', c(x));
export const mean = avg;
export const min = <V = unknown>(x: Column<V> | string): Column<V | null> => fn<V | null>('min', c(x));
export const max = <V = unknown>(x: Column<V> | string): Column<V | null> => fn<V | null>('max', c(x));
export const first = (x: ColumnLike, ignoreNulls = false): Column => fn('first', c(x), literalExpr(ignoreNulls));
export const last = (x: ColumnLike, ignoreNulls = false): Column => fn('last', c(x), literalExpr(ignoreNulls));
export const collectList = (x: ColumnLike): Column => fn('collect_list', c(x));
export const collectSet = (x: ColumnLike): Column => fn('collect_set', c(x));
export const approxCountDistinct = (x: ColumnLike, rsd?: number): Column =>
  rsd === undefined ? fn('approx_count_distinct', c(x)) : fn('approx_count_distinct', c(x), literalExpr(rsd));
export const stddev = (x: ColumnLike): Column => fn('stddev', c(x));
export const variance = (x: ColumnLike): Column => fn('variance', c(x));

// ---- generators, collections, structs ----

/** One row per element of an array (or entry of a map). */
export const explode = (x: ColumnLike): Column => fn('explode', c(x));
export const explodeOuter = (x: ColumnLike): Column => fn('explode_outer', c(x));
export const posexplode = (x: ColumnLike): Column => fn('posexplode', c(x));

/** Splits a string around matches of a regular expression. */
export function split(x: ColumnLike, pattern: string, limit = -1): Column {
  requireString(pattern, 'split()', 'the pattern', "' ' or ',\\s*'");
  return fn('split', c(x), str(pattern), literalExpr(limit));
}

/** Nests columns into a struct; `struct('*')` takes every column. */
export function struct(...cols: ColumnLike[]): Column {
  return new Column(call('struct', cols.map(c)));
}

export const array = (...cols: ColumnLike[]): Column => new Column(call('array', cols.map(c)));
export const size = (x: ColumnLike): Column => fn('size', c(x));
export const arrayContains = (x: ColumnLike, value: unknown): Column => fn('array_contains', c(x), toExpr(value));
export const elementAt = (x: ColumnLike, index: unknown): Column => fn('element_at', c(x), toExpr(index));
export const sortArray = (x: ColumnLike, asc = true): Column => fn('sort_array', c(x), literalExpr(asc));
export const arrayDistinct = (x: ColumnLike): Column => fn('array_distinct', c(x));
export const arrayJoin = (x: ColumnLike, sep: string): Column => fn('array_join', c(x), str(sep));

// ---- JSON ----

export type ParseMode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

export interface JsonOptions {
  /** PERMISSIVE (default: a malformed record gives nulls), DROPMALFORMED (dropped and counted) or FAILFAST. */
  readonly mode?: ParseMode;
  readonly columnNameOfCorruptRecord?: string;
  readonly timestampFormat?: string;
}

/** Parses a JSON string column with `schema` (a type or DDL text such as 'a INT, b STRING'). */
export function fromJson(x: ColumnLike, schema: DataType | string, options: JsonOptions = {}): Column {
  if (typeof schema !== 'string' && (schema === null || typeof schema !== 'object' || typeof (schema as { kind?: unknown }).kind !== 'string')) {
    throw argumentError('fromJson()', 'the schema', "a type such as T.struct([...]), or DDL text such as 'a INT, b STRING'", schema);
  }
  if (typeof schema === 'string') return new Column(call('from_json', [c(x), str(schema)], { ...options }));
  return new Column(call('from_json', [c(x)], { ...options, schema }));
}

/** Formats a struct, array or map column as a JSON string. */
export function toJson(x: ColumnLike, options: Record<string, string> = {}): Column {
  return new Column(call('to_json', [c(x)], options));
}

// ---- date and time ----

/** Parses a string into a timestamp, with an optional pattern such as 'yyyy-MM-dd HH:mm:ss'. */
export function toTimestamp(x: ColumnLike, format?: string): Column {
  if (format !== undefined) requireString(format, 'toTimestamp()', 'the format', "'yyyy-MM-dd HH:mm:ss'");
  return format === undefined ? fn('to_timestamp', c(x)) : fn('to_timestamp', c(x), str(format));
}
export const toDate = (x: ColumnLike, format?: string): Column =>
  format === undefined ? fn('to_date', c(x)) : fn('to_date', c(x), str(format));
export const dateFormat = (x: ColumnLike, format: string): Column => fn('date_format', c(x), str(format));
export const unixTimestamp = (x?: ColumnLike, format?: string): Column =>
  x === undefined ? fn('unix_timestamp') : format === undefined ? fn('unix_timestamp', c(x)) : fn('unix_timestamp', c(x), str(format));
export const fromUnixtime = (x: ColumnLike, format?: string): Column =>
  format === undefined ? fn('from_unixtime', c(x)) : fn('from_unixtime', c(x), str(format));
export const currentTimestamp = (): Column => fn('current_timestamp');
export const currentDate = (): Column => fn('current_date');
export const year = (x: ColumnLike): Column => fn('year', c(x));
export const month = (x: ColumnLike): Column => fn('month', c(x));
export const dayofmonth = (x: ColumnLike): Column => fn('dayofmonth', c(x));
export const hour = (x: ColumnLike): Column => fn('hour', c(x));
export const minute = (x: ColumnLike): Column => fn('minute', c(x));
export const second = (x: ColumnLike): Column => fn('second', c(x));
export const dateAdd = (x: ColumnLike, days: unknown): Column => fn('date_add', c(x), toExpr(days));
export const dateSub = (x: ColumnLike, days: unknown): Column => fn('date_sub', c(x), toExpr(days));
export const datediff = (end: ColumnLike, start: ColumnLike): Column => fn('datediff', c(end), c(start));

// ---- strings ----

export const upper = (x: ColumnLike): Column => fn('upper', c(x));
export const lower = (x: ColumnLike): Column => fn('lower', c(x));
export const trim = (x: ColumnLike): Column => fn('trim', c(x));
export const ltrim = (x: ColumnLike): Column => fn('ltrim', c(x));
export const rtrim = (x: ColumnLike): Column => fn('rtrim', c(x));
export const length = (x: ColumnLike): Column => fn('length', c(x));
export const substring = (x: ColumnLike, pos: number, len: number): Column => fn('substring', c(x), literalExpr(pos), literalExpr(len));
export const concat = (...cols: ColumnLike[]): Column => new Column(call('concat', cols.map(c)));
export const concatWs = (sep: string, ...cols: ColumnLike[]): Column => new Column(call('concat_ws', [str(sep), ...cols.map(c)]));
export const regexpReplace = (x: ColumnLike, pattern: string, replacement: string): Column =>
  fn('regexp_replace', c(x), str(pattern), str(replacement));
export const regexpExtract = (x: ColumnLike, pattern: string, idx: number): Column =>
  fn('regexp_extract', c(x), str(pattern), literalExpr(idx));
export const lpad = (x: ColumnLike, len: number, pad: string): Column => fn('lpad', c(x), literalExpr(len), str(pad));
export const rpad = (x: ColumnLike, len: number, pad: string): Column => fn('rpad', c(x), literalExpr(len), str(pad));
export const initcap = (x: ColumnLike): Column => fn('initcap', c(x));
export const reverse = (x: ColumnLike): Column => fn('reverse', c(x));
export const instr = (x: ColumnLike, sub: string): Column => fn('instr', c(x), str(sub));
export const translate = (x: ColumnLike, from: string, to: string): Column => fn('translate', c(x), str(from), str(to));
export const base64 = (x: ColumnLike): Column => fn('base64', c(x));

// ---- math ----

export const abs = (x: ColumnLike): Column => fn('abs', c(x));
export const round = (x: ColumnLike, scale = 0): Column => fn('round', c(x), literalExpr(scale));
export const bround = (x: ColumnLike, scale = 0): Column => fn('bround', c(x), literalExpr(scale));
export const floor = (x: ColumnLike): Column => fn('floor', c(x));
export const ceil = (x: ColumnLike): Column => fn('ceil', c(x));
export const sqrt = (x: ColumnLike): Column => fn('sqrt', c(x));
export const pow = (x: ColumnLike, y: unknown): Column => fn('pow', c(x), toExpr(y));
export const exp = (x: ColumnLike): Column => fn('exp', c(x));
export const log = (x: ColumnLike): Column => fn('ln', c(x));
export const log10 = (x: ColumnLike): Column => fn('log10', c(x));
export const signum = (x: ColumnLike): Column => fn('signum', c(x));
export const greatest = (...cols: ColumnLike[]): Column => new Column(call('greatest', cols.map(c)));
export const least = (...cols: ColumnLike[]): Column => new Column(call('least', cols.map(c)));

// ---- conditionals and hashes ----

export const coalesce = (...cols: ColumnLike[]): Column => new Column(call('coalesce', cols.map(c)));
export const isnull = (x: ColumnLike): Column => new Column({ k: 'isNull', child: c(x), negated: false });
export const md5 = (x: ColumnLike): Column => fn('md5', c(x));
export const sha1 = (x: ColumnLike): Column => fn('sha1', c(x));
export const sha2 = (x: ColumnLike, bits: number): Column => fn('sha2', c(x), literalExpr(bits));
export const crc32 = (x: ColumnLike): Column => fn('crc32', c(x));
export const hash = (...cols: ColumnLike[]): Column => new Column(call('hash', cols.map(c)));

/** CASE WHEN: `when(cond, value).when(cond2, value2).otherwise(other)`. */
export function when(condition: Column, value: unknown): Column {
  return new Column({ k: 'case', branches: [{ when: condition.expr, then: toExpr(value) }] });
}

/** Calls any registered SQL function by name. */
export function callFunction(name: string, ...cols: ColumnLike[]): Column {
  return new Column(call(name, cols.map(c)));
}

/** A user function over column values; `returnType` is the type of what it returns. */
export function udf<A extends unknown[], R>(f: (...args: A) => R, returnType: DataType, name = f.name || 'udf') {
  if (typeof f !== 'function') throw new AnalysisError('udf() needs a function');
  return (...cols: ColumnLike[]): Column =>
    new Column({ k: 'udf', name, fn: f as unknown as (...args: never[]) => unknown, args: cols.map(c), returnType });
}

// ---- Avro ----

export interface AvroOptions {
  /** FAILFAST (default, as in Spark: a malformed record fails the query), PERMISSIVE (null) or DROPMALFORMED (dropped and counted). */
  readonly mode?: ParseMode;
  /** The most array and map items one value may hold (default 10,000,000); beyond, the record is malformed. */
  readonly maxItems?: number;
}

/** Decodes a binary Avro column with the schema given as .avsc JSON text. */
export function fromAvro(x: ColumnLike, jsonFormatSchema: string, options: AvroOptions = {}): Column {
  return new Column(call('from_avro', [c(x)], { ...options, jsonFormatSchema }));
}

/** Encodes a column as binary Avro: with the schema given (.avsc JSON text), or the one derived from its type. */
export function toAvro(x: ColumnLike, jsonFormatSchema?: string): Column {
  return new Column(call('to_avro', [c(x)], jsonFormatSchema === undefined ? {} : { jsonFormatSchema }));
}
