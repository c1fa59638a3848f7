// DataFrame: an immutable logical-plan builder with Spark's methods. Streaming frames run
// through writeStream; static frames run with collect() / show().
import type { Row } from '../actors/messages.js';
import { AnalysisError } from '../errors.js';
import { formatRows } from '../connectors/console/format-table.js';
import { parseExpression, parseSelectItem } from '../expr/parser.js';
import { parseDuration } from '../expr/interval.js';
import type { Expr } from '../expr/tree.js';
import type { StructType } from '../expr/types.js';
import { treeString } from '../expr/types.js';
import type { LogicalPlan, OutputMode } from '../plan/logical.js';
import { explainCodegen } from '../plan/explain-codegen.js';
import { isStreaming } from '../plan/logical.js';
import type { JoinHow, JoinOn } from '../plan/join.js';
import { joinNode } from '../plan/join.js';
import { dedup, filter, mapRows, project, union, withWatermark } from '../plan/nodes.js';
import { executeBatch } from '../query/batch-execution.js';
import { QueryConf } from '../query/conf.js';
import type { ColumnLike } from './column.js';
import { Column, toColumnExpr } from './column.js';
import { GroupedData } from './grouped-data.js';
import { KeyValueGroupedDataFrame } from './key-value-grouped.js';
import type { SessionContext } from './session-context.js';
import { DataStreamWriter } from './writer.js';

/** What explain() prints: the logical plan, or the generated code of a streaming query's stages. */
export type ExplainMode = 'simple' | 'codegen';

export class DataFrame<R extends Row = Row> {
  constructor(
    readonly session: SessionContext,
    readonly plan: LogicalPlan,
    /** The name `alias()` gave this frame: it qualifies its columns in a join condition (`i.adId`). */
    readonly qualifier: string | null = null,
  ) {}

  get schema(): StructType {
    return this.plan.schema;
  }

  get columns(): string[] {
    return this.plan.schema.fields.map((f) => f.name);
  }

  /** Whether this frame reads a stream (and must be run with writeStream.start()). */
  get isStreaming(): boolean {
    return isStreaming(this.plan);
  }

  printSchema(): void {
    process.stdout.write(`${treeString(this.schema)}\n`);
  }

  select(...cols: ColumnLike[]): DataFrame {
    return this.with(project(this.plan, cols.map(toColumnExpr)));
  }

  /** select with SQL expressions: `selectExpr('a + 1 as b', 'upper(name)')`. */
  selectExpr(...sql: string[]): DataFrame {
    return this.with(project(this.plan, sql.map(parseSelectItem)));
  }

  /** Adds a column, or replaces the column of that name in place. */
  withColumn(name: string, column: Column): DataFrame {
    const exists = this.columns.includes(name);
    const items: Expr[] = this.columns.map((c) => (c === name ? column.alias(name).expr : colExpr(c)));
    if (!exists) items.push(column.alias(name).expr);
    return this.with(project(this.plan, items));
  }

  /** Renames a column; a missing column is not an error (as in Spark). */
  withColumnRenamed(existing: string, renamed: string): DataFrame {
    if (!this.columns.includes(existing)) return this as DataFrame;
    return this.with(project(this.plan, this.columns.map((c) => (c === existing ? { k: 'alias', child: colExpr(c), name: renamed } : colExpr(c)))));
  }

  /** Drops columns; names that do not exist are ignored (as in Spark). */
  drop(...names: string[]): DataFrame {
    const gone = new Set(names);
    return this.with(project(this.plan, this.columns.filter((c) => !gone.has(c)).map(colExpr)));
  }

  /** Keeps rows where the condition is true: a Column or a SQL string. */
  filter(condition: Column | string): DataFrame<R> {
    return this.with(filter(this.plan, typeof condition === 'string' ? parseExpression(condition) : condition.expr));
  }

  where(condition: Column | string): DataFrame<R> {
    return this.filter(condition);
  }

  /** One output row per input row, by a function; give the output schema when it differs. */
  map<T extends Row = Row>(fn: (row: R) => T, schema?: StructType): DataFrame<T> {
    return this.with(mapRows(this.plan, fn as (r: Row) => Row, schema, false));
  }

  /** Any number of output rows per input row. */
  flatMap<T extends Row = Row>(fn: (row: R) => Iterable<T>, schema?: StructType): DataFrame<T> {
    return this.with(mapRows(this.plan, fn as (r: Row) => Iterable<Row>, schema, true));
  }

  groupBy(...cols: ColumnLike[]): GroupedData {
    return new GroupedData(this.session, this.plan, cols.map(toColumnExpr));
  }

  /** Groups rows by a key computed from each row, for mapGroupsWithState / flatMapGroupsWithState. */
  groupByKey<K>(keyFn: (row: R) => K): KeyValueGroupedDataFrame<K, R> {
    if (typeof keyFn !== 'function') throw new AnalysisError('groupByKey needs a function from a row to its key, e.g. groupByKey((row) => row.customerId)');
    return new KeyValueGroupedDataFrame<K, R>(this.session, this.plan, keyFn);
  }

