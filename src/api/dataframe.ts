// DataFrame: an immutable logical-plan builder with Spark's methods. Streaming frames run
// through writeStream; static frames run with collect() / show().
import type { Row } from '../data/row.js';
import { explainQuery } from '../cluster/explain.js';
import { AnalysisError } from '../errors.js';
import { showString } from '../connectors/console/format-table.js';
import { parseExpression, parseSelectItem } from '../expr/parser.js';
import { parseDuration } from '../expr/interval.js';
import type { Expr } from '../expr/tree.js';
import type { StructType } from '../expr/types.js';
import { treeString } from '../expr/types.js';
import { explainCodegen } from '../plan/explain-codegen.js';
import { planString } from '../plan/explain.js';
import type { LogicalPlan, OutputMode } from '../plan/logical.js';
import { isStreaming } from '../plan/logical.js';
import type { JoinOn } from '../plan/join.js';
import { joinNode } from '../plan/join.js';
import { dedup, filter, limit, mapRows, project, sort, union, withWatermark } from '../plan/nodes.js';
import { executeBatch } from '../query/batch-execution.js';
import { QueryConf } from '../query/conf.js';
import type { ColumnLike } from './column.js';
import { Column, toColumnExpr } from './column.js';
import { argumentError, requireBoolean, requireFunction, requireInterval, requireString, requireWholeNumber } from './arguments.js';
import { GroupedData } from './grouped-data.js';
import { aggregate } from '../plan/aggregate.js';
import type { AsRow, ColumnName, ColumnValue, JoinHowName, JoinRow, KeysRow, RenamedRow, SelectRow, Simplify, WithColumnRow } from './row-types.js';
import type { LateRowsSink } from './late-rows.js';
import { lateRowsSpec } from './late-rows.js';
import type { WatermarkOptions } from './watermark-options.js';
import { watermarkTracking } from './watermark-options.js';
import { KeyValueGroupedDataFrame } from './key-value-grouped.js';
import type { SessionContext } from './session-context.js';
import { DataStreamWriter } from './writer.js';

/** What explain() prints: the logical plan, or the generated code of a streaming query's stages. */
export type ExplainMode = 'simple' | 'physical' | 'logical' | 'codegen';
const EXPLAIN_MODES: readonly ExplainMode[] = ['simple', 'physical', 'logical', 'codegen'];

/**
 * A distributed-collection-shaped query, as Spark's DataFrame: an immutable description of where rows
 * come from and what is done to them. Every method returns a new DataFrame; nothing runs until a
 * streaming frame is started with {@link DataFrame.writeStream} (`.start()`), or a static frame is
 * read with {@link DataFrame.collect}, {@link DataFrame.count}, {@link DataFrame.first} or
 * {@link DataFrame.show}. Frames come from {@link Session.readStream}, {@link Session.read},
 * {@link Session.createDataFrame}, {@link Session.table} and {@link MemoryStream.toDF}.
 *
 * `R` is the row type as far as TypeScript can follow it (a `Row` where it cannot); rows are plain
 * objects keyed by column name, timestamps are `Date`s and SQL's null is `null`.
 *
 * @example
 * ```ts
 * const words = spark.readStream.format('socket').option('host', 'localhost').option('port', 9999).load()
 *   .select(explode(split(col('value'), ' ')).alias('word'));
 * const query = words.groupBy('word').count()
 *   .writeStream.format('console').outputMode('complete').start();
 * await query.awaitTermination();
 * ```
 */
export class DataFrame<R extends Row = Row> {
  /**
   * Frames are made by the session, readers and other frames' methods, not with `new`.
   *
   * @param session The session the frame belongs to.
   * @param qualifier The name `alias()` gave this frame.
   */
  constructor(
    readonly session: SessionContext,
    /** The logical plan the frame describes, as the planner reads it; `explain()` prints it. @internal */
    readonly plan: LogicalPlan,
    /** The name `alias()` gave this frame: it qualifies its columns in a join condition (`i.adId`). */
    readonly qualifier: string | null = null,
  ) {}

  /** The frame's schema: its columns in order, with their types and nullability (Spark's `schema`). */
  get schema(): StructType {
    return this.plan.schema;
  }

  /** The column names, in order (Spark's `columns`). */
  get columns(): string[] {
    return this.plan.schema.fields.map((f) => f.name);
  }

