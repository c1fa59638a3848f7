// One query's micro-batch engine: the steps the lifecycle machine invokes. It follows Spark's
// MicroBatchExecution: plan end offsets → write offsets/N → run the epoch through the actor
// graph → when the sink acknowledged, write state deltas and commits/N together → tell the
// sources. Recovery re-runs an uncommitted epoch with exactly its recorded offsets. Under
// Trigger.Continuous the same engine recovers (re-running uncommitted epochs as batches) and
// then hands the graph to a ContinuousRun.
import { randomUUID } from 'node:crypto';
import { DeadLetterBuffer } from '../actors/dead-letters.js';
import type { Row } from '../data/row.js';
import type { EpochCommitted } from '../actors/sink-actor.js';
import { Supervisor } from '../actors/supervisor.js';
import type { RestartPolicy } from '../actors/restart-policy.js';
import type { Offset, SinkOptions, SourceContext, StreamSink } from '../connectors/contract.js';
import { sinkProvider, splitFormats } from '../connectors/contract.js';
import type { LogicalPlan, OutputMode, SourceNode } from '../plan/logical.js';
import type { ExecutionGraph } from '../plan/physical.js';
import { buildGraph, createSourceFor } from '../plan/physical.js';
import type { OperatorServices } from '../plan/stateful-operators.js';
import { statefulOperatorFactory } from '../plan/stateful-operators.js';
import { parseMaster } from '../cluster/master.js';
import { ParallelPlan, sinkPlacement } from '../cluster/parallel-plan.js';
import type { Placement } from '../cluster/placement.js';
import { placeQuery } from '../cluster/placement.js';
import { WorkerPool } from '../cluster/worker-pool.js';
import type { CheckpointBackend } from '../state/backend.js';
import { Checkpoint } from '../state/checkpoint.js';
import type { CheckpointLog } from '../state/checkpoint-log.js';
import type { EpochRecord } from '../state/recovery.js';
import type { StateRepository } from '../state/state-repository.js';
import { checkCompatibility, fingerprints, sourceFingerprints } from './compatibility.js';
import type { QueryConf } from './conf.js';
import type { QueryClock } from './clock.js';
import { ContinuousRun } from './continuous-run.js';
import { sameOffset } from './continuous-reader.js';
import type { PlanOutcome } from './lifecycle-machine.js';
import { backendSettings, openBackend } from './open-backend.js';
import type { ParallelismProgress, StreamingQueryProgress } from './progress.js';
import type { ReportContext } from './progress-report.js';
import { batchProgress, epochProgress, idleProgress } from './progress-report.js';
import type { TriggerMode } from './trigger.js';
import { WatermarkTracker } from './watermark-tracker.js';
import { DEAD_LETTER_SCHEMA, writeDeadLetters } from './dead-letter-sink.js';

export type { PlanOutcome } from './lifecycle-machine.js';
export { sameOffset } from './continuous-reader.js';

export interface ExecutionConfig {
  readonly plan: LogicalPlan;
  readonly outputMode: OutputMode;
  readonly sinkOptions: SinkOptions;
  readonly trigger: TriggerMode;
  readonly conf: QueryConf;
  readonly checkpointLocation: string | null;
  readonly queryName: string | null;
  readonly clock: QueryClock;
  readonly restartPolicy: RestartPolicy;
  readonly services: OperatorServices;
  /** Tells the lifecycle that a source has new data (ends an idle wait early). */
  readonly wake: () => void;
  /** Where rows dropped by the watermark go (withWatermark(...).onLateRows), if anywhere. */
  readonly deadLetterSink?: SinkOptions | null;
}

/** An epoch planned (its offsets written) but not yet committed. */
interface PlannedEpoch extends EpochRecord {
  readonly hasData: boolean;
}

export class MicroBatchExecution {
  readonly runId = randomUUID();
  id = '';
  private backend!: CheckpointBackend;
  private checkpoint!: Checkpoint;
  private log!: CheckpointLog;
  private repo!: StateRepository;
  private conf: QueryConf;
  private supervisor: Supervisor | null = null;
  private graph: ExecutionGraph | null = null;
  private sink: StreamSink | null = null;
  private deadLetterSink: StreamSink | null = null;

