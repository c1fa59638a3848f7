// Builds the progress reports of a query (Spark's ProgressReporter): one for each committed
// batch, one for an idle trigger, one for each epoch of a continuous run, all in the one
// StreamingQueryProgress shape and JSON-safe.
import type { EpochCommitted } from '../actors/sink-actor.js';
import type { Offset, SourceBacklog, StreamSource } from '../connectors/contract.js';
import type { ExecutionGraph } from '../plan/physical.js';
import type { ContinuousEpoch } from './continuous-run.js';
import type {
  DurationMs, EventTimeProgress, ParallelismProgress, SourceProgress, StateOperatorProgress, StreamingQueryProgress, WatermarkProgress,
} from './progress.js';
import { isoTime, jsonSafe, perSecond } from './progress.js';
import type { StreamWatermark } from './watermark-tracker.js';

/** What every report names: the query, the graph it ran on, the sink. */
export interface ReportContext {
  readonly id: string;
  readonly runId: string;
  readonly name: string | null;
  /** Now, on the query's clock. */
  readonly nowMs: number;
  readonly graph: ExecutionGraph | null;
  readonly sinkDescription: string;
  /** False when the sink cannot tell how many rows it wrote: numOutputRows is then -1. */
  readonly sinkReportsOutputRows: boolean;
  /** The dead-letter sink's, when the query has one. */
  readonly deadLetterSinkDescription: string | null;
  /** Each withWatermark's watermark now. */
  readonly watermarks: readonly StreamWatermark[];
  /** In-process restarts so far. */
  readonly restarts: number;
  /** Under master('local[N]'): the last batch's shares of the worker threads. */
  readonly parallelism?: ParallelismProgress | null;
}

/** A committed micro-batch. */
export interface BatchRun {
  readonly epoch: number;
  readonly start: readonly Offset[];
  readonly end: readonly Offset[];
  /** What the sources reported as their newest offsets when the batch was planned. */
  readonly latest: readonly Offset[];
  readonly watermarkMs: number;
  readonly triggerStartMs: number;
  /** Since the previous batch's trigger started; 0 for the first. */
  readonly sinceLastTriggerMs: number;
  /** Rows read from each source. */
  readonly rows: readonly number[];
  readonly outputRows: number;
  /** Rows written to the dead-letter sink. */
  readonly deadLetterRows: number;
  readonly malformedDropped: number;
  /** Measured parts of the trigger, in ms (performance clock). */
  readonly durations: {
    readonly latestOffset: number; readonly getBatch: number; readonly queryPlanning: number;
    readonly walCommit: number; readonly addBatch: number; readonly commitOffsets: number;
  };
  /** The store write the epoch's state went out in. */
  readonly stateWriteMs: number;
}

