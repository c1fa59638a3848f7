// Progress reports with Spark's field names (StreamingQueryProgress). One shape serves
// query.lastProgress, recentProgress and listener events, and serialises to JSON.
import type { SourceBacklog } from '../connectors/contract.js';

export interface DurationMs {
  latestOffset?: number;
  getBatch?: number;
  queryPlanning?: number;
  walCommit?: number;
  addBatch?: number;
  commitOffsets?: number;
  triggerExecution: number;
}

export interface EventTimeProgress {
  /** ISO-8601 UTC timestamps, as Spark prints them. */
  max?: string;
  min?: string;
  avg?: string;
  watermark?: string;
}

export interface StateOperatorProgress {
  operatorName: string;
  numRowsTotal: number;
  numRowsUpdated: number;
  numRowsRemoved: number;
  numRowsDroppedByWatermark: number;
  allUpdatesTimeMs: number;
  allRemovalsTimeMs: number;
  commitTimeMs: number;
  memoryUsedBytes: number;
  numShufflePartitions: number;
  numStateStoreInstances: number;
  customMetrics: Record<string, number>;
}

export interface SourceProgress {
  description: string;
  startOffset: unknown;
  endOffset: unknown;
  latestOffset: unknown;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  metrics: Record<string, string>;
  /** Beyond Spark: what the source still has to read after this batch, when it can tell. */
  backlog?: SourceBacklog;
}

export interface SinkProgress {
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

export interface PartitionWatermarkProgress {
  /** The source the partition belongs to. */
  source: string;
  /** The partition (a Kafka `topic-partition`), null for a source without partitions. */
  partition: string | null;
  watermark: string;
  idle: boolean;
}

export interface StreamingQueryProgress {
  id: string;
  runId: string;
  name: string | null;
  /** The trigger's start, ISO-8601 UTC. */
  timestamp: string;
  batchId: number;
  batchDuration: number;
  numInputRows: number;
  inputRowsPerSecond: number;
  processedRowsPerSecond: number;
  /** In-process restarts by the restart policy since the query started (not in Spark). */
  numRestarts: number;
  /** Rows dropped as malformed (DROPMALFORMED) in this batch, by sources and fromJson/fromAvro. */
  numMalformedRowsDropped: number;
  durationMs: DurationMs;
  eventTime: EventTimeProgress;
  stateOperators: StateOperatorProgress[];
  sources: SourceProgress[];
  sink: SinkProgress;
  observedMetrics: Record<string, unknown>;
  /** Beyond Spark: each withWatermark's own watermark, when the query has any. */
  watermarks?: WatermarkProgress[];
  /** Beyond Spark: the rows dropped by the watermark that this batch wrote to the dead-letter sink (onLateRows). */
  deadLetterSink?: SinkProgress;
}

export interface StreamingQueryStatus {
  message: string;
  isDataAvailable: boolean;
  isTriggerActive: boolean;
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
