// Progress reports with Spark's field names (StreamingQueryProgress). One shape serves
// query.lastProgress, recentProgress and listener events, and serialises to JSON.
import type { SourceBacklog } from '../connectors/contract.js';

/** Where a trigger's time went, in milliseconds (Spark's `durationMs` keys). */
export interface DurationMs {
  /** Asking the sources for their newest offsets (Spark's `latestOffset`). */
  latestOffset?: number;
  /** From opening the sources' reads until each delivered its first rows. */
  getBatch?: number;
  /** Preparing the operators for the batch and opening the sources' reads. */
  queryPlanning?: number;
  /** Writing the batch's offsets to the offset log (the write-ahead log). */
  walCommit?: number;
  /** Running the batch through the operators into the sink, after `getBatch`. */
  addBatch?: number;
  /** Writing the state and the commit log entry. */
  commitOffsets?: number;
  /** The whole trigger. */
  triggerExecution: number;
}

/** Event-time statistics of a trigger (Spark's `eventTime`): ISO-8601 UTC timestamps, as Spark prints them. */
export interface EventTimeProgress {
  /** The greatest event time seen in this trigger (of the columns given to withWatermark). */
  max?: string;
  /** The least event time seen in this trigger. */
  min?: string;
  /** The mean event time seen in this trigger. */
  avg?: string;
  /** The watermark the trigger ran with; present when the query has a withWatermark. */
  watermark?: string;
}

/**
 * What a stateful operator (aggregation, deduplication, join, (flat)mapGroupsWithState, limit) did
 * to its state in a trigger (Spark's `StateOperatorProgress`). `progress.stateOperators` lists
 * them as Spark does, the operator nearest the sink first.
 */
export interface StateOperatorProgress {
  /** The operator's kind, as Spark names it (e.g. `stateStoreSave`, `dedupe`, `symmetricHashJoin`). */
  operatorName: string;
  /** The rows in the operator's state after the trigger (groups, keys, buffered join rows). */
  numRowsTotal: number;
  /** The rows of state this trigger added or changed. */
  numRowsUpdated: number;
  /** The rows of state this trigger removed (evicted by the watermark, timed out, or removed by the function). */
  numRowsRemoved: number;
  /**
   * Input rows dropped as too late for the watermark, counted as Spark counts them: an aggregation
   * counts late grouping keys per partition after partial aggregation, not input rows.
   */
  numRowsDroppedByWatermark: number;
  /** Time spent processing the trigger's rows into state, in ms. */
  allUpdatesTimeMs: number;
  /** Time spent on the watermark and the end of the trigger (evicting final state, timeouts, emitting), in ms. */
  allRemovalsTimeMs: number;
  /** Time spent committing the state of this trigger, in ms: serialising the changes and the store write they went out in. */
  commitTimeMs: number;
  /** An estimate of the heap the operator's state takes, in bytes (as Spark's SizeEstimator). */
  memoryUsedBytes: number;
  /** The shuffle partitions the state is split into (`spate.sql.shuffle.partitions`, fixed for a checkpoint's life). */
  numShufflePartitions: number;
  /** The state stores, one per shuffle partition (as Spark's default provider has). */
  numStateStoreInstances: number;
  /** The operator's own counters, e.g. `numDroppedDuplicateRows` for dropDuplicates. */
  customMetrics: Record<string, number>;
}

/** What one source did in a trigger (Spark's `SourceProgress`). */
export interface SourceProgress {
  /** How the source names itself, e.g. `KafkaV2[Subscribe[trades]]`, `FileStreamSource[in/]`. */
  description: string;
  /** The offset the batch started after (the last committed one); its shape is the source's (Kafka: topic to partition to offset). */
  startOffset: unknown;
  /** The offset the batch read up to (inclusive). */
  endOffset: unknown;
  /** The newest offset the source knew of, regardless of read limits such as maxOffsetsPerTrigger. */
  latestOffset: unknown;
  /** The rows read from this source in this trigger. */
  numInputRows: number;
  /** The rate data arrived at: `numInputRows` over the time since the previous trigger started (0 for the first). */
  inputRowsPerSecond: number;
  /** The rate data was processed at: `numInputRows` over this trigger's duration. */
  processedRowsPerSecond: number;
  /** The source's own metrics (none yet). */
  metrics: Record<string, string>;
  /** Beyond Spark: what the source still has to read after this batch, when it can tell. */
  backlog?: SourceBacklog;
}