  private nextEpoch = 0;
  private committedOffsets: Offset[] = [];
  private pending: PlannedEpoch | null = null;
  /** Uncommitted epochs found at recovery, re-run in order before anything new is planned. */
  private replay: PlannedEpoch[] = [];
  /** The watermark the next epoch runs with. */
  private watermarkMs = 0;
  /** Each withWatermark's watermark and idleness, for the graph of this run. */
  private tracker = new WatermarkTracker([], 'min', 0);
  private batchesRun = 0;
  private readonly commitWaiters = new Map<number, { resolve: (c: EpochCommitted) => void; reject: (e: unknown) => void }>();
  private malformedInBatch = 0;
  private availableNowPrepared = false;
  /** The trigger this run follows: AvailableNow over a source that cannot support it runs as Once. */
  private trigger: TriggerMode;
  private lastTriggerStartMs: number | null = null;
  private progressTimes = { latestOffset: 0, walCommit: 0, getBatch: 0, queryPlanning: 0, addBatch: 0, triggerStart: 0 };
  private lastRun: { numInputRows: number[]; committed: EpochCommitted | null; deadLetters: number } = { numInputRows: [], committed: null, deadLetters: 0 };
  private lastLatest: Offset[] = [];
  /** Whether the sources had data beyond the committed offsets when last planned. */
  private dataAvailable = false;
  /**
   * The last plan found the sources caught up and nothing due: the no-data batch it planned runs
   * only because an operator runs one every trigger (processAllAvailable need not wait for it).
   */
  private caughtUp = false;
  /** While planning: the offsets are being written (for query.status). */
  private offsetsBeingWritten = false;
  /** A plan or commit step in flight: a stop at once lets it finish before closing the checkpoint. */
  private stepInFlight: Promise<unknown> | null = null;
  private continuous: ContinuousRun | null = null;
  /** Under master('local[N]'): the regions on worker threads, and where every node runs. */
  private parallel: ParallelPlan | null = null;
  private placement: Placement | null = null;
  /** In-process restarts by the restart policy (progress numRestarts). */
  restarts = 0;

  constructor(private readonly cfg: ExecutionConfig) {
    this.conf = cfg.conf;
    this.trigger = cfg.trigger;
  }

  get currentWatermarkMs(): number {
    return this.watermarkMs;
  }

  get lastCommittedEpoch(): number {
    return this.nextEpoch - 1;
  }

  /** The graph's supervisor (for failures and rows in flight). */
  get activeSupervisor(): Supervisor | null {
    return this.supervisor;
  }

  /** Opens the checkpoint, claims it for this run, reads or writes its metadata and checks compatibility. */
  async start(): Promise<void> {
    const conf = this.cfg.conf;
    this.backend = openBackend(this.cfg.checkpointLocation, backendSettings(conf));
    this.checkpoint = new Checkpoint(this.backend, {
      minBatchesToRetain: conf.minBatchesToRetain,
      minDeltasForSnapshot: conf.minDeltasForSnapshot,
      intervalMs: conf.maintenanceIntervalMs,
      asyncCommit: conf.asyncCheckpoint,
    });
    this.log = this.checkpoint.log;
    this.repo = this.checkpoint.state;
    // Without a checkpointLocation and with no restart, state deltas could never be read back
    // (the in-memory checkpoint dies with the run): the stores keep state, nothing is encoded.
    this.repo.recordsDeltas = this.cfg.checkpointLocation !== null || this.cfg.restartPolicy.type !== 'never';
    await this.backend.acquire(this.runId);
    const meta = await this.log.readMetadata();
    const ops = fingerprints(this.cfg.plan, this.cfg.outputMode);
    const sources = sourceFingerprints(this.cfg.plan);
    if (meta) {
      this.id = meta.id;
      this.conf = this.cfg.conf.withPersisted(meta.conf);
      checkCompatibility(meta, { operators: ops, sources }, this.backend.location);
    } else {
      await this.checkpoint.assertEmptyWithoutMetadata();
      this.id = randomUUID();
      await this.log.writeMetadata({ id: this.id, conf: this.conf.persisted(), operators: ops, sources });
    }
  }