  /**
   * Column `name` of this frame, typed with its value type, so the type survives alias() and
   * functions that keep it: `df.col('amount').alias('a')` is a number column named 'a' (the
   * function col('amount') knows the name only).
   */
  col<K extends keyof R & string>(name: K): Column<R[K], K> {
    requireString(name, 'col()', 'the column name', "'amount'");
    return new Column<R[K], K>(toColumnExpr(name, 'col()'));
  }

  /** Whether this frame reads a stream (and must be run with writeStream.start()). */
  get isStreaming(): boolean {
    return isStreaming(this.plan);
  }

  /** Prints the schema as a tree, as Spark's printSchema (`integer`, `long`, `(nullable = true)`), then a blank line. */
  printSchema(): void {
    process.stdout.write(`${treeString(this.schema)}\n\n`);
  }

  /**
   * The given columns: names (`'a'`, `'s.*'`, `'s.f'`), or Columns (`col('a')`,
   * `sum(col('x')).alias('total')`, `expr('a + 1')`). The row type follows the names and the
   * Columns' aliases as far as TypeScript can tell.
   */
  select<const Cs extends readonly (ColumnName<R> | Column<unknown, string>)[]>(...cols: Cs): DataFrame<AsRow<SelectRow<R, Cs>>> {
    return this.with(project(this.plan, cols.map((c) => toColumnExpr(c, 'select()'))));
  }

  /** select with SQL expressions: `selectExpr('a + 1 as b', 'upper(name)')`. */
  selectExpr(...sql: string[]): DataFrame {
    for (const s of sql) requireString(s, 'selectExpr()', 'each expression', "'a + 1 as b'");
    return this.with(project(this.plan, sql.map(parseSelectItem)));
  }

  /** Adds a column, or replaces the column of that name in place. */
  withColumn<N extends string, C extends Column<unknown, string>>(name: N, column: C): DataFrame<AsRow<WithColumnRow<R, N, ColumnValue<R, C>>>> {
    requireString(name, 'withColumn()', 'the column name', "'total'");
    if (!(column instanceof Column)) throw argumentError('withColumn()', 'the column', "a Column, e.g. col('a').plus(1) or lit(0)", column);
    const exists = this.columns.includes(name);
    const items: Expr[] = this.columns.map((c) => (c === name ? column.alias(name).expr : colExpr(c)));
    if (!exists) items.push(column.alias(name).expr);
    return this.with(project(this.plan, items));
  }

  /** Renames a column; a missing column is not an error (as in Spark). */
  withColumnRenamed<E extends string, N extends string>(existing: E, renamed: N): DataFrame<AsRow<RenamedRow<R, E, N>>> {
    requireString(existing, 'withColumnRenamed()', 'the existing name', "'old'");
    requireString(renamed, 'withColumnRenamed()', 'the new name', "'new'");
    if (!this.columns.includes(existing)) return this.with(this.plan);
    return this.with(project(this.plan, this.columns.map((c) => (c === existing ? { k: 'alias', child: colExpr(c), name: renamed } : colExpr(c)))));
  }

  /** Drops columns; names that do not exist are ignored (as in Spark). */
  drop<const Ks extends readonly string[]>(...names: Ks): DataFrame<AsRow<Simplify<Omit<R, Ks[number]>>>> {
    for (const n of names) requireString(n, 'drop()', 'each column name', "'a'");
    const gone = new Set(names);
    return this.with(project(this.plan, this.columns.filter((c) => !gone.has(c)).map(colExpr)));
  }

  /** Keeps rows where the condition is true: a Column or a SQL string. */
  filter(condition: Column | string): DataFrame<R> {
    if (typeof condition !== 'string' && !(condition instanceof Column)) {
      throw argumentError('filter()', 'the condition', "a Column such as col('n').gt(1), or SQL text such as 'n > 1'", condition);
    }
    return this.with(filter(this.plan, typeof condition === 'string' ? parseExpression(condition) : condition.expr));
  }

  /** The same as {@link DataFrame.filter} (Spark's `where`). */
  where(condition: Column | string): DataFrame<R> {
    return this.filter(condition);
  }

  /** One output row per input row, by a function; give the output schema when it differs. */
  map<T extends Row = Row>(fn: (row: R) => T, schema?: StructType): DataFrame<T> {
    requireFunction(fn, 'map()', 'the function', '(row) => ({ ...row, n: row.n + 1 })');
    return this.with(mapRows(this.plan, fn as (r: Row) => Row, schema, false));
  }

  /** Any number of output rows per input row. */
  flatMap<T extends Row = Row>(fn: (row: R) => Iterable<T>, schema?: StructType): DataFrame<T> {
    requireFunction(fn, 'flatMap()', 'the function', '(row) => [row, row]');
    return this.with(mapRows(this.plan, fn as (r: Row) => Iterable<Row>, schema, true));
  }

