// The functions of Spark's `functions` object, in camelCase. Where Spark takes a column, a
// string is a column name; where it takes a pattern or a format, a string is a literal.
import { AnalysisError } from '../errors.js';
import { parseSelectItem } from '../expr/parser.js';
import type { Expr } from '../expr/tree.js';
import { call, literal } from '../expr/tree.js';
import { registerScalar } from '../expr/functions/registry.js';
import type { DataType } from '../expr/types.js';
import { STRING } from '../expr/types.js';
import type { ColumnLike } from './column.js';
import { Column, literalExpr, toColumnExpr, toExpr } from './column.js';
import { argumentError, requireInterval, requireString } from './arguments.js';

const c = (x: ColumnLike): Expr => toColumnExpr(x);
const fn = <V = unknown>(name: string, ...args: Expr[]): Column<V> => new Column<V>(call(name, args));
const str = (s: string): Expr => literal(s, STRING);

/**
 * A column by name (Spark's `col`): `col('a')`, a struct field `col('t.a')`, every field of a
 * struct `col('t.*')`; backticks quote a name holding a dot (`` col('`a.b`') ``). The name is
 * resolved when the frame is analysed: an unknown column is an {@link AnalysisError} naming the
 * input columns.
 *
 * @throws {@link AnalysisError} when `name` is not a string.
 * @example
 * ```ts
 * df.select(col('word'), col('t.*')).filter(col('n').gt(1));
 * ```
 */
export function col<N extends string>(name: N): Column<unknown, N> {
  return new Column(toColumnExpr(requireString(name, 'col()', 'the column name', "'word' or 't.*'"), 'col()'));
}
/** The same as {@link col} (Spark's `column`). */
export const column = col;

/**
 * A literal value as a column (Spark's `lit`); a Column is returned unchanged. A whole number below
 * 2^31 in magnitude is an `integer`, a larger one a `long`, any other number a `double`; strings,
 * booleans, `Date`s (timestamps), `Buffer`s (binary), arrays of these, and `null` (or `undefined`)
 * are accepted.
 *
 * @throws {@link AnalysisError} for any other value (an object, a function, a symbol).
 */
export function lit<V, N extends string>(value: Column<V, N>): Column<V, N>;
export function lit<V>(value: V): Column<V>;
export function lit(value: unknown): Column {
  return value instanceof Column ? value : new Column(literalExpr(value));
}

/**
 * A column from Spark SQL expression text (Spark's `expr`): arithmetic, comparisons, AND / OR /
 * NOT, IS [NOT] NULL, IN, BETWEEN, LIKE, CASE WHEN, CAST, `interval 1 hour`, dotted struct
 * fields, function calls by their SQL names, and `AS name`. The text is parsed into an
 * expression tree, never pasted into code.
 *
 * @throws {@link ParseError} when the text cannot be parsed (the message points at the position);
 * {@link AnalysisError} when `sql` is not a string.
 * @example
 * ```ts
 * sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY');
 * ```
 */
export function expr(sql: string): Column {
  return new Column(parseSelectItem(requireString(sql, 'expr()', 'the expression', `"case when Type == 'BUY' then Amount end"`)));
}

// ---- sort keys (for orderBy / sort) ----

/** Ascending, nulls first: `orderBy(asc('name'))`. */
export const asc = (x: ColumnLike): Column => new Column(c(x)).asc();
/** Sort key: ascending, nulls first (Spark's `asc_nulls_first`; the same as {@link asc}). */
export const ascNullsFirst = (x: ColumnLike): Column => new Column(c(x)).ascNullsFirst();
/** Sort key: ascending, nulls last (Spark's `asc_nulls_last`). */
export const ascNullsLast = (x: ColumnLike): Column => new Column(c(x)).ascNullsLast();
/** Descending, nulls last: `orderBy(desc('count'))`. */
export const desc = (x: ColumnLike): Column => new Column(c(x)).desc();
/** Sort key: descending, nulls first (Spark's `desc_nulls_first`). */
export const descNullsFirst = (x: ColumnLike): Column => new Column(c(x)).descNullsFirst();
/** Sort key: descending, nulls last (Spark's `desc_nulls_last`; the same as {@link desc}). */
export const descNullsLast = (x: ColumnLike): Column => new Column(c(x)).descNullsLast();

// ---- windows ----