  /**
   * Builds the actor graph and restores it to the last commit. Epochs planned but not committed
   * (one; two after an asynchronous commit) are re-run first, each with exactly its recorded
   * offsets, watermark and batch timestamp (src/state/recovery.ts).
   */
  async recover(): Promise<void> {
    await this.checkpoint.quiesce();
    await this.teardownGraph();
    const supervisor = new Supervisor(this.cfg.restartPolicy, this.conf.linkCapacity);
    this.supervisor = supervisor;
    supervisor.onFailure((error) => {
      for (const w of this.commitWaiters.values()) w.reject(error);
      this.commitWaiters.clear();
      this.continuous?.fail(error);
    });
    this.checkpoint.onBackgroundFailure = (error) => supervisor.fail(error, 'checkpoint commit');
    this.pending = null;
    this.replay = [];

    const sink = sinkProvider(this.cfg.sinkOptions.format).create(this.cfg.sinkOptions);
    this.sink = sink;
    const lateRows = this.cfg.deadLetterSink ?? null;
    this.deadLetterSink = lateRows ? sinkProvider(lateRows.format).create(lateRows) : null;
    const deadLetters = lateRows ? new DeadLetterBuffer() : null;
    this.parallel = await this.parallelPlan(supervisor, sink, deadLetters);
    const graph = buildGraph({
      plan: this.cfg.plan,
      outputMode: this.cfg.outputMode,
      sink,
      supervisor,
      chunkRows: this.conf.chunkRows,
      shufflePartitions: this.conf.shufflePartitions,
      state: this.repo,
      createSource: createSourceFor,
      statefulOperator: statefulOperatorFactory(),
      loadStatic: this.cfg.services.loadStatic,
      firstEpoch: 0,
      onCommitted: (c) => this.onSinkCommitted(c),
      ...(this.parallel ? { hooks: this.parallel } : {}),
      deadLetters,
    });
    this.graph = graph;
    this.tracker = new WatermarkTracker(graph.eventTime, this.conf.watermarkPolicy, this.cfg.clock.now());
    this.trigger = this.triggerFor(graph);
    await sink.open({
      queryId: this.id,
      queryName: this.cfg.queryName,
      outputMode: this.cfg.outputMode,
      schema: this.cfg.plan.schema,
      checkpoint: this.backend,
    });
    // A sink of its own: its id differs from the query's so that, say, Kafka transactional ids never collide.
    await this.deadLetterSink?.open({
      queryId: `${this.id}-late-rows`, queryName: lateRows?.queryName ?? null, outputMode: 'append', schema: DEAD_LETTER_SCHEMA, checkpoint: this.backend,
    });
    await Promise.all(graph.sources.map((s) => s.source.open(this.sourceContext(s.index))));
    this.checkpoint.maintenance.onLogsPurged = async (starts) => {
      await Promise.all(graph.sources.map((s, i) => s.source.purgeMetadata?.(starts[i])));
    };

    const from = await this.checkpoint.recoveryPoint(() => this.initialOffsets());
    this.nextEpoch = from.nextEpoch;
    this.committedOffsets = [...from.committedOffsets];
    this.watermarkMs = from.watermarkMs;
    this.replay = from.replay.map((r) => ({ ...r, hasData: r.end.some((o, i) => !sameOffset(o, r.start[i])) }));
    graph.sink.expectEpoch(this.nextEpoch);
    await Promise.all(graph.stateful.map((op) => op.restore(from.stateVersion, from.lateWatermarkMs)));
  }