  /** Groups rows by the given columns (names or Columns, e.g. window(...)), for agg(), count(), sum()... */
  groupBy<const Cs extends readonly (ColumnName<R> | Column<unknown, string>)[]>(...cols: Cs): GroupedData<R, AsRow<KeysRow<R, Cs>>> {
    return new GroupedData(this.session, this.plan, cols.map((c) => toColumnExpr(c, 'groupBy()')));
  }

  /** Groups rows by a key computed from each row, for mapGroupsWithState / flatMapGroupsWithState. */
  groupByKey<K>(keyFn: (row: R) => K): KeyValueGroupedDataFrame<K, R> {
    if (typeof keyFn !== 'function') throw new AnalysisError('groupByKey needs a function from a row to its key, e.g. groupByKey((row) => row.customerId)');
    return new KeyValueGroupedDataFrame<K, R>(this.session, this.plan, keyFn);
  }

  /** A global aggregation (no grouping columns). */
  agg<const Cs extends readonly Column<unknown, string>[]>(...cols: Cs): DataFrame<AsRow<SelectRow<R, Cs>>> {
    for (const a of cols) {
      if (!(a instanceof Column)) throw argumentError('agg()', 'each aggregate', "a Column such as sum(col('amount')).alias('total') or count('*')", a);
    }
    return this.with(aggregate(this.plan, [], cols.map((a) => a.expr)));
  }

  /**
   * Declares `column` (a timestamp) as the event time, accepting rows up to `delay` late (Spark's
   * `withWatermark`). After each batch the watermark becomes the greatest event time seen minus
   * `delay` (it never moves back) and applies from the next batch: windows and groups that end at or
   * before it are final, state for them is dropped, and rows arriving for them are dropped as late and
   * counted (progress `stateOperators[].numRowsDroppedByWatermark`). With several watermarked streams
   * the query takes the least (`spate.sql.streaming.multipleWatermarkPolicy`, default `min`).
   *
   * Beyond Spark, `options` can keep an idle stream or partition from stalling the watermark
   * (`idleTimeout`, `perPartition`), a bogus future timestamp from leaping it (`maxFutureSkew`), and
   * send late rows to a dead-letter sink (`lateRows`).
   *
   * @param delay An interval string such as `'10 minutes'`.
   * @throws {@link AnalysisError} when `column` is not a timestamp column of the frame, `delay` is not
   * an interval string, or an option is unknown or invalid.
   * @example
   * ```ts
   * trades.withWatermark('CreatedTime', '30 minutes')
   *   .groupBy(window(col('CreatedTime'), '15 minutes'))
   *   .agg(sum('Amount').alias('total'));
   * ```
   */
  withWatermark(column: string, delay: string, options?: WatermarkOptions): DataFrame<R> {
    requireString(column, 'withWatermark()', 'the event-time column', "'eventTime'");
    const node = withWatermark(this.plan, column, parseDuration(requireInterval(delay, 'withWatermark()', 'the delay'), 'watermark delay'), watermarkTracking(options));
    return this.with(options?.lateRows ? { ...node, lateRows: lateRowsSpec(this.session, options.lateRows) } : node);
  }

  /**
   * Sends the rows that operators after this watermark drop as late (and the rows maxFutureSkew
   * drops) to a dead-letter sink, exactly-once like any output; they are still counted. Must
   * directly follow withWatermark.
   */
  onLateRows(sink: LateRowsSink): DataFrame<R> {
    if (this.plan.k !== 'watermark') {
      throw new AnalysisError("onLateRows(sink) must directly follow withWatermark: df.withWatermark('ts', '10 minutes').onLateRows({ format: 'json', path: 'late/' })");
    }
    return this.with({ ...this.plan, lateRows: lateRowsSpec(this.session, sink) });
  }

  /** Drops rows seen before (on the given columns); bounded by the watermark when one of them has one. */
  dropDuplicates(columns?: string[]): DataFrame<R> {
    checkColumnNames(columns, 'dropDuplicates()');
    return this.with(dedup(this.plan, columns));
  }

  /**
   * Drops rows whose key (the given columns, without the event time) was seen within the
   * watermark delay of the first one; needs withWatermark on the stream.
   */
  dropDuplicatesWithinWatermark(columns?: string[]): DataFrame<R> {
    checkColumnNames(columns, 'dropDuplicatesWithinWatermark()');
    if (!this.isStreaming) throw new AnalysisError('dropDuplicatesWithinWatermark is not supported with batch DataFrames/DataSets: use dropDuplicates');
    return this.with(dedup(this.plan, columns, true));
  }