/**
 * Event-time windows for `groupBy` (Spark's `window`): each row falls into the windows that contain
 * its `timeColumn` (a timestamp column, or the `window` struct of an earlier aggregation). Windows
 * are aligned to the Unix epoch plus `startTime`; each is `[start, end)`. With `slideDuration`
 * shorter than `windowDuration` the windows overlap (sliding) and a row counts in each window that
 * contains it; without it they are tumbling. The result is a non-null struct column named `window`
 * with `start` and `end` timestamps ({@link WindowValue}); `select('window.*')` flattens it.
 *
 * Durations are interval strings such as `'15 minutes'` or `'1 hour 30 minutes'` (no months or
 * years); `startTime` may be negative (`'-5 minutes'`).
 *
 * @param timeColumn The event-time column (a name or a Column).
 * @param windowDuration The length of each window.
 * @param slideDuration How far apart windows start; at most `windowDuration` (default: equal to it).
 * @param startTime The offset of window starts from the epoch; its absolute value must be less than
 * the slide.
 * @throws {@link AnalysisError} when a duration is not an interval string (a number is refused:
 * write `'10 seconds'`); when the query is analysed, if a duration is not positive, the slide exceeds
 * the window, `startTime` is not within the slide, or `timeColumn` is not a timestamp.
 * @example
 * ```ts
 * trades.withWatermark('CreatedTime', '30 minutes')
 *   .groupBy(window(col('CreatedTime'), '15 minutes'))             // tumbling
 *   .agg(sum('Amount').alias('total'));
 * events.groupBy(window('ts', '10 minutes', '5 minutes'), 'user').count(); // sliding
 * ```
 */
export function window(timeColumn: ColumnLike, windowDuration: string, slideDuration?: string, startTime?: string): Column<WindowValue, 'window'> {
  requireInterval(windowDuration, 'window()', 'the window duration');
  if (slideDuration !== undefined) requireInterval(slideDuration, 'window()', 'the slide duration');
  if (startTime !== undefined) requireString(startTime, 'window()', 'the start time', "'5 minutes' or '-5 minutes'");
  return new Column<WindowValue, 'window'>(call('window', [c(timeColumn)], {
    windowDuration, ...(slideDuration !== undefined ? { slideDuration } : {}), ...(startTime !== undefined ? { startTime } : {}),
  }));
}

/**
 * Session windows for `groupBy` (Spark's `session_window`): each row opens `[t, t + gap)` and the
 * windows of one key merge while they overlap or touch, so a session closes after `gapDuration`
 * without events. The gap is an interval string, or a Column giving each row its gap (an interval
 * string or a number of milliseconds; a row whose gap is null, not positive or not an interval
 * opens no session and is dropped, as in Spark). The result is a non-null struct column named
 * `session_window` with `start` and `end` timestamps ({@link WindowValue}). In append mode a session
 * is emitted once the watermark reaches its end.
 *
 * @throws {@link AnalysisError} when `gapDuration` is neither an interval string nor a Column; when
 * the query is analysed, if the gap is not positive or `timeColumn` is not a timestamp.
 * @example
 * ```ts
 * clicks.withWatermark('ts', '10 minutes')
 *   .groupBy(sessionWindow(col('ts'), '5 minutes'), 'userId')
 *   .agg(count('*').alias('clicks'));
 * ```
 */
export function sessionWindow(timeColumn: ColumnLike, gapDuration: string | Column): Column<WindowValue, 'session_window'> {
  if (!(gapDuration instanceof Column)) requireInterval(gapDuration, 'sessionWindow()', 'the gap duration');
  return typeof gapDuration === 'string'
    ? new Column<WindowValue, 'session_window'>(call('session_window', [c(timeColumn)], { gapDuration }))
    : new Column<WindowValue, 'session_window'>(call('session_window', [c(timeColumn), gapDuration.expr]));
}

/** A window column's value: its start (inclusive) and end (exclusive). */
export interface WindowValue {
  /** The window's first instant (inclusive). */
  start: Date | null;
  /** The instant just after the window (exclusive): `end - start` is the window duration. */
  end: Date | null;
}

// ---- aggregates ----

/**
 * The number of rows of each group (`count('*')`, Spark's `count(*)`), or the number of non-null
 * values of a column (`count('x')`). Aggregate: use it in `agg`. Never null: 0 for an empty group.
 */
export function count(x: ColumnLike): Column<number> {
  return x === '*' ? fn<number>('count', { k: 'star' }) : fn<number>('count', c(x));
}
/**
 * The number of distinct values (Spark's `count_distinct` / `countDistinct`): distinct tuples of
 * the given columns, skipping rows where any of them is null. Aggregate.
 */
export function countDistinct(x: ColumnLike, ...more: ColumnLike[]): Column {
  return new Column({ k: 'call', name: 'count', args: [c(x), ...more.map(c)], distinct: true });
}
/**
 * The sum of a numeric column's non-null values (Spark's `sum`): a `long` for integer columns, a
 * `double` otherwise (a string is read as a number). Null when the group has no non-null value.
 * Aggregate.
 */
