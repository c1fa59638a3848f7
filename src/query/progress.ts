// Progress reports with Spark's field names (StreamingQueryProgress). One shape serves
// query.lastProgress, recentProgress and listener events, and serialises to JSON.

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
}

export interface SinkProgress {
  description: string;
  /** -1 when the sink cannot tell. */
  numOutputRows: number;
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
