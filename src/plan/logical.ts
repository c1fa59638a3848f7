// The logical plan: an immutable tree a DataFrame holds. Nodes are analysed as they are built
// (names resolved, types known), so a bad column name fails at the DataFrame call, as in Spark.
import type { Row } from '../data/row.js';
import type { NamedExpr } from '../expr/analyze.js';
import type { BoundExpr } from '../expr/bound.js';
import type { BoundAggregate } from '../expr/functions/registry.js';
import type { StructType } from '../expr/types.js';
import type { GroupState } from '../operators/group-state.js';

/**
 * What a streaming query writes to its sink each trigger (Spark's `OutputMode`), set with
 * {@link DataStreamWriter.outputMode}; `append` by default. `append`: only rows that will never
 * change (for a watermarked aggregation, a window once the watermark has passed its end);
 * `update`: the rows that changed in this trigger; `complete`: the whole result every trigger
 * (aggregations only). start() refuses a mode the query or the sink does not support, as Spark does.
 */
export type OutputMode = 'append' | 'update' | 'complete';

export type LogicalPlan =
  | SourceNode | StaticNode | ProjectNode | FilterNode | WatermarkNode | MapNode | AggregateNode
  | DedupNode | JoinNode | GroupStateNode | UnionNode | SortNode | LimitNode;

interface Base {
  readonly schema: StructType;
}

/** A streaming source, read through its connector. */
export interface SourceNode extends Base {
  readonly k: 'source';
  readonly format: string;
  readonly options: Readonly<Record<string, string>>;
  /** The path given to load(), if any. */
  readonly path?: string;
  /** A user schema given with `.schema()`. */
  readonly userSchema?: StructType;
  /** Set for a MemoryStream: the stream object itself. */
  readonly instance?: unknown;
}

/** A static relation, read afresh each time it is evaluated (each micro-batch when joined). */
export interface StaticNode extends Base {
  readonly k: 'static';
  readonly description: string;
  load(): Promise<Row[]> | Row[];
}

/** A generator in a select list (explode): one output row per element. */
export interface GeneratorSpec {
  /** Index of the generator in the project's output list. */
  readonly position: number;
  readonly input: BoundExpr;
  readonly outer: boolean;
  /** Output names: [col], [pos, col], or [key, value] for a map. */
  readonly names: readonly string[];
  readonly withPosition: boolean;
}

export interface ProjectNode extends Base {
  readonly k: 'project';
  readonly child: LogicalPlan;
  /** Output columns; the generator's place holds a placeholder. */
  readonly items: readonly NamedExpr[];
  readonly generator?: GeneratorSpec;
}

export interface FilterNode extends Base {
  readonly k: 'filter';
  readonly child: LogicalPlan;
  readonly condition: BoundExpr;
}

export interface WatermarkNode extends Base {
  readonly k: 'watermark';
  readonly child: LogicalPlan;
  readonly column: string;
  readonly delayMs: number;
  /** Beyond Spark: idle streams and partitions, the future-skew limit (absent: Spark's tracking). */
  readonly tracking?: WatermarkTracking;
  /** Beyond Spark: the sink that rows dropped by the watermark go to (onLateRows). */
  readonly lateRows?: LateRowsSpec;
}

/** A dead-letter sink as the plan holds it: what writeStream.format(...).options(...).start(path) would collect. */
export interface LateRowsSpec {
  readonly format: string;
  /** Keys lowercased, as a writer's options. */
  readonly options: Readonly<Record<string, string>>;
  readonly path?: string;
  /** A foreachBatch function, as the writer wraps it. */
  readonly instance?: unknown;
}

/** How a withWatermark follows its stream's event time beyond Spark's max-minus-delay. */
export interface WatermarkTracking {
  /** Processing time (ms) without rows after which the stream, or a partition of it, stops holding the query's watermark back; null: never. */
  readonly idleTimeoutMs: number | null;
  /** Event time is followed per source partition (a Kafka partition): the stream's watermark is its slowest active partition's. */
  readonly perPartition: boolean;
  /** Rows whose event time is beyond the trigger time plus this (ms) are dropped and counted, never moving the watermark; null: no limit. */
  readonly maxFutureSkewMs: number | null;
}