/** What the sink did in a trigger (Spark's `SinkProgress`). */
export interface SinkProgress {
  /** How the sink names itself, e.g. `ConsoleSink`, `FileSink[out/]`. */
  description: string;
  /** -1 when the sink cannot tell. */
  numOutputRows: number;
}

/** Beyond Spark: the watermark of one withWatermark (progress.watermarks), its idleness and its partitions'. */
export interface WatermarkProgress {
  /** The event-time column. */
  column: string;
  /** The sources below it. */
  sources: string[];
  /** Its own watermark after this batch (its max event time minus the delay, never decreasing), ISO-8601 UTC: the query's next watermark is computed from these. */
  watermark: string;
  /** Whether it has had no row for its idleTimeout, and so does not hold the query's watermark back. */
  idle: boolean;
  /** Rows it dropped in this batch for an event time beyond the trigger time plus maxFutureSkew. */
  numRowsDroppedByMaxFutureSkew: number;
  /** With perPartition: the watermark of each partition it has seen. */
  partitions?: PartitionWatermarkProgress[];
}

/** The watermark of one source partition of a withWatermark with `perPartition` (progress.watermarks[].partitions). */
export interface PartitionWatermarkProgress {
  /** The source the partition belongs to. */
  source: string;
  /** The partition (a Kafka `topic-partition`), null for a source without partitions. */
  partition: string | null;
  /** The partition's own watermark (its max event time minus the delay), ISO-8601 UTC. */
  watermark: string;
  /** Whether the partition has had no row for the idleTimeout, so it does not hold the watermark back. */
  idle: boolean;
}

/** One worker thread's share of one region of the plan in a batch (master('local[N]')). */
export interface TaskProgress {
  region: number;
  thread: number;
  rowsIn: number;
  rowsOut: number;
  /** Time the thread was busy with the batch. */
  busyMs: number;
  /** State rows it holds (its key groups). */
  stateRows: number;
}

/** How a batch ran under master('local[N]'); absent with one thread. */
export interface ParallelismProgress {
  master: string;
  threads: number;
  tasks: TaskProgress[];
  /** What crossed between threads (scatter, exchanges, gather), encoded: chunks, rows, bytes, and the time encoding and decoding took. */
  exchange: { chunks: number; rows: number; bytes: number; ms: number; bytesPerRow: number };
  /** Operators on the driver thread, and why. */
  onDriver: string[];
  /** The sink and where it writes from: every worker thread (per key group for a transactional Kafka sink) or the driver. */
  sink: string;
}

/**
 * What a query did in one trigger (Spark's `StreamingQueryProgress`): one per committed batch
 * (under Trigger.Continuous, one per committed epoch), and one for an idle trigger at most every
 * `spate.sql.streaming.noDataProgressEventInterval` (10 s). The same object is
 * {@link StreamingQuery.lastProgress}, an entry of {@link StreamingQuery.recentProgress} and the
 * listener event's; it is plain JSON (NaN and infinite numbers are left out, as Spark's JSON does).
 *
 * @example
 * ```ts
 * const p = query.lastProgress;
 * if (p) console.log(p.batchId, p.numInputRows, p.eventTime.watermark, p.stateOperators[0]?.numRowsTotal);
 * ```
 */