export function batchProgress(ctx: ReportContext, b: BatchRun): StreamingQueryProgress {
  const graph = ctx.graph!;
  const triggerMs = Math.max(0, ctx.nowMs - b.triggerStartMs);
  const numInputRows = b.rows.reduce((a, n) => a + n, 0);
  const stats = graph.eventTime.filter((s) => s.count > 0);
  const eventTime: EventTimeProgress = {};
  if (stats.length) {
    const sum = stats.reduce((a, s) => a + s.sum, 0);
    const count = stats.reduce((a, s) => a + s.count, 0);
    eventTime.max = isoTime(Math.max(...stats.map((s) => s.max)));
    eventTime.min = isoTime(Math.min(...stats.map((s) => s.min)));
    eventTime.avg = isoTime(Math.round(sum / count));
  }
  if (graph.eventTime.length) eventTime.watermark = isoTime(b.watermarkMs);
  const stateOperators: StateOperatorProgress[] = graph.stateful.map((op) => {
    const { metrics: m, counters, timings } = op.figures();
    const { numRowsDroppedByWatermark = 0, ...custom } = counters;
    return {
      operatorName: op.logic.name,
      numRowsTotal: m.numRowsTotal,
      numRowsUpdated: m.numRowsUpdated,
      numRowsRemoved: m.numRowsRemoved,
      numRowsDroppedByWatermark,
      allUpdatesTimeMs: Math.round(timings.updatesMs),
      allRemovalsTimeMs: Math.round(timings.removalsMs),
      // Serialising this operator's changes at the barrier, plus the store write they went out in.
      commitTimeMs: Math.round(m.commitTimeMs + b.stateWriteMs),
      memoryUsedBytes: m.memoryUsedBytes,
      numShufflePartitions: op.partitions,
      numStateStoreInstances: op.partitions,
      customMetrics: custom,
    };
  });
  const d = b.durations;
  return jsonSafe({
    ...names(ctx),
    timestamp: isoTime(b.triggerStartMs),
    batchId: b.epoch,
    batchDuration: triggerMs,
    numInputRows,
    inputRowsPerSecond: perSecond(numInputRows, b.sinceLastTriggerMs),
    processedRowsPerSecond: perSecond(numInputRows, Math.max(1, triggerMs)),
    numMalformedRowsDropped: b.malformedDropped,
    durationMs: {
      latestOffset: Math.round(d.latestOffset),
      getBatch: Math.round(d.getBatch),
      queryPlanning: Math.round(d.queryPlanning),
      walCommit: Math.round(d.walCommit),
      addBatch: Math.round(d.addBatch),
      commitOffsets: Math.round(d.commitOffsets),
      triggerExecution: triggerMs,
    },
    eventTime,
    stateOperators,
    sources: graph.sources.map((s, i) => ({
      ...sourceProgress(s.source.description, b.start[i], b.end[i], b.latest[i] ?? b.end[i], b.rows[i] ?? 0, b.sinceLastTriggerMs, triggerMs),
      ...backlogOf(s.source, b.end[i]),
      metrics: s.source.metrics?.() ?? {},
    })),
    sink: { description: ctx.sinkDescription, numOutputRows: ctx.sinkReportsOutputRows ? b.outputRows : -1 },
    observedMetrics: {},
    ...watermarksOf(ctx, true),
    ...(ctx.deadLetterSinkDescription !== null ? { deadLetterSink: { description: ctx.deadLetterSinkDescription, numOutputRows: b.deadLetterRows } } : {}),
    ...(ctx.parallelism ? { parallelism: ctx.parallelism } : {}),
  });
}

/** A trigger that found nothing to run. */
export interface IdleTrigger {
  readonly lastEpoch: number;
  readonly committed: readonly Offset[];
  readonly latest: readonly Offset[];
  readonly watermarkMs: number;
  readonly triggerStartMs: number;
  readonly latestOffsetMs: number;
}

/** Spark's finishNoExecutionTrigger: no rows, the committed offsets, the state's size, the watermark in force. */
export function idleProgress(ctx: ReportContext, t: IdleTrigger): StreamingQueryProgress {
  const graph = ctx.graph;
  const triggerMs = Math.max(0, ctx.nowMs - t.triggerStartMs);
  return jsonSafe({
    ...names(ctx),
    timestamp: isoTime(t.triggerStartMs),
    batchId: t.lastEpoch,
    batchDuration: triggerMs,
    numInputRows: 0,
    inputRowsPerSecond: 0,
    processedRowsPerSecond: 0,
    numMalformedRowsDropped: 0,
    durationMs: { latestOffset: Math.round(t.latestOffsetMs), triggerExecution: triggerMs },
    eventTime: graph?.eventTime.length ? { watermark: isoTime(t.watermarkMs) } : {},
    stateOperators: (graph?.stateful ?? []).map((op) => {
      const m = op.figures().metrics;
      return {
        operatorName: op.logic.name, numRowsTotal: m.numRowsTotal, numRowsUpdated: 0, numRowsRemoved: 0,
        numRowsDroppedByWatermark: 0, allUpdatesTimeMs: 0, allRemovalsTimeMs: 0, commitTimeMs: 0,
        memoryUsedBytes: m.memoryUsedBytes, numShufflePartitions: op.partitions,
        numStateStoreInstances: op.partitions, customMetrics: {},
      };
    }),
    sources: (graph?.sources ?? []).map((s, i) => ({
      ...sourceProgress(s.source.description, t.committed[i], t.committed[i], t.latest[i] ?? t.committed[i], 0, 0, 0),
      ...backlogOf(s.source, t.committed[i]),
    })),
    sink: { description: ctx.sinkDescription, numOutputRows: ctx.sinkReportsOutputRows ? 0 : -1 },
    observedMetrics: {},
    ...watermarksOf(ctx, false),
  });
}