  /**
   * Rows ordered by the given columns: names or Columns (ascending, nulls first), or sort keys
   * from asc() / desc() and their nulls-first / nulls-last forms. On a stream, only over an
   * aggregation in complete mode (start() says so otherwise, as Spark does).
   */
  orderBy(...cols: ColumnLike[]): DataFrame<R> {
    return this.with(sort(this.plan, cols.map((c) => toColumnExpr(c, 'orderBy()'))));
  }

  /** The same as orderBy. */
  sort(...cols: ColumnLike[]): DataFrame<R> {
    return this.orderBy(...cols);
  }

  /**
   * The first `n` rows. On a stream in append mode the count is kept across micro-batches (and
   * restarts): once `n` rows have been output no more are. Not allowed in update mode.
   */
  limit(n: number): DataFrame<R> {
    if (typeof n !== 'number') throw argumentError('limit()', 'the number of rows', 'a whole number >= 0', n);
    return this.with(limit(this.plan, n));
  }

  /**
   * The rows of this frame and of `other`, duplicates kept (Spark's `union`, i.e. SQL's UNION ALL).
   * Both need the same number of columns; spate passes each row as it is, so give both frames the
   * same column names (Spark matches columns by position). A union of a stream with a static frame is
   * refused at `start()`, as in Spark.
   *
   * @throws {@link AnalysisError} when the frames have different numbers of columns.
   */
  union(other: DataFrame<R>): DataFrame<R> {
    requireDataFrame(other, 'union()');
    return this.with(union([this.plan, other.plan]));
  }

  /** The same as {@link DataFrame.union} (Spark's `unionAll`). */
  unionAll(other: DataFrame<R>): DataFrame<R> {
    return this.union(other);
  }

  /**
   * Joins with `other` (Spark's join). `on` is a condition (a Column, or a SQL string such as
   * `"clickAdId = impressionAdId AND clickTime <= impressionTime + interval 1 hour"`), a column
   * name or a list of names present on both sides (one output column per name), or omitted for a
   * cross join. `how`: inner (default), left / left_outer / leftOuter, right / right_outer,
   * full / outer / full_outer, left_semi / semi, left_anti / anti, cross. With a stream on either
   * side the join runs incrementally (stream-static or stream-stream, as Spark allows: start()
   * refuses the rest); a static side is evaluated afresh for every micro-batch.
   */
  join<R2 extends Row, H extends JoinHowName = 'inner'>(other: DataFrame<R2>, on?: Column | string | readonly string[], how?: H): DataFrame<AsRow<JoinRow<R, R2, H>>> {
    requireDataFrame(other, 'join()');
    if (on !== undefined && !(on instanceof Column) && typeof on !== 'string' && !(Array.isArray(on) && on.every((x) => typeof x === 'string'))) {
      throw argumentError('join()', 'the join condition', "a Column, SQL text such as 'a.id = b.id', a column name, or a list of names", on);
    }
    if (how !== undefined) requireString(how, 'join()', 'the join type', "'inner', 'left_outer' or 'full_outer'");
    const spec: JoinOn = on === undefined ? { kind: 'none' }
      : on instanceof Column ? { kind: 'condition', expr: on.expr }
      : typeof on === 'string' ? { kind: 'text', text: on }
      : { kind: 'using', columns: on };
    return new DataFrame(this.session, joinNode({ plan: this.plan, alias: this.qualifier }, { plan: other.plan, alias: other.qualifier }, spec, how ?? 'inner'));
  }

  /** The Cartesian product with `other` (an inner join without a condition). */
  crossJoin<R2 extends Row>(other: DataFrame<R2>): DataFrame<AsRow<Simplify<R & R2>>> {
    return this.join(other);
  }

  /** Names this frame, so a join condition can say which side a column comes from: `a.alias('i')` → `col('i.adId')`. */
  alias(name: string): DataFrame<R> {
    requireString(name, 'alias()', 'the name', "'i'");
    return new DataFrame<R>(this.session, this.plan, name);
  }

  /** The same as {@link DataFrame.alias} (Spark's `as`). */
  as(name: string): DataFrame<R> {
    return this.alias(name);
  }