export const sum = (x: ColumnLike): Column<number | null> => fn<number | null>('sum', c(x));
/**
 * The mean of a numeric column's non-null values, as a `double` (Spark's `avg`). Null when the group
 * has no non-null value. Aggregate.
 */
export const avg = (x: ColumnLike): Column<number | null> => fn<number | null>('avg', c(x));
/** The same as {@link avg} (Spark's `mean`). */
export const mean = avg;
/**
 * The least non-null value of a column (Spark's `min`): numbers, strings, timestamps and other
 * ordered types (not maps). Null when the group has no non-null value. Aggregate.
 */
export const min = <V = unknown>(x: Column<V> | string): Column<V | null> => fn<V | null>('min', c(x));
/**
 * The greatest non-null value of a column (Spark's `max`): numbers, strings, timestamps and other
 * ordered types (not maps). Null when the group has no non-null value. Aggregate.
 */
export const max = <V = unknown>(x: Column<V> | string): Column<V | null> => fn<V | null>('max', c(x));
/**
 * The first value of the group in arrival order (Spark's `first`); with `ignoreNulls` the first
 * non-null one. As in Spark, which row is first depends on the order rows arrive. Aggregate.
 */
export const first = (x: ColumnLike, ignoreNulls = false): Column => fn('first', c(x), literalExpr(ignoreNulls));
/**
 * The last value of the group in arrival order (Spark's `last`); with `ignoreNulls` the last
 * non-null one. Aggregate.
 */
export const last = (x: ColumnLike, ignoreNulls = false): Column => fn('last', c(x), literalExpr(ignoreNulls));
/** The group's non-null values as an array, in arrival order (Spark's `collect_list`). Aggregate. */
export const collectList = (x: ColumnLike): Column => fn('collect_list', c(x));
/**
 * The group's distinct non-null values as an array, each kept at its first arrival (Spark's
 * `collect_set`); maps are refused. Aggregate.
 */
export const collectSet = (x: ColumnLike): Column => fn('collect_set', c(x));
/**
 * An estimate of the number of distinct non-null values, by HyperLogLog (Spark's
 * `approx_count_distinct`): `rsd` is the largest relative standard deviation allowed (default 0.05,
 * between 0.003 and 0.39; an {@link AnalysisError} otherwise). Its state is a fixed-size sketch, so
 * it suits high-cardinality columns in long-running aggregations. Aggregate.
 */
export const approxCountDistinct = (x: ColumnLike, rsd?: number): Column =>
  rsd === undefined ? fn('approx_count_distinct', c(x)) : fn('approx_count_distinct', c(x), literalExpr(rsd));
/**
 * The sample standard deviation of a numeric column's non-null values, as a `double` (Spark's
 * `stddev`, i.e. `stddev_samp`). Null for fewer than two values. Aggregate.
 */
export const stddev = (x: ColumnLike): Column => fn('stddev', c(x));
/**
 * The sample variance of a numeric column's non-null values, as a `double` (Spark's `variance`, i.e.
 * `var_samp`). Null for fewer than two values. Aggregate.
 */
export const variance = (x: ColumnLike): Column => fn('variance', c(x));

// ---- generators, collections, structs ----

/**
 * One row per element of an array column, in a column named `col`, or per entry of a map column, in
 * columns `key` and `value` (Spark's `explode`). A null or empty array or map gives no row. A
 * generator: use it alone as a `select` item; `alias('x')` names its column (`alias('k', 'v')` for a
 * map).
 *
 * @example
 * ```ts
 * lines.select(explode(split(col('value'), ' ')).alias('word'));
 * ```
 */
export const explode = (x: ColumnLike): Column => fn('explode', c(x));
/**
 * Like {@link explode}, but a null or empty array or map gives one row whose generated columns are
 * null (Spark's `explode_outer`).
 */
export const explodeOuter = (x: ColumnLike): Column => fn('explode_outer', c(x));
/**
 * Like {@link explode}, with the element's 0-based position first, in a column named `pos`
 * (Spark's `posexplode`): `posexplode(col('xs')).alias('i', 'x')` names both columns.
 */
export const posexplode = (x: ColumnLike): Column => fn('posexplode', c(x));

/**
 * Splits a string around matches of `pattern` into an array of strings (Spark's `split`).
 * `pattern` is a Java regular expression (the common Java-only forms, such as `\Q...\E` and leading
 * inline flags, are translated); an empty pattern splits into characters. With `limit` > 0 the
 * array has at most `limit` elements, the last holding the rest of the string; with `limit` <= 0
 * (the default, -1) it has every piece, trailing empty strings included. A null string gives null.
 *
 * @throws {@link AnalysisError} when `pattern` is not a string, or is a literal that is not a valid
 * regular expression.
 */