export interface StreamingQueryProgress {
  /** The query's id, stable across restarts from the same checkpoint ({@link StreamingQuery.id}). */
  id: string;
  /** The id of this run: new for every start() ({@link StreamingQuery.runId}). */
  runId: string;
  /** The query's name ({@link DataStreamWriter.queryName}), or null. */
  name: string | null;
  /** The trigger's start, ISO-8601 UTC. */
  timestamp: string;
  /**
   * The batch's id. A batch re-run after a failure keeps its id; an idle trigger reports the last
   * batch's id (it is not incremented when there is no data).
   */
  batchId: number;
  /** How long the trigger took, in ms. */
  batchDuration: number;
  /** The rows read from every source in this trigger. */
  numInputRows: number;
  /** The rate data arrived at, over all sources: rows over the time since the previous trigger started (0 for the first). */
  inputRowsPerSecond: number;
  /** The rate data was processed at, over all sources: rows over this trigger's duration. */
  processedRowsPerSecond: number;
  /** In-process restarts by the restart policy since the query started (not in Spark). */
  numRestarts: number;
  /** Rows dropped as malformed (DROPMALFORMED) in this batch, by sources and fromJson/fromAvro. */
  numMalformedRowsDropped: number;
  /** Where the trigger's time went, in ms: `latestOffset`, `getBatch`, `queryPlanning`, `walCommit`, `addBatch`, `commitOffsets`, `triggerExecution`. */
  durationMs: DurationMs;
  /** Event-time statistics of the trigger (`max`, `min`, `avg`) and the `watermark` it ran with, ISO-8601 UTC; empty without a watermark. */
  eventTime: EventTimeProgress;
  /** The stateful operators, the one nearest the sink first. */
  stateOperators: StateOperatorProgress[];
  /** Each source, in plan order. */
  sources: SourceProgress[];
  /** The sink. */
  sink: SinkProgress;
  /** Spark's observe() metrics; spate has no observe(), so always empty. */
  observedMetrics: Record<string, unknown>;
  /** Beyond Spark: each withWatermark's own watermark, when the query has any. */
  watermarks?: WatermarkProgress[];
  /** Beyond Spark: the rows dropped by the watermark that this batch wrote to the dead-letter sink (onLateRows). */
  deadLetterSink?: SinkProgress;
  /** Under master('local[N]'): the worker threads' shares and the exchange. */
  parallelism?: ParallelismProgress;
}

/** What a query is doing now (Spark's `StreamingQueryStatus`), from {@link StreamingQuery.status}. */
export interface StreamingQueryStatus {
  /**
   * Spark's status message: `Initializing sources`, `Getting offsets from ...`, `Writing offsets to
   * log`, `Processing new data`, `No new data but cleaning up state`, `Waiting for data to arrive`,
   * `Waiting for next trigger`, `Stopped`; and spate's `Restarting after failure: ...`, `Stopping`,
   * `Terminated with exception: ...`.
   */
  message: string;
  /** Whether the sources had data beyond what was committed when last asked. */
  isDataAvailable: boolean;
  /** Whether a trigger is running (from asking for offsets to the end of its commit), not waiting for the next. */
  isTriggerActive: boolean;
  /** Under master('local[N]'): the worker threads' shares of the last batch. */
  parallelism?: ParallelismProgress;
}

/** Rows per second over `ms` milliseconds; 0 (not NaN or Infinity) when undefined, as Spark omits those. */
export function perSecond(rows: number, ms: number): number {
  if (!(ms > 0)) return 0;
  const v = (rows * 1000) / ms;
  return Number.isFinite(v) ? v : 0;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The progress as JSON carries it: Spark omits NaN and infinite numbers from its progress JSON,
 * so they are removed here, once, and lastProgress, recentProgress and listener events all get
 * this same object (JSON.parse(JSON.stringify(p)) equals p).
 */
export function jsonSafe<T extends object>(value: T): T {
  return strip(value) as T;
}

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'number' && !Number.isFinite(x) ? null : strip(x)));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || (typeof x === 'number' && !Number.isFinite(x))) continue;
    out[k] = strip(x);
  }
  return out;
}