/** An epoch a continuous run cut and committed. */
export function epochProgress(ctx: ReportContext, e: ContinuousEpoch, committed: EpochCommitted, commitMs: number): StreamingQueryProgress {
  const epochMs = Math.max(0, ctx.nowMs - e.startedAtMs);
  const spanMs = Math.max(0, e.batchTimestampMs - e.startedAtMs);
  const numInputRows = e.rows.reduce((a, b) => a + b, 0);
  const durationMs: DurationMs = {
    walCommit: Math.round(e.walCommitMs),
    // From the barrier leaving the sources to the sink's commit at it.
    addBatch: Math.round(Math.max(0, performance.now() - e.barrierSentAt - commitMs)),
    commitOffsets: Math.round(commitMs),
    triggerExecution: epochMs,
  };
  return jsonSafe({
    ...names(ctx),
    timestamp: isoTime(e.startedAtMs),
    batchId: e.epoch,
    batchDuration: epochMs,
    numInputRows,
    inputRowsPerSecond: perSecond(numInputRows, spanMs),
    processedRowsPerSecond: perSecond(numInputRows, Math.max(1, spanMs)),
    numMalformedRowsDropped: 0,
    durationMs,
    eventTime: {},
    stateOperators: [],
    sources: (ctx.graph?.sources ?? []).map((s, i) =>
      sourceProgress(s.source.description, e.start[i], e.end[i], s.source.reportLatestOffset?.() ?? e.end[i], e.rows[i] ?? 0, spanMs, Math.max(1, spanMs))),
    sink: { description: ctx.sinkDescription, numOutputRows: ctx.sinkReportsOutputRows ? committed.numOutputRows : -1 },
    observedMetrics: {},
  });
}

/** sources[].backlog, when the source can tell. */
function backlogOf(source: StreamSource, end: Offset): { backlog?: SourceBacklog } {
  const backlog = source.backlog?.(end) ?? null;
  return backlog ? { backlog } : {};
}

/** progress.watermarks, when the query has a withWatermark; `batch`: figures of the batch just run. */
function watermarksOf(ctx: ReportContext, batch: boolean): { watermarks?: WatermarkProgress[] } {
  if (ctx.watermarks.length === 0) return {};
  const sourceName = (index: number): string => ctx.graph?.sources[index]?.source.description ?? `source ${index}`;
  return {
    watermarks: ctx.watermarks.map((w) => ({
      column: w.stats.column,
      sources: w.stats.sources.map(sourceName),
      watermark: isoTime(w.watermarkMs),
      idle: w.idle,
      numRowsDroppedByMaxFutureSkew: batch ? w.stats.futureRows : 0,
      ...(w.stats.tracking?.perPartition ? {
        partitions: w.splits.map((s) => {
          const slash = s.split.indexOf('/');
          return {
            // '': rows that reached the withWatermark without a split (after a stateful operator).
            source: s.split === '' ? w.stats.sources.map(sourceName).join(', ') : sourceName(Number(slash < 0 ? s.split : s.split.slice(0, slash))),
            partition: slash < 0 ? null : s.split.slice(slash + 1),
            watermark: isoTime(s.watermarkMs),
            idle: s.idle,
          };
        }),
      } : {}),
    })),
  };
}

function names(ctx: ReportContext): Pick<StreamingQueryProgress, 'id' | 'runId' | 'name' | 'numRestarts'> {
  return { id: ctx.id, runId: ctx.runId, name: ctx.name, numRestarts: ctx.restarts };
}

function sourceProgress(description: string, start: Offset, end: Offset, latest: Offset, rows: number, inputMs: number, processingMs: number): SourceProgress {
  return {
    description,
    startOffset: start ?? null,
    endOffset: end ?? null,
    latestOffset: latest ?? null,
    numInputRows: rows,
    inputRowsPerSecond: perSecond(rows, inputMs),
    processedRowsPerSecond: perSecond(rows, Math.max(1, processingMs)),
    metrics: {},
  };
}