  /**
   * Under master('local[N]'): where each part of the plan runs (cluster/placement.ts), and the
   * hooks that deploy its regions on the worker threads; null when everything runs here.
   */
  private async parallelPlan(supervisor: Supervisor, sink: StreamSink, deadLetters: DeadLetterBuffer | null): Promise<ParallelPlan | null> {
    const threads = parseMaster(this.conf.master);
    this.sinkPlacement = null;
    if (threads <= 1) return null;
    const place = (splittable: (n: SourceNode) => boolean): Placement =>
      (this.placement = placeQuery(this.cfg.plan, { threads, splittable, continuous: this.cfg.trigger.kind === 'continuous' }));
    // No region of the plan can leave the driver (user closures only, a continuous trigger): no threads.
    const local = new Set(splitFormats());
    if (place((n) => local.has(n.format.toLowerCase())).regions.length === 0) return null;
    const pool = WorkerPool.shared();
    // The threads hold the process open while this run uses them (also while they start).
    pool.retain();
    supervisor.own({ stop: once(async () => pool.release()) });
    const prepared = await pool.prepare(threads, this.conf.workerImports);
    // Placed again with what the threads can read (the modules they imported register sources too).
    const placement = place((n) => prepared.splitFormats.has(n.format.toLowerCase()));
    // A sink that can write from the threads (part files per thread) does, when the plan ends on them.
    const so = this.cfg.sinkOptions;
    const fromTasks = sink.writesFromTasks === true && so.instance === undefined && prepared.taskSinkFormats.has(so.format.toLowerCase())
      && placement.regionOf.get(this.cfg.plan)?.output === this.cfg.plan;
    this.sinkPlacement = sinkPlacement(sink, threads, fromTasks);
    return new ParallelPlan({
      sinkPlacement: this.sinkPlacement,
      sink: fromTasks ? {
        driver: sink,
        options: { format: so.format, options: so.options, ...(so.path !== undefined ? { path: so.path } : {}), queryName: so.queryName, queryId: this.id, schema: this.cfg.plan.schema, keyGroups: this.conf.shufflePartitions },
      } : null,
      plan: this.cfg.plan, placement, threads: prepared.threads, name: this.cfg.queryName ?? this.id, runId: this.runId, supervisor,
      chunkRows: this.conf.chunkRows, linkCapacity: this.conf.linkCapacity, shufflePartitions: this.conf.shufflePartitions,
      outputMode: this.cfg.outputMode, backend: this.backend, repo: this.repo, loadStatic: this.cfg.services.loadStatic,
      keyGroupShuffleSeed: this.conf.keyGroupShuffleSeed, deadLetters,
    });
  }

  /** Decides what the next trigger does, and writes the offset log entry when it runs a batch. */
  plan(): Promise<PlanOutcome> {
    return this.track(this.planStep());
  }