/** map / flatMap over whole rows with a user function. */
export interface MapNode extends Base {
  readonly k: 'map';
  readonly child: LogicalPlan;
  readonly flat: boolean;
  readonly fn: (row: Row) => Row | Iterable<Row>;
}

/** window(ts, windowDuration, slideDuration, startTime) as a grouping column. */
export interface TimeWindowSpec {
  readonly kind: 'window';
  readonly timeColumn: BoundExpr;
  readonly windowMs: number;
  readonly slideMs: number;
  readonly startMs: number;
  /** The output column name (`window` unless aliased). */
  readonly name: string;
}

/** session_window(ts, gap) as a grouping column. */
export interface SessionWindowSpec {
  readonly kind: 'session';
  readonly timeColumn: BoundExpr;
  /** A fixed gap, or a per-row gap expression (ms, or an interval string). */
  readonly gapMs: number | null;
  readonly gapExpr: BoundExpr | null;
  readonly name: string;
}

export interface AggregateCall {
  readonly fn: BoundAggregate;
  readonly args: readonly BoundExpr[];
  /** count(DISTINCT x) and the like: refused on streams, allowed on static frames. */
  readonly distinct: boolean;
  /** The column name used for this aggregate in the intermediate row. */
  readonly slot: string;
}

export interface AggregateNode extends Base {
  readonly k: 'aggregate';
  readonly child: LogicalPlan;
  /** Grouping columns other than the window, evaluated on the input row. */
  readonly keys: readonly NamedExpr[];
  readonly window: TimeWindowSpec | SessionWindowSpec | null;
  readonly aggregates: readonly AggregateCall[];
  /** Output columns over the intermediate row (keys, window, aggregate slots). */
  readonly outputs: readonly NamedExpr[];
  /** The grouping column (or window) whose event time bounds the state, with its watermark delay. */
  readonly eventTime: { readonly column: string; readonly isWindow: boolean; readonly delayMs: number } | null;
  /** A user-given stable name (`.named()`), used as the state's operator id. */
  readonly operatorName?: string;
}

export interface DedupNode extends Base {
  readonly k: 'dedup';
  readonly child: LogicalPlan;
  readonly columns: readonly string[];
  /**
   * The input's watermarked column, if any: rows at or below the late watermark are dropped; it
   * bounds the state when it is one of `columns`, or always for dropDuplicatesWithinWatermark.
   */
  readonly eventTime: { readonly column: string; readonly delayMs: number } | null;
  /** dropDuplicatesWithinWatermark: a key is remembered until its first event time + delay passes the watermark. */
  readonly withinWatermark: boolean;
  readonly operatorName?: string;
}

/**
 * A join's type once its spelling ({@link JoinHow}: `left`, `left_outer`, `full`…) is
 * normalised; what a checkpoint records as an operator's `join type`. A cross join is an
 * `inner` join without a condition.
 */
export type JoinType = 'inner' | 'leftOuter' | 'rightOuter' | 'fullOuter' | 'leftSemi' | 'leftAnti';

/** One output column of a join: a column of one side, or (full outer USING) the first non-null of both. */
export interface JoinOutputColumn {
  readonly name: string;
  readonly left: string | null;
  readonly right: string | null;
}

export interface JoinNode extends Base {
  readonly k: 'join';
  readonly left: LogicalPlan;
  readonly right: LogicalPlan;
  readonly joinType: JoinType;
  /**
   * The whole condition (USING equalities included), bound against the pair row
   * `struct<left: <left schema>, right: <right schema>>` (operators/join/pair.ts); null for a cross join.
   */
  readonly condition: BoundExpr | null;
  /** Equi-join key pairs taken from the condition's conjuncts (left expr, right expr), over the pair row. */
  readonly leftKeys: readonly BoundExpr[];
  readonly rightKeys: readonly BoundExpr[];
  /** Per key pair: compared with `<=>` (null matches null) rather than `=`. */
  readonly nullSafeKeys: readonly boolean[];
  /** The condition's conjuncts other than the keys, over the pair row. */
  readonly residual: readonly BoundExpr[];
  /** The output columns, in order (the schema's fields). */
  readonly outputs: readonly JoinOutputColumn[];
  readonly operatorName?: string;
}