export function split(x: ColumnLike, pattern: string, limit = -1): Column {
  requireString(pattern, 'split()', 'the pattern', "' ' or ',\\s*'");
  return fn('split', c(x), str(pattern), literalExpr(limit));
}

/**
 * A struct column built from columns (Spark's `struct`): each field is named after its column or
 * alias; `struct('*')` takes every column of the frame. Use it to nest columns, e.g. before
 * {@link toJson} or as a Kafka `value`.
 */
export function struct(...cols: ColumnLike[]): Column {
  return new Column(call('struct', cols.map(c)));
}

/**
 * An array column from columns (Spark's `array`): the elements are brought to their common type
 * (numbers widen; a string beside another simple type makes strings). Nulls stay as elements.
 */
export const array = (...cols: ColumnLike[]): Column => new Column(call('array', cols.map(c)));
/**
 * The number of elements of an array or entries of a map, as an `integer` (Spark's `size`); -1 for
 * null, as Spark's default (`spark.sql.legacy.sizeOfNull`).
 */
export const size = (x: ColumnLike): Column => fn('size', c(x));
/**
 * Whether an array holds `value` (a literal or a Column) (Spark's `array_contains`): true, false, or
 * null when it is not found but the array holds a null (SQL's three-valued logic). A null array
 * gives null.
 */
export const arrayContains = (x: ColumnLike, value: unknown): Column => fn('array_contains', c(x), toExpr(value));
/**
 * The element of an array at a 1-based `index` (negative counts from the end; out of range gives
 * null), or the value of a map at key `index` (Spark's `element_at`).
 *
 * @throws at run time, failing the query, for array index 0 (SQL arrays start at 1).
 */
export const elementAt = (x: ColumnLike, index: unknown): Column => fn('element_at', c(x), toExpr(index));
/**
 * The array sorted (Spark's `sort_array`): ascending with nulls first (default), or descending
 * with nulls last when `asc` is false.
 */
export const sortArray = (x: ColumnLike, asc = true): Column => fn('sort_array', c(x), literalExpr(asc));
/**
 * The array without repeated elements, keeping the first of each (one null at most) (Spark's
 * `array_distinct`).
 */
export const arrayDistinct = (x: ColumnLike): Column => fn('array_distinct', c(x));
/** The array's elements as strings joined by `sep`, nulls skipped (Spark's `array_join`). */
export const arrayJoin = (x: ColumnLike, sep: string): Column => fn('array_join', c(x), str(sep));

// ---- JSON ----

/**
 * How a parser treats a malformed record (Spark's parse modes): `PERMISSIVE` keeps the row with
 * nulls (and the raw text in the corrupt-record column, when the schema has one), `DROPMALFORMED`
 * drops the row and counts it in progress (`numMalformedRowsDropped`), `FAILFAST` fails the query
 * with a {@link MalformedRecordError}.
 */
export type ParseMode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

/** Options of {@link fromJson} (Spark's `from_json` options; keys are case-insensitive as in Spark). */
export interface JsonOptions {
  /** PERMISSIVE (default: a malformed record gives nulls), DROPMALFORMED (dropped and counted) or FAILFAST. */
  readonly mode?: ParseMode;
  /**
   * Under PERMISSIVE, the schema field that receives the raw text of a malformed record (default
   * `_corrupt_record`); it must be a `string` field of the schema, and is null for well-formed records.
   * Without such a field the raw text is not kept.
   */
  readonly columnNameOfCorruptRecord?: string;
  /**
   * The pattern timestamp fields are parsed with, e.g. `'dd/MM/yyyy HH:mm'` (Spark's datetime
   * pattern letters). Without it, ISO-8601 and Spark's default forms (`2019-02-05 10:05:00`, a date,
   * an optional zone offset) are read, as UTC; JSON numbers are seconds since the epoch.
   */
  readonly timestampFormat?: string;
}

/**
 * Parses a JSON string column into a struct, array or map column (Spark's `from_json`). `schema` is a
 * type (`T.struct([...])`) or DDL text (`'a INT, b STRING'`, `'array<struct<a: INT>>'`). A field
 * missing from the record is null; a blank string or JSON `null` gives null. A record that is not
 * valid JSON, or a value that does not fit its field's type, is malformed and follows `options.mode`
 * ({@link ParseMode}): PERMISSIVE (default) gives a struct of nulls, so a bad record never crashes
 * the query. A single object is accepted for an array-of-structs schema.
 *
 * @throws {@link AnalysisError} when `schema` is neither a type nor DDL text, or (when the query is
 * analysed) is not a struct, array or map, or when the mode is unknown.
 * @example
 * ```ts
 * const schema = T.struct([T.field('Type', T.string()), T.field('Amount', T.integer())]);
 * kafka.select(fromJson(col('value').cast('string'), schema).alias('t')).select('t.*');
 * ```
 */