  private async planStep(): Promise<PlanOutcome> {
    const graph = this.graph!;
    const triggerStart = this.cfg.clock.now();
    this.progressTimes = { latestOffset: 0, walCommit: 0, getBatch: 0, queryPlanning: 0, addBatch: 0, triggerStart };
    this.offsetsBeingWritten = false;
    const trigger = this.trigger;
    this.caughtUp = false;
    this.checkpoint.throwIfFailed();
    this.pending ??= this.replay.shift() ?? null;
    if (this.pending) {
      this.dataAvailable = this.pending.hasData;
      return this.pending.hasData ? 'batch' : 'noDataBatch';
    }
    // Recovery has re-run what the checkpoint left uncommitted; now rows flow continuously.
    if (trigger.kind === 'continuous') {
      await this.checkpoint.flush();
      return 'continuous';
    }
    // Once: exactly one batch (a re-run of an uncommitted one counts), no trailing no-data batch.
    if (trigger.kind === 'once' && this.batchesRun > 0) {
      await this.checkpoint.flush();
      return 'finished';
    }
    if (trigger.kind === 'availableNow' && !this.availableNowPrepared) {
      await Promise.all(graph.sources.map((s) => s.source.prepareForAvailableNow?.()));
      this.availableNowPrepared = true;
    }
    // A stream or partition that went idle since the last commit no longer holds the watermark back.
    this.watermarkMs = this.tracker.watermarkAt(triggerStart, this.watermarkMs);
    const t0 = performance.now();
    const limits = trigger.kind === 'once' ? 'all' : 'default';
    const ends = await Promise.all(graph.sources.map((s, i) => s.source.latestOffset(this.committedOffsets[i], limits)));
    this.lastLatest = graph.sources.map((s, i) => s.source.reportLatestOffset?.() ?? ends[i]);
    this.progressTimes.latestOffset = performance.now() - t0;
    const hasData = ends.some((o, i) => !sameOffset(o, this.committedOffsets[i]));
    this.dataAvailable = hasData;
    if (!hasData) {
      const at = (op: ExecutionGraph['stateful'][number]) => ({ lastEvictionWatermarkMs: op.evictionWatermarkMs, batchTimestampMs: triggerStart });
      const noDataBatch = this.conf.noDataMicroBatches && graph.stateful.some((op) => op.logic.wantsNoDataBatch?.(op.inputWatermarkOf(this.watermarkMs), at(op)) ?? false);
      // Spark asks the last batch's plan, so only after this run has run one; AvailableNow ends
      // once caught up (Spark's would run such batches forever: docs/differences-from-spark.md).
      this.caughtUp = !noDataBatch && this.conf.noDataMicroBatches && trigger.kind === 'processingTime' && this.batchesRun > 0
        && graph.stateful.some((op) => op.logic.runsEveryTrigger === true);
      if (!noDataBatch && !this.caughtUp) {
        // Nothing to run: an asynchronous commit still in flight must be durable before the
        // query reports that everything available is committed.
        await this.checkpoint.flush();
        return trigger.kind === 'processingTime' ? 'idle' : 'finished';
      }
    }
    const epoch = this.nextEpoch;
    const batchTimestampMs = triggerStart;
    this.offsetsBeingWritten = true;
    const t1 = performance.now();
    await this.log.writeOffsets({
      epoch, batchWatermarkMs: this.watermarkMs, batchTimestampMs, conf: this.conf.persisted(), sources: ends,
    });
    this.progressTimes.walCommit = performance.now() - t1;
    this.pending = { epoch, start: this.committedOffsets, end: ends, watermarkMs: this.watermarkMs, batchTimestampMs, hasData };
    return hasData ? 'batch' : 'noDataBatch';
  }

  /**
   * Runs the pending epoch through the graph; resolves once the sink committed it. Besides
   * addBatch it times queryPlanning (preparing the graph for the epoch and opening the sources'
   * reads) and getBatch (until every source delivered its first rows, or ended empty).
   */
  async execute(): Promise<void> {
    const p = this.pending!;
    const graph = this.graph!;
    const t0 = performance.now();
    for (const s of graph.eventTime) s.beginEpoch(p.batchTimestampMs);
    graph.counters.malformedDropped = 0;
    graph.deadLetters?.beginEpoch(p.watermarkMs);
    this.malformedInBatch = 0;
    for (const op of graph.stateful) op.resetFigures();
    // The worker threads start the epoch too (its trigger time bounds maxFutureSkew there).
    this.parallel?.beginEpoch(p.epoch, p.batchTimestampMs, p.watermarkMs);
    const committed = new Promise<EpochCommitted>((resolve, reject) => this.commitWaiters.set(p.epoch, { resolve, reject }));
    committed.catch(() => undefined); // observed below; never an unhandled rejection
    const reads = graph.sources.map((s, i) => (sameOffset(p.start[i], p.end[i]) ? [] : s.read(p.start[i], p.end[i])));
    const t1 = performance.now();
    this.progressTimes.queryPlanning = t1 - t0;
    let firstRows = 0;
    const gotBatch = (): void => {
      if (++firstRows === reads.length) this.progressTimes.getBatch = performance.now() - t1;
    };
    try {
      const counts = await Promise.all(graph.sources.map((s, i) => s.actor.runEpoch({
        epoch: p.epoch,
        watermarkMs: p.watermarkMs,
        batchTimestampMs: p.batchTimestampMs,
        rows: onFirstChunk(reads[i]!, gotBatch),
      })));
      const info = await committed;
      // The late rows of the epoch, before its commit marker: a re-run epoch writes (or skips) the same.
      const deadLetters = this.deadLetterSink ? await writeDeadLetters(this.deadLetterSink, p.epoch, graph.deadLetters?.take() ?? []) : 0;
      this.lastRun = { numInputRows: counts.map((n, i) => graph.sources[i]!.rowsRead(n)), committed: info, deadLetters };
    } catch (e) {
      throw this.supervisor?.failed?.error ?? e;
    } finally {
      this.commitWaiters.delete(p.epoch);
    }
    this.progressTimes.addBatch = Math.max(0, performance.now() - t1 - this.progressTimes.getBatch);
  }