  /** A global aggregation (no grouping columns). */
  agg(...cols: Column[]): DataFrame {
    return this.groupBy().agg(...cols);
  }

  /** Declares `column` as the event time, with rows up to `delay` late still accepted. */
  withWatermark(column: string, delay: string): DataFrame<R> {
    return this.with(withWatermark(this.plan, column, parseDuration(delay, 'watermark delay')));
  }

  /** Drops rows seen before (on the given columns); bounded by the watermark when one of them has one. */
  dropDuplicates(columns?: string[]): DataFrame<R> {
    return this.with(dedup(this.plan, columns));
  }

  /**
   * Drops rows whose key (the given columns, without the event time) was seen within the
   * watermark delay of the first one; needs withWatermark on the stream.
   */
  dropDuplicatesWithinWatermark(columns?: string[]): DataFrame<R> {
    if (!this.isStreaming) throw new AnalysisError('dropDuplicatesWithinWatermark is not supported with batch DataFrames/DataSets: use dropDuplicates');
    return this.with(dedup(this.plan, columns, true));
  }

  union(other: DataFrame<R>): DataFrame<R> {
    return this.with(union([this.plan, other.plan]));
  }

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
  join(other: DataFrame, on?: Column | string | readonly string[], how: JoinHow | (string & {}) = 'inner'): DataFrame {
    const spec: JoinOn = on === undefined ? { kind: 'none' }
      : on instanceof Column ? { kind: 'condition', expr: on.expr }
      : typeof on === 'string' ? { kind: 'text', text: on }
      : { kind: 'using', columns: on };
    return new DataFrame(this.session, joinNode({ plan: this.plan, alias: this.qualifier }, { plan: other.plan, alias: other.qualifier }, spec, how));
  }

  /** The Cartesian product with `other` (an inner join without a condition). */
  crossJoin(other: DataFrame): DataFrame {
    return this.join(other);
  }

  /** Names this frame, so a join condition can say which side a column comes from: `a.alias('i')` → `col('i.adId')`. */
  alias(name: string): DataFrame<R> {
    return new DataFrame<R>(this.session, this.plan, name);
  }

  as(name: string): DataFrame<R> {
    return this.alias(name);
  }

  /**
   * Names the stateful operator at the top of this frame, so its state is found by that name
   * whatever else changes in the query.
   */
  named(name: string): DataFrame<R> {
    const p = this.plan;
    if (p.k !== 'aggregate' && p.k !== 'dedup' && p.k !== 'join' && p.k !== 'groupState') {
      throw new AnalysisError(`named('${name}') must directly follow a stateful operation (agg, dropDuplicates, join, flatMapGroupsWithState)`);
    }
    return this.with({ ...p, operatorName: name } as LogicalPlan);
  }

  get writeStream(): DataStreamWriter {
    if (!this.isStreaming) {
      throw new AnalysisError("'writeStream' can be called only on streaming Dataset/DataFrame: read with spark.readStream");
    }
    return new DataStreamWriter(this.session, this.plan);
  }

  /** All rows of a static frame. */
  async collect(): Promise<R[]> {
    return (await executeBatch(this.plan)) as R[];
  }

  async count(): Promise<number> {
    return (await executeBatch(this.plan)).length;
  }

  async first(): Promise<R | null> {
    return ((await executeBatch(this.plan))[0] as R | undefined) ?? null;
  }

  /** Prints the first `n` rows as Spark's show() does. */
  async show(n = 20, truncate = true): Promise<void> {
    const rows = await executeBatch(this.plan);
    process.stdout.write(formatRows(this.columns, rows.slice(0, n), truncate ? 20 : 0));
  }

  /**
   * The plan, for debugging (Spark's explain): `simple` (the default) gives the logical plan;
   * `codegen` gives the functions a streaming query generates for its stages, as they would run
   * (Spark's debugCodegen). The output mode, `update` unless given, decides whether an
   * aggregation's stage drops late rows.
   */
  explain(mode: ExplainMode | { readonly mode?: ExplainMode; readonly outputMode?: OutputMode } = 'simple'): string {
    const opts = typeof mode === 'string' ? { mode } : mode;
    if ((opts.mode ?? 'simple') === 'simple') {
      return JSON.stringify(this.plan, (k, v: unknown) => (k === 'child' || k === 'left' || k === 'right' || typeof v !== 'function' ? v : '[fn]'), 2);
    }
    if (opts.mode !== 'codegen') throw new AnalysisError(`explain() mode must be 'simple' or 'codegen', not '${String(opts.mode)}'`);
    if (!this.isStreaming) {
      throw new AnalysisError("explain('codegen') shows the stages a streaming query generates; this DataFrame is static (collect() runs it directly)");
    }
    const conf = new QueryConf(this.session.confValues);
    return explainCodegen(this.plan, { outputMode: opts.outputMode ?? 'update', shufflePartitions: conf.shufflePartitions });
  }

  protected with<T extends Row = R>(plan: LogicalPlan): DataFrame<T> {
    return new DataFrame<T>(this.session, plan, this.qualifier);
  }
}

function colExpr(name: string): Expr {
  return { k: 'col', path: [name] };
}