export function fromJson(x: ColumnLike, schema: DataType | string, options: JsonOptions = {}): Column {
  if (typeof schema !== 'string' && (schema === null || typeof schema !== 'object' || typeof (schema as { kind?: unknown }).kind !== 'string')) {
    throw argumentError('fromJson()', 'the schema', "a type such as T.struct([...]), or DDL text such as 'a INT, b STRING'", schema);
  }
  if (typeof schema === 'string') return new Column(call('from_json', [c(x), str(schema)], { ...options }));
  return new Column(call('from_json', [c(x)], { ...options, schema }));
}

/**
 * Formats a struct, array or map column as a JSON string (Spark's `to_json`). Null fields are left
 * out (option `ignoreNullFields`, default `'true'`); timestamps are written with option
 * `timestampFormat` (default `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`, in UTC); doubles as Java prints them
 * (`1.0`, `1.0E10`); binaries as base64.
 *
 * @throws {@link AnalysisError} (when the query is analysed) for a column of any other type: wrap
 * plain columns with {@link struct}.
 */
export function toJson(x: ColumnLike, options: Record<string, string> = {}): Column {
  return new Column(call('to_json', [c(x)], options));
}

// ---- date and time ----

/**
 * Converts a column to a timestamp (Spark's `to_timestamp`). A string is parsed with `format` (Spark's
 * datetime pattern letters, e.g. `'yyyy-MM-dd HH:mm:ss'`) or, without one, as ISO-8601 or Spark's
 * default forms; a timestamp is kept; a number is seconds since the epoch. Text that does not parse
 * gives null. Times without a zone are read in UTC, the session time zone.
 *
 * @throws {@link AnalysisError} when `format` is not a string, or is a literal pattern that is not
 * valid.
 * @example
 * ```ts
 * df.withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'));
 * ```
 */
export function toTimestamp(x: ColumnLike, format?: string): Column {
  if (format !== undefined) requireString(format, 'toTimestamp()', 'the format', "'yyyy-MM-dd HH:mm:ss'");
  return format === undefined ? fn('to_timestamp', c(x)) : fn('to_timestamp', c(x), str(format));
}
/**
 * Converts a column to a date, i.e. a timestamp at 00:00 UTC of its day (Spark's `to_date`; spate
 * has no separate date type). Reads strings (with `format` or the default forms), timestamps and
 * seconds since the epoch as {@link toTimestamp} does; text that does not parse gives null.
 */
export const toDate = (x: ColumnLike, format?: string): Column =>
  format === undefined ? fn('to_date', c(x)) : fn('to_date', c(x), str(format));
/**
 * Formats a timestamp (or a timestamp string) as text with a pattern such as `'yyyy-MM-dd'`, in UTC
 * (Spark's `date_format`).
 */
export const dateFormat = (x: ColumnLike, format: string): Column => fn('date_format', c(x), str(format));
/**
 * Seconds since the epoch, as a `long` (Spark's `unix_timestamp`): of the current time with no
 * argument; else of a timestamp, or of a string parsed with `format` (default
 * `yyyy-MM-dd HH:mm:ss`). Text that does not parse gives null.
 */
export const unixTimestamp = (x?: ColumnLike, format?: string): Column =>
  x === undefined ? fn('unix_timestamp') : format === undefined ? fn('unix_timestamp', c(x)) : fn('unix_timestamp', c(x), str(format));
/**
 * Seconds since the epoch formatted as text with `format` (default `yyyy-MM-dd HH:mm:ss`), in UTC
 * (Spark's `from_unixtime`).
 */
export const fromUnixtime = (x: ColumnLike, format?: string): Column =>
  format === undefined ? fn('from_unixtime', c(x)) : fn('from_unixtime', c(x), str(format));
/**
 * The current time as a timestamp (Spark's `current_timestamp`). Unlike Spark, which fixes it once
 * per query execution, spate reads the clock each time a row is evaluated.
 */
export const currentTimestamp = (): Column => fn('current_timestamp');
/**
 * Today's date, as a timestamp at 00:00 UTC (Spark's `current_date`); read at evaluation, like
 * {@link currentTimestamp}.
 */