  /** Writes the epoch's state and commit marker, advances the watermark, tells the sources. */
  commit(): Promise<StreamingQueryProgress> {
    return this.track(this.commitStep());
  }

  private async commitStep(): Promise<StreamingQueryProgress> {
    const p = this.pending!;
    const graph = this.graph!;
    const t0 = performance.now();
    this.tracker.observe(p.batchTimestampMs, (i) => graph.sources[i]?.source.eventTimeReached?.(p.end[i]) ?? null);
    const nextWatermark = this.tracker.watermarkAt(this.cfg.clock.now(), this.watermarkMs);
    const timing = await this.checkpoint.commitEpoch(p.epoch, nextWatermark, () =>
      Promise.all(graph.sources.map((s, i) => s.source.commit(p.end[i]))));
    this.committedOffsets = [...p.end];
    this.nextEpoch = p.epoch + 1;
    this.pending = null;
    this.batchesRun++;
    const commitMs = performance.now() - t0;
    const progress = this.progress(p, commitMs, timing.writeMs);
    this.watermarkMs = nextWatermark;
    return progress;
  }

  /**
   * Trigger.Continuous: rows flow from the sources through the graph as they arrive, an epoch
   * is cut every checkpoint interval (continuous-run.ts). Resolves after finishContinuous()
   * committed the last epoch, rejects on a failure; `signal` aborts it (stop at once).
   */
  runContinuous(signal: AbortSignal, report: (p: StreamingQueryProgress) => void): Promise<void> {
    const graph = this.graph!;
    const trigger = this.trigger;
    if (trigger.kind !== 'continuous') throw new Error('internal: runContinuous without Trigger.Continuous');
    const run = new ContinuousRun({
      sources: graph.sources,
      firstEpoch: this.nextEpoch,
      startOffsets: this.committedOffsets,
      intervalMs: trigger.intervalMs,
      clock: this.cfg.clock,
      pollingDelayMs: this.conf.pollingDelayMs,
      writeOffsets: (epoch, ends, batchTimestampMs) => this.log.writeOffsets({
        epoch, batchWatermarkMs: this.watermarkMs, batchTimestampMs, conf: this.conf.persisted(), sources: ends,
      }),
      commitEpoch: async (e, committed) => {
        const t0 = performance.now();
        await this.checkpoint.commitEpoch(e.epoch, this.watermarkMs, () =>
          Promise.all(graph.sources.map((s, i) => s.source.commit(e.end[i]))));
        this.committedOffsets = [...e.end];
        this.nextEpoch = e.epoch + 1;
        this.batchesRun++;
        report(epochProgress(this.reportContext(), e, committed, performance.now() - t0));
      },
    });
    this.continuous = run;
    return run.run(signal).finally(() => {
      if (this.continuous === run) this.continuous = null;
    });
  }

  /** Graceful stop of a continuous run: cut and commit the epoch in flight, then end. */
  finishContinuous(): void {
    this.continuous?.finish();
  }

  /** processAllAvailable under Trigger.Continuous. */
  async flushContinuous(): Promise<void> {
    await this.continuous?.flush();
  }