  /**
   * Names the stateful operator at the top of this frame, so its state is found by that name
   * whatever else changes in the query.
   */
  named(name: string): DataFrame<R> {
    const p = this.plan;
    if (p.k !== 'aggregate' && p.k !== 'dedup' && p.k !== 'join' && p.k !== 'groupState' && p.k !== 'limit') {
      throw new AnalysisError(`named('${name}') must directly follow a stateful operation (agg, dropDuplicates, join, flatMapGroupsWithState, limit)`);
    }
    return this.with({ ...p, operatorName: name } as LogicalPlan);
  }

  /**
   * The writer that starts this streaming frame as a query (Spark's `writeStream`): choose a sink,
   * output mode, trigger and options, then `start()`.
   *
   * @throws {@link AnalysisError} when the frame is static (it reads no stream): use
   * {@link DataFrame.collect} instead.
   * @example
   * ```ts
   * df.writeStream.format('json').option('checkpointLocation', 'cp/').trigger(Trigger.ProcessingTime('1 minute')).start('out/');
   * ```
   */
  get writeStream(): DataStreamWriter<R> {
    if (!this.isStreaming) {
      throw new AnalysisError("'writeStream' can be called only on streaming Dataset/DataFrame: read with spark.readStream");
    }
    return new DataStreamWriter<R>(this.session, this.plan);
  }

  /** All rows of a static frame. */
  async collect(): Promise<R[]> {
    return (await executeBatch(this.plan)) as R[];
  }

  /**
   * The number of rows of a static frame (Spark's `count`).
   *
   * @throws {@link AnalysisError} when the frame reads a stream.
   */
  async count(): Promise<number> {
    return (await executeBatch(this.plan)).length;
  }

  /**
   * The first row of a static frame, or null when it has none (Spark's `first`, which throws instead).
   *
   * @throws {@link AnalysisError} when the frame reads a stream.
   */
  async first(): Promise<R | null> {
    return ((await executeBatch(this.plan))[0] as R | undefined) ?? null;
  }

  /** Prints the first `n` rows as Spark's show() does (cells cut to 20 characters unless `truncate` is false). */
  async show(n = 20, truncate = true): Promise<void> {
    requireWholeNumber(n, 'show()', 'the number of rows');
    requireBoolean(truncate, 'show()', 'truncate');
    const rows = await executeBatch(this.plan);
    process.stdout.write(`${showString(this.schema, rows, n, truncate ? 20 : 0)}\n`);
  }

  /**
   * The plan, for debugging (Spark's explain). `simple` (the default) or `physical`: for a
   * streaming DataFrame, the operators as a query would run them under the session's master,
   * with its exchanges and what runs on the driver thread and why (a static DataFrame gives its
   * logical plan); `logical`: the analysed logical plan as JSON; `codegen`: the functions a
   * streaming query generates for its stages, as they would run (Spark's debugCodegen). The
   * output mode, `update` unless given, decides whether an aggregation drops late rows.
   */
  explain(mode: ExplainMode | { readonly mode?: ExplainMode; readonly outputMode?: OutputMode } = 'simple'): string {
    const opts = typeof mode === 'string' ? { mode } : mode;
    const chosen = opts.mode ?? 'simple';
    const outputMode = opts.outputMode ?? 'update';
    if (!EXPLAIN_MODES.includes(chosen)) {
      throw new AnalysisError(`explain() mode must be 'simple', 'physical', 'logical' or 'codegen', not '${String(chosen)}'`);
    }
    if (chosen === 'logical' || (chosen !== 'codegen' && !this.isStreaming)) return planString(this.plan);
    const conf = new QueryConf(this.session.confValues);
    if (chosen !== 'codegen') return explainQuery(this.plan, conf, outputMode);
    if (!this.isStreaming) {
      throw new AnalysisError("explain('codegen') shows the stages a streaming query generates; this DataFrame is static (collect() runs it directly)");
    }
    return explainCodegen(this.plan, { outputMode, shufflePartitions: conf.shufflePartitions });
  }

  /** A frame over `plan` that keeps this frame's session and alias. */
  protected with<T extends Row = R>(plan: LogicalPlan): DataFrame<T> {
    return new DataFrame<T>(this.session, plan, this.qualifier);
  }
}

function checkColumnNames(columns: unknown, method: string): void {
  if (columns === undefined) return;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw argumentError(method, 'the columns', "a list of column names such as ['user', 'eventTime'] (or nothing, for every column)", columns);
  }
}

function requireDataFrame(v: unknown, method: string): void {
  if (!(v instanceof DataFrame)) throw argumentError(method, 'the other frame', 'a DataFrame', v);
}

function colExpr(name: string): Expr {
  return { k: 'col', path: [name] };
}