export const currentDate = (): Column => fn('current_date');
/** The year of a timestamp, in UTC, as an `integer` (Spark's `year`). */
export const year = (x: ColumnLike): Column => fn('year', c(x));
/** The month of a timestamp (1 to 12), in UTC (Spark's `month`). */
export const month = (x: ColumnLike): Column => fn('month', c(x));
/** The day of the month of a timestamp (1 to 31), in UTC (Spark's `dayofmonth`). */
export const dayofmonth = (x: ColumnLike): Column => fn('dayofmonth', c(x));
/** The hour of a timestamp (0 to 23), in UTC (Spark's `hour`). */
export const hour = (x: ColumnLike): Column => fn('hour', c(x));
/** The minute of a timestamp (0 to 59) (Spark's `minute`). */
export const minute = (x: ColumnLike): Column => fn('minute', c(x));
/** The second of a timestamp (0 to 59) (Spark's `second`). */
export const second = (x: ColumnLike): Column => fn('second', c(x));
/**
 * The date `days` days after a timestamp, at 00:00 UTC (Spark's `date_add`); `days` is a number or
 * an integer Column.
 */
export const dateAdd = (x: ColumnLike, days: unknown): Column => fn('date_add', c(x), toExpr(days));
/** The date `days` days before a timestamp, at 00:00 UTC (Spark's `date_sub`). */
export const dateSub = (x: ColumnLike, days: unknown): Column => fn('date_sub', c(x), toExpr(days));
/**
 * The number of days from `start` to `end` (negative when `end` is earlier), counting UTC calendar
 * days (Spark's `datediff`).
 */
export const datediff = (end: ColumnLike, start: ColumnLike): Column => fn('datediff', c(end), c(start));

// ---- strings ----

/** The string in upper case (Spark's `upper`). */
export const upper = (x: ColumnLike): Column => fn('upper', c(x));
/** The string in lower case (Spark's `lower`). */
export const lower = (x: ColumnLike): Column => fn('lower', c(x));
/**
 * The string without leading and trailing spaces (Spark's `trim`: spaces only, not tabs or
 * newlines).
 */
export const trim = (x: ColumnLike): Column => fn('trim', c(x));
/** The string without leading spaces (Spark's `ltrim`). */
export const ltrim = (x: ColumnLike): Column => fn('ltrim', c(x));
/** The string without trailing spaces (Spark's `rtrim`). */
export const rtrim = (x: ColumnLike): Column => fn('rtrim', c(x));
/**
 * The number of characters (Unicode code points) of a string, or of bytes of a binary, as an
 * `integer` (Spark's `length`).
 */
export const length = (x: ColumnLike): Column => fn('length', c(x));
/**
 * `len` characters of a string from 1-based position `pos` (Spark's `substring`): a negative `pos`
 * counts from the end, 0 is the start, and a length running past the end is cut off. Binary columns
 * are cut by bytes.
 */
export const substring = (x: ColumnLike, pos: number, len: number): Column => fn('substring', c(x), literalExpr(pos), literalExpr(len));
/**
 * The strings joined (Spark's `concat`); null if any of them is null. Arrays are concatenated into
 * one array, binaries into one binary.
 */
export const concat = (...cols: ColumnLike[]): Column => new Column(call('concat', cols.map(c)));
/**
 * The strings joined with `sep` between them (Spark's `concat_ws`); nulls are skipped, and an array
 * of strings contributes each of its elements.
 */
export const concatWs = (sep: string, ...cols: ColumnLike[]): Column => new Column(call('concat_ws', [str(sep), ...cols.map(c)]));
/**
 * Every match of `pattern` (a Java regular expression) replaced by `replacement`, in which `$1` or
 * `${name}` refers to a group and `\$` is a dollar sign (Spark's `regexp_replace`).
 */
export const regexpReplace = (x: ColumnLike, pattern: string, replacement: string): Column =>
  fn('regexp_replace', c(x), str(pattern), str(replacement));
/**
 * The text of group `idx` (0 = the whole match) of the first match of `pattern` (a Java regular
 * expression), or `''` when nothing matches (Spark's `regexp_extract`). An `idx` beyond the
 * pattern's groups is an {@link AnalysisError}.
 */
export const regexpExtract = (x: ColumnLike, pattern: string, idx: number): Column =>
  fn('regexp_extract', c(x), str(pattern), literalExpr(idx));
/**
 * The string padded on the left with `pad` (repeated) up to `len` characters, or cut down to `len`
 * (Spark's `lpad`).
 */
export const lpad = (x: ColumnLike, len: number, pad: string): Column => fn('lpad', c(x), literalExpr(len), str(pad));
/**
 * The string padded on the right with `pad` (repeated) up to `len` characters, or cut down to `len`
 * (Spark's `rpad`).
 */
export const rpad = (x: ColumnLike, len: number, pad: string): Column => fn('rpad', c(x), literalExpr(len), str(pad));
/**
 * The string with the first letter of each space-separated word in upper case and the rest in lower
 * case (Spark's `initcap`).
 */
export const initcap = (x: ColumnLike): Column => fn('initcap', c(x));
/**
 * A string with its characters in reverse order, or an array with its elements reversed (Spark's
 * `reverse`).
 */
