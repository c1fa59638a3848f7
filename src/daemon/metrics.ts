// Prometheus metrics of the queries a daemon runs (prom-client, one registry per daemon), named
// by Prometheus' conventions: counters end in _total, times are seconds, sizes bytes; every
// series is labelled by query (its name, else its id). Fed by the session's query listener.
import type { Histogram } from 'prom-client';
import { Counter, Gauge, Histogram as HistogramMetric, Registry, collectDefaultMetrics } from 'prom-client';
import type { StreamingQueryProgress } from '../query/progress.js';
import type { LagClock, PartitionLag } from './partition-lag.js';
import { partitionLags } from './partition-lag.js';

const PHASES = ['latestOffset', 'getBatch', 'queryPlanning', 'walCommit', 'addBatch', 'commitOffsets', 'triggerExecution'] as const;

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly inputRows: Counter<'query'>;
  private readonly outputRows: Counter<'query'>;
  private readonly batches: Counter<'query'>;
  private readonly inputRate: Gauge<'query'>;
  private readonly processedRate: Gauge<'query'>;
  private readonly batchDuration: Histogram<'query' | 'phase'>;
  private readonly stateRows: Gauge<'query' | 'operator'>;
  private readonly stateBytes: Gauge<'query' | 'operator'>;
  private readonly lateRows: Counter<'query' | 'operator'>;
  private readonly malformedRows: Counter<'query'>;
  private readonly restarts: Counter<'query'>;
  private readonly lastCommit: Gauge<'query'>;
  private readonly ready: Gauge<'query'>;
  /** Per query: its watermark (ms); per query or cluster worker: its partitions' lag, read again at each scrape. */
  private readonly watermarks = new Map<string, number>();
  private readonly lags = new Map<string, { readonly query: string; readonly lags: readonly PartitionLag[] }>();

  constructor(private readonly lagClock: LagClock, private readonly now: () => number = Date.now) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect?: (this: Gauge<L>) => void) =>
      new Gauge<L>({ name, help, labelNames, registers, ...(collect ? { collect } : {}) });
    this.inputRows = counter('spate_input_rows_total', 'Rows read by the sources in committed batches (also the rows processed)', ['query']);
    this.outputRows = counter('spate_output_rows_total', 'Rows written by the sink in committed batches (sinks that can tell)', ['query']);
    this.batches = counter('spate_batches_total', 'Batches (or continuous epochs) committed', ['query']);
    this.inputRate = gauge('spate_input_rows_per_second', 'Input rate of the last batch (Spark inputRowsPerSecond)', ['query']);
    this.processedRate = gauge('spate_processed_rows_per_second', 'Processing rate of the last batch (Spark processedRowsPerSecond)', ['query']);
    this.batchDuration = new HistogramMetric({
      name: 'spate_batch_duration_seconds', help: 'Time of each phase of a batch (Spark durationMs; triggerExecution is the whole trigger)',
      labelNames: ['query', 'phase'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers,
    });
    const watermarks = this.watermarks;
    gauge('spate_watermark_seconds', 'Event-time watermark, as Unix time', ['query'], function collect() {
      for (const [query, ms] of watermarks) this.set({ query }, ms / 1000);
    });
    gauge('spate_watermark_lag_seconds', 'How far the watermark is behind wall-clock time', ['query'], function collect() {
      for (const [query, ms] of watermarks) this.set({ query }, Math.max(0, (now() - ms) / 1000));
    });
    this.stateRows = gauge('spate_state_rows', 'Rows in the state of each stateful operator', ['query', 'operator']);
    this.stateBytes = gauge('spate_state_memory_bytes', 'Estimated memory of each stateful operator\'s state', ['query', 'operator']);
    this.lateRows = counter('spate_late_rows_dropped_total', 'Rows dropped by a stateful operator as later than the watermark', ['query', 'operator']);
    this.malformedRows = counter('spate_malformed_rows_dropped_total', 'Malformed records dropped (DROPMALFORMED)', ['query']);
    const lags = this.lags;
    gauge('spate_source_lag_records', 'Records in a source partition after what the last batch read', ['query', 'source', 'topic', 'partition'], function collect() {
      this.reset();
      for (const { query, lags: list } of lags.values()) for (const l of list) this.set({ query, source: l.source, topic: l.topic, partition: l.partition }, l.records);
    });
    gauge('spate_source_lag_seconds', 'How long a source partition has had records waiting (since a batch last read it to its end)',
      ['query', 'source', 'topic', 'partition'], function collect() {
        this.reset();
        const t = now();
        for (const { query, lags: list } of lags.values()) {
          for (const l of list) this.set({ query, source: l.source, topic: l.topic, partition: l.partition }, lagClock.seconds(query, l, t));
        }
      });
    this.restarts = counter('spate_restarts_total', 'In-process restarts of the query by its restart policy', ['query']);
    this.lastCommit = gauge('spate_last_commit_timestamp_seconds', 'When the query last committed a batch, as Unix time', ['query']);
    this.ready = gauge('spate_query_ready', '1 while the query is running and not stalled', ['query']);
  }

  /** A committed batch's progress. */
  progress(query: string, p: StreamingQueryProgress): void {
    this.batches.inc({ query });
    this.inputRows.inc({ query }, p.numInputRows);
    if (p.sink.numOutputRows >= 0) this.outputRows.inc({ query }, p.sink.numOutputRows);
    this.inputRate.set({ query }, p.inputRowsPerSecond);
    this.processedRate.set({ query }, p.processedRowsPerSecond);
    for (const phase of PHASES) {
      const ms = p.durationMs[phase];
      if (ms !== undefined) this.batchDuration.observe({ query, phase }, ms / 1000);
    }
    // A watermark of 0 means none yet.
    if (p.eventTime.watermark && Date.parse(p.eventTime.watermark) > 0) this.watermarks.set(query, Date.parse(p.eventTime.watermark));
    for (const op of p.stateOperators) {
      this.stateRows.set({ query, operator: op.operatorName }, op.numRowsTotal);
      this.stateBytes.set({ query, operator: op.operatorName }, op.memoryUsedBytes);
      this.lateRows.inc({ query, operator: op.operatorName }, op.numRowsDroppedByWatermark);
    }
    this.malformedRows.inc({ query }, p.numMalformedRowsDropped);
    this.sourceLags(query, query, partitionLags(p.sources));
    this.lastCommit.set({ query }, this.now() / 1000);
  }

  /**
   * The lag of source partitions of `query`, as `owner` (the query itself, or one cluster worker,
   * which reports the partitions it owns) sees it now: replaces what `owner` reported before.
   */
  sourceLags(owner: string, query: string, lags: readonly PartitionLag[]): void {
    this.lagClock.observe(query, lags, this.now());
    this.lags.set(owner, { query, lags });
  }

  /** Forgets what `owner` reported (a cluster worker that stopped). */
  forgetLags(owner: string): void {
    this.lags.delete(owner);
  }

  restarted(query: string): void {
    this.restarts.inc({ query });
  }

  setReady(query: string, ready: boolean): void {
    this.ready.set({ query }, ready ? 1 : 0);
  }

  /** Text for GET /metrics. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