  /** Stops the graph and closes sources, sink and checkpoint. */
  async stop(): Promise<void> {
    const run = this.continuous;
    run?.abort();
    // A plan or commit in flight writes to the checkpoint: let it finish before closing it.
    if (this.stepInFlight) await this.stepInFlight.catch(() => undefined);
    // An asynchronous commit in flight completes first: it may still tell the sources.
    if (this.checkpoint) await this.checkpoint.flush().catch(() => undefined);
    await this.teardownGraph();
    if (run) await run.settled();
    if (this.checkpoint) await this.checkpoint.close(this.runId);
  }

  /** Where each part of the plan runs under master('local[N]'); null with one thread. */
  get queryPlacement(): Placement | null {
    return this.placement;
  }

  /** Under master('local[N]'): the sink and where it writes from (explain()); null with one thread. */
  sinkPlacement: string | null = null;

  /** Whether the sources had data beyond what was committed when last asked (status.isDataAvailable). */
  get isDataAvailable(): boolean {
    return this.dataAvailable;
  }

  /** Resolves once the checkpoint's background maintenance has no run in progress (for tests of retention). */
  maintenanceIdle(): Promise<void> {
    return this.checkpoint.maintenance.idle();
  }

  /** Whether the last plan found nothing to wait for: its no-data batch runs only because an operator runs one every trigger. */
  get planCaughtUp(): boolean {
    return this.caughtUp;
  }

  /** Whether the current planning step is writing the offset log (status message). */
  get writingOffsets(): boolean {
    return this.offsetsBeingWritten;
  }

  /** The sources as progress and status name them. */
  get sourceNames(): string[] {
    return (this.graph?.sources ?? []).map((s) => s.source.description);
  }

  /** The trigger this run follows (AvailableNow falls back to Once over a source without support). */
  get effectiveTrigger(): TriggerMode {
    return this.trigger;
  }

  availableNowProgress(): { done: number; total: number; unit: string } | null {
    const parts = (this.graph?.sources ?? []).map((s) => s.source.availableNowProgress?.() ?? null).filter((x) => x !== null);
    if (parts.length === 0) return null;
    return parts.reduce((a, b) => ({ done: a.done + b.done, total: a.total + b.total, unit: a.unit === b.unit ? a.unit : 'units' }));
  }

  private async teardownGraph(): Promise<void> {
    const graph = this.graph;
    const supervisor = this.supervisor;
    const sink = this.sink;
    const deadLetterSink = this.deadLetterSink;
    this.graph = null;
    this.sink = null;
    this.deadLetterSink = null;
    if (supervisor) await supervisor.stopAll();
    if (graph) await Promise.all(graph.sources.map((s) => s.source.close().catch(() => undefined)));
    if (sink) await sink.close().catch(() => undefined);
    if (deadLetterSink) await deadLetterSink.close().catch(() => undefined);
  }

  private onSinkCommitted(c: EpochCommitted): void {
    const waiter = this.commitWaiters.get(c.epoch);
    if (waiter) waiter.resolve(c);
    else this.continuous?.onSinkCommitted(c);
  }

  /** Tracks a step that writes to the checkpoint, so that stop() lets it finish first. */
  private track<T>(step: Promise<T>): Promise<T> {
    this.stepInFlight = step;
    const clear = (): void => { if (this.stepInFlight === step) this.stepInFlight = null; };
    step.then(clear, clear);
    return step;
  }

  /**
   * AvailableNow needs every source to fix its end at start (prepareForAvailableNow); over a
   * source that cannot, the query runs one batch of everything available, as Spark's Once.
   */
  private triggerFor(graph: ExecutionGraph): TriggerMode {
    const t = this.cfg.trigger;
    if (t.kind !== 'availableNow') return t;
    const unsupported = graph.sources.filter((s) => !s.source.prepareForAvailableNow).map((s) => s.source.description);
    if (unsupported.length === 0) return t;
    if (this.trigger.kind === 'availableNow') {
      process.emitWarning(
        `Trigger.AvailableNow is not supported by ${unsupported.join(', ')}: the query ${this.cfg.queryName ?? this.id} runs as Trigger.Once ` +
        '(one batch of all available data, ignoring read limits) instead',
      );
    }
    return { kind: 'once' };
  }