export const reverse = (x: ColumnLike): Column => fn('reverse', c(x));
/**
 * The 1-based character position of the first occurrence of `sub` in the string, 0 if absent
 * (Spark's `instr`).
 */
export const instr = (x: ColumnLike, sub: string): Column => fn('instr', c(x), str(sub));
/**
 * Each character of the string that occurs in `from` replaced by the character at the same position
 * in `to`, or removed when `to` is shorter (Spark's `translate`).
 */
export const translate = (x: ColumnLike, from: string, to: string): Column => fn('translate', c(x), str(from), str(to));
/** A binary (or a string's UTF-8 bytes) as base64 text (Spark's `base64`). */
export const base64 = (x: ColumnLike): Column => fn('base64', c(x));

// ---- math ----

/** The absolute value, of the same numeric type (Spark's `abs`). */
export const abs = (x: ColumnLike): Column => fn('abs', c(x));
/**
 * The number rounded half up to `scale` decimal places (default 0; a negative scale rounds to tens,
 * hundreds...), keeping its type (Spark's `round`).
 */
export const round = (x: ColumnLike, scale = 0): Column => fn('round', c(x), literalExpr(scale));
/**
 * The number rounded half to even ("banker's rounding") to `scale` decimal places (Spark's
 * `bround`).
 */
export const bround = (x: ColumnLike, scale = 0): Column => fn('bround', c(x), literalExpr(scale));
/** The largest whole number not above the value, as a `long` (Spark's `floor`). */
export const floor = (x: ColumnLike): Column => fn('floor', c(x));
/** The smallest whole number not below the value, as a `long` (Spark's `ceil`). */
export const ceil = (x: ColumnLike): Column => fn('ceil', c(x));
/** The square root, as a `double` (Spark's `sqrt`); NaN for a negative number. */
export const sqrt = (x: ColumnLike): Column => fn('sqrt', c(x));
/** `x` to the power `y` (a number or a Column), as a `double` (Spark's `pow`). */
export const pow = (x: ColumnLike, y: unknown): Column => fn('pow', c(x), toExpr(y));
/** e to the power of the value, as a `double` (Spark's `exp`). */
export const exp = (x: ColumnLike): Column => fn('exp', c(x));
/**
 * The natural logarithm, as a `double` (Spark's one-argument `log`, i.e. `ln`); null for zero or a
 * negative number.
 */
export const log = (x: ColumnLike): Column => fn('ln', c(x));
/** The base-10 logarithm, as a `double` (Spark's `log10`); null for zero or a negative number. */
export const log10 = (x: ColumnLike): Column => fn('log10', c(x));
/** The sign of the value: -1.0, 0.0 or 1.0 (Spark's `signum`). */
export const signum = (x: ColumnLike): Column => fn('signum', c(x));
/**
 * The greatest of two or more values of a row (Spark's `greatest`), brought to their common type;
 * nulls are skipped, and the result is null only when every value is null.
 */
export const greatest = (...cols: ColumnLike[]): Column => new Column(call('greatest', cols.map(c)));
/**
 * The least of two or more values of a row (Spark's `least`), brought to their common type; nulls
 * are skipped, and the result is null only when every value is null.
 */
export const least = (...cols: ColumnLike[]): Column => new Column(call('least', cols.map(c)));

// ---- conditionals and hashes ----

/**
 * The first non-null of the values (Spark's `coalesce`), brought to their common type; null when all
 * are null.
 */
export const coalesce = (...cols: ColumnLike[]): Column => new Column(call('coalesce', cols.map(c)));
/** Whether the value is null (Spark's `isnull`); never null itself. */
export const isnull = (x: ColumnLike): Column => new Column({ k: 'isNull', child: c(x), negated: false });
/** The MD5 digest of a binary (or a string's UTF-8 bytes) as 32 hex characters (Spark's `md5`). */
export const md5 = (x: ColumnLike): Column => fn('md5', c(x));
/** The SHA-1 digest of a binary (or a string's UTF-8 bytes) as 40 hex characters (Spark's `sha1`). */
export const sha1 = (x: ColumnLike): Column => fn('sha1', c(x));
/**
 * The SHA-2 digest of a binary (or a string's UTF-8 bytes) as hex (Spark's `sha2`): `bits` is 224,
 * 256 (or 0), 384 or 512; any other value gives null.
 */
export const sha2 = (x: ColumnLike, bits: number): Column => fn('sha2', c(x), literalExpr(bits));
/** The CRC-32 checksum of a binary (or a string's UTF-8 bytes), as a `long` (Spark's `crc32`). */
export const crc32 = (x: ColumnLike): Column => fn('crc32', c(x));
/**
 * A 32-bit MurmurHash3 of the values, as an `integer` (Spark's `hash`); nulls leave it unchanged.
 * Stable across runs and machines, but not equal to the numbers Spark's `hash` returns.
 */