/** How keys of (flat)mapGroupsWithState time out (Spark's GroupStateTimeout). */
export const GroupStateTimeout = {
  /** Keys never time out (the default): state stays until the function removes it. */
  NoTimeout: 'NoTimeout',
  /**
   * A key times out once a trigger's processing time passes the deadline it set with
   * `state.setTimeoutDuration()` (counted from the batch that set it); the function is then
   * called for it with no rows and `state.hasTimedOut` true.
   */
  ProcessingTimeTimeout: 'ProcessingTimeTimeout',
  /**
   * A key times out once the watermark passes the time it set with `state.setTimeoutTimestamp()`
   * (the input needs a withWatermark); the function is then called with no rows and
   * `state.hasTimedOut` true.
   */
  EventTimeTimeout: 'EventTimeTimeout',
} as const;
export type GroupStateTimeout = (typeof GroupStateTimeout)[keyof typeof GroupStateTimeout];

/** The user function of (flat)mapGroupsWithState, as the operator calls it. */
export type GroupStateFunction = (key: unknown, rows: Row[], state: GroupState<unknown>) => Iterable<Row> | Row;

export interface GroupStateNode extends Base {
  readonly k: 'groupState';
  readonly child: LogicalPlan;
  readonly keyFn: (row: Row) => unknown;
  readonly fn: GroupStateFunction;
  /** mapGroupsWithState: one output per call. */
  readonly single: boolean;
  /** The operator's own output mode (flatMapGroupsWithState: append or update). */
  readonly operatorMode: OutputMode;
  readonly timeout: GroupStateTimeout;
  /** The input's watermarked column, if any (EventTimeTimeout needs it; late rows are dropped by it). */
  readonly eventTime: { readonly column: string; readonly delayMs: number } | null;
  /** The schema of the per-group state, when the user declares one: checked on restart. */
  readonly stateSchema?: StructType;
  readonly operatorName?: string;
}

export interface UnionNode extends Base {
  readonly k: 'union';
  readonly children: readonly LogicalPlan[];
}

/** One key of an orderBy: ascending puts nulls first unless told, descending puts them last. */
export interface SortOrder {
  readonly expr: BoundExpr;
  readonly ascending: boolean;
  readonly nullsFirst: boolean;
}

/** orderBy / sort: on a stream only over an aggregation in complete mode (the whole result each epoch). */
export interface SortNode extends Base {
  readonly k: 'sort';
  readonly child: LogicalPlan;
  readonly orders: readonly SortOrder[];
}

/** limit(n): on a stream in append mode (and complete mode before any aggregation) the count is kept in state. */
export interface LimitNode extends Base {
  readonly k: 'limit';
  readonly child: LogicalPlan;
  readonly n: number;
  readonly operatorName?: string;
}

export function children(p: LogicalPlan): readonly LogicalPlan[] {
  switch (p.k) {
    case 'source': case 'static': return [];
    case 'join': return [p.left, p.right];
    case 'union': return p.children;
    default: return [p.child];
  }
}

export function isStreaming(p: LogicalPlan): boolean {
  if (p.k === 'source') return true;
  if (p.k === 'static') return false;
  return children(p).some(isStreaming);
}

/** Every node of the tree, parents before children, left before right (Spark's `collect` order). */
export function topDown(p: LogicalPlan): LogicalPlan[] {
  return [p, ...children(p).flatMap(topDown)];
}

/** Every node of the tree, children before parents. */
export function nodes(p: LogicalPlan): LogicalPlan[] {
  return [...children(p).flatMap(nodes), p];
}

/**
 * Whether `p` keeps state across epochs when the query runs in `mode`. A streaming limit counts
 * its rows across epochs when its input only appends (Spark's StreamingGlobalLimitStrategy):
 * in append mode, or in complete mode below every aggregation; above an aggregation in
 * complete mode it limits each epoch's whole result.
 */
export function isStateful(p: LogicalPlan, mode: OutputMode): boolean {
  if (p.k === 'aggregate' || p.k === 'dedup' || p.k === 'groupState') return isStreaming(p);
  if (p.k === 'join') return isStreaming(p.left) && isStreaming(p.right);
  if (p.k === 'limit') {
    return isStreaming(p) && (mode === 'append' || (mode === 'complete' && !nodes(p.child).some((n) => n.k === 'aggregate' && isStreaming(n))));
  }
  return false;
}