  private sourceContext(index: number): SourceContext {
    return {
      queryId: this.id,
      runId: this.runId,
      checkpoint: this.backend,
      metadataPath: `sources/${index}`,
      clock: this.cfg.clock,
      wake: () => {
        this.cfg.wake();
        this.continuous?.wake();
      },
      countMalformed: (n) => { this.malformedInBatch += n; },
    };
  }

  /** Each source's initial offset, recorded on first use so a re-run of epoch 0 starts at the same place. */
  private async initialOffsets(): Promise<Offset[]> {
    return Promise.all(this.graph!.sources.map(async (s) => {
      const path = `sources/${s.index}/initial`;
      const raw = await this.backend.read(path);
      if (raw) return JSON.parse(raw.toString('utf8')) as Offset;
      const offset = await s.source.initialOffset();
      await this.backend.write(path, JSON.stringify(offset ?? null));
      return offset;
    }));
  }

  private progress(p: PlannedEpoch, commitMs: number, stateWriteMs: number): StreamingQueryProgress {
    const triggerStart = this.progressTimes.triggerStart;
    const sinceLastTriggerMs = this.lastTriggerStartMs === null ? 0 : triggerStart - this.lastTriggerStartMs;
    this.lastTriggerStartMs = triggerStart;
    return batchProgress(this.reportContext(), {
      epoch: p.epoch, start: p.start, end: p.end, latest: this.lastLatest, watermarkMs: p.watermarkMs,
      triggerStartMs: triggerStart, sinceLastTriggerMs, rows: this.lastRun.numInputRows,
      outputRows: this.lastRun.committed?.numOutputRows ?? -1,
      deadLetterRows: this.lastRun.deadLetters,
      malformedDropped: this.graph!.counters.malformedDropped + this.malformedInBatch,
      durations: { ...this.progressTimes, commitOffsets: commitMs }, stateWriteMs,
    });
  }

  /** The progress of a trigger that ran no batch (Spark's finishNoExecutionTrigger). */
  idleProgress(): StreamingQueryProgress {
    return idleProgress(this.reportContext(), {
      lastEpoch: this.lastCommittedEpoch, committed: this.committedOffsets, latest: this.lastLatest,
      watermarkMs: this.watermarkMs, triggerStartMs: this.progressTimes.triggerStart, latestOffsetMs: this.progressTimes.latestOffset,
    });
  }

  private reportContext(): ReportContext {
    return {
      id: this.id, runId: this.runId, name: this.cfg.queryName, nowMs: this.cfg.clock.now(), restarts: this.restarts,
      graph: this.graph, sinkDescription: this.sink?.description ?? '', sinkReportsOutputRows: this.sink?.reportsOutputRows !== false,
      deadLetterSinkDescription: this.deadLetterSink?.description ?? null,
      watermarks: this.tracker.streamsAt(this.cfg.clock.now()),
      parallelism: this.parallelism,
    };
  }

  /** Under master('local[N]'): how the last batch ran on the worker threads. */
  get parallelism(): ParallelismProgress | null {
    return this.parallel?.progress(this.conf.master) ?? null;
  }
}

/** `fn`, run at most once however often it is called. */
function once(fn: () => Promise<void>): () => Promise<void> {
  let run: Promise<void> | null = null;
  return () => (run ??= fn());
}

/** Calls `first` once, when `rows` yields its first chunk or ends without one. */
async function* onFirstChunk(rows: AsyncIterable<Row[]> | Iterable<Row[]>, first: () => void): AsyncGenerator<Row[]> {
  let called = false;
  try {
    for await (const chunk of rows) {
      if (!called) { called = true; first(); }
      yield chunk;
    }
  } finally {
    if (!called) first();
  }
}