export const hash = (...cols: ColumnLike[]): Column => new Column(call('hash', cols.map(c)));

/**
 * CASE WHEN (Spark's `when`): `value` where `condition` is true; chain `.when(...)` for more branches
 * and end with `.otherwise(other)`. Rows no branch matches get null without `otherwise`. `value` is
 * a literal or a Column.
 *
 * @example
 * ```ts
 * df.withColumn('size', when(col('n').gt(100), 'big').when(col('n').gt(10), 'medium').otherwise('small'));
 * ```
 */
export function when(condition: Column, value: unknown): Column {
  return new Column({ k: 'case', branches: [{ when: condition.expr, then: toExpr(value) }] });
}

/**
 * Calls a built-in SQL function by its SQL name (Spark's `call_function`), for functions without a
 * camelCase helper here, e.g. `callFunction('levenshtein', 'a', 'b')`. An unknown name is an
 * {@link AnalysisError} when the query is analysed.
 */
export function callFunction(name: string, ...cols: ColumnLike[]): Column {
  return new Column(call(name, cols.map(c)));
}

/**
 * A user-defined function (Spark's `udf`): returns a function from columns to a Column that calls
 * `f` with the row's values (nulls included) and gives values of `returnType`. `f` runs in the
 * query's process, once per row; it should be pure, as a replayed batch calls it again.
 *
 * @throws {@link AnalysisError} when `f` is not a function.
 * @example
 * ```ts
 * const initials = udf((s: string | null) => s?.split(' ').map((w) => w[0]).join('') ?? null, T.string());
 * df.select(initials(col('name')).alias('initials'));
 * ```
 */
export function udf<A extends unknown[], R>(f: (...args: A) => R, returnType: DataType, name = f.name || 'udf') {
  if (typeof f !== 'function') throw new AnalysisError('udf() needs a function');
  return (...cols: ColumnLike[]): Column =>
    new Column({ k: 'udf', name, fn: f as unknown as (...args: never[]) => unknown, args: cols.map(c), returnType });
}

/**
 * Registers a scalar function under `name`, for callFunction(name, ...) and SQL strings
 * (Spark's spark.udf.register). Unlike udf(), whose closure lives on the thread that made it,
 * a registered function also runs on worker threads under master('local[N]') when the module
 * that registers it is listed in spate.worker.imports: each thread registers it the same way.
 */
export function registerFunction(name: string, fn: (...args: never[]) => unknown, returnType: DataType): void {
  if (typeof fn !== 'function') throw new AnalysisError('registerFunction() needs a function');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new AnalysisError(`registerFunction: '${name}' is not a function name (letters, digits and _)`);
  registerScalar({
    name, minArgs: 0, maxArgs: Infinity,
    bind: () => ({ name, type: returnType, impl: fn, nullIntolerant: false }),
  });
}

// ---- Avro ----

/** Options of {@link fromAvro}. */
export interface AvroOptions {
  /** FAILFAST (default, as in Spark: a malformed record fails the query), PERMISSIVE (null) or DROPMALFORMED (dropped and counted). */
  readonly mode?: ParseMode;
  /** The most array and map items one value may hold (default 10,000,000); beyond, the record is malformed. */
  readonly maxItems?: number;
}

/**
 * Decodes a binary Avro column with the schema given as .avsc JSON text (spark-avro's `from_avro`).
 * The result's type follows the Avro schema (a record becomes a struct). A value that is not valid
 * Avro for the schema is malformed and follows `options.mode`: FAILFAST by default, as in Spark.
 *
 * @throws {@link AnalysisError} (when the query is analysed) if the schema text is not a valid Avro
 * schema or the mode is unknown.
 */
export function fromAvro(x: ColumnLike, jsonFormatSchema: string, options: AvroOptions = {}): Column {
  return new Column(call('from_avro', [c(x)], { ...options, jsonFormatSchema }));
}

/**
 * Encodes a column as binary Avro (spark-avro's `to_avro`), with the schema given as .avsc JSON
 * text, or without one the schema Spark derives from the column's type (a record named
 * `topLevelRecord`, nullable fields as unions with `null`).
 *
 * @throws {@link AnalysisError} when the schema's type does not match the column's; at run time a
 * {@link MalformedRecordError} when a value cannot be encoded with it.
 */
export function toAvro(x: ColumnLike, jsonFormatSchema?: string): Column {
  return new Column(call('to_avro', [c(x)], jsonFormatSchema === undefined ? {} : { jsonFormatSchema }));
}
