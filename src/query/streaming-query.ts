// StreamingQuery: the handle start() returns. It runs the lifecycle machine, providing the
// engine's steps, and turns the machine's reports into status, progress, listener events,
// processAllAvailable, awaitTermination and stop. Failures become exception(); none escapes
// as an unhandled rejection.
import type { Actor } from 'xstate';
import { createActor, fromPromise } from 'xstate';
import type { RecordFailures } from '../actors/restart-policy.js';
import { decideRecordRestart } from '../actors/restart-policy.js';
import { AnalysisError, CheckpointError, StreamingQueryError, TimeoutError, describeValue, errorMessage, recordPositionOf } from '../errors.js';
import { redactText, scrubError } from '../secrets.js';
import type { QueryClock } from './clock.js';
import type { EndToEndGuarantee } from './guarantee.js';
import type { LifecycleMachine, PlanOutcome } from './lifecycle-machine.js';
import { createLifecycleMachine, statusOf } from './lifecycle-machine.js';
import type { QueryLogger } from './log.js';
import type { ExecutionConfig } from './micro-batch-execution.js';
import { MicroBatchExecution } from './micro-batch-execution.js';
import type { ProgressBar } from './progress-bar.js';
import type { StreamingQueryProgress, StreamingQueryStatus } from './progress.js';
import { isoTime } from './progress.js';
import { explainQuery } from '../cluster/explain.js';
import { planString } from '../plan/explain.js';
import type { ShutdownSignals } from './shutdown-signals.js';

/** What a query tells the manager (spark.streams) about itself. */
export interface QueryEvents {
  started(q: StreamingQuery, timestamp: string): void;
  progress(q: StreamingQuery, p: StreamingQueryProgress): void;
  idle(q: StreamingQuery, timestamp: string): void;
  terminated(q: StreamingQuery, error: StreamingQueryError | null): void;
  restarted(q: StreamingQuery, restart: QueryRestart): void;
}

/** An in-process restart the query's restart policy decided on. */
export interface QueryRestart {
  /** Failures in a row, this one included (1 for the first restart since the last commit). */
  readonly attempt: number;
  /** The failure's message. */
  readonly cause: string;
  /** The failure itself (an Error, or whatever was thrown). */
  readonly error: unknown;
  /** How long the query waits before it recovers from its checkpoint. */
  readonly delayMs: number;
  /** When the restart was decided, ISO-8601 UTC. */
  readonly timestamp: string;
}

export interface QueryOptions {
  /** spate.sql.streaming.numRecentProgressUpdates. */
  readonly recentProgressLimit: number;
  /** spate.sql.streaming.noDataProgressEventInterval. */
  readonly noDataProgressIntervalMs: number;
  /** spate.sql.streaming.stopTimeout; 0 waits as long as it takes. */
  readonly stopTimeoutMs: number;
  /** Set with spate.streaming.stopGracefullyOnShutdown: the handlers that stop the query on SIGTERM / SIGINT. */
  readonly shutdownSignals: ShutdownSignals | null;
  /** Trigger.AvailableNow run from a terminal: the bar showing its work. */
  readonly progressBar: ProgressBar | null;
  /** What a failure and restart can do to the output, computed at start(). */
  readonly guarantee: EndToEndGuarantee;
  readonly logger: QueryLogger;
}

type Waiter = { readonly afterPlan: number; resolve(): void; reject(e: unknown): void };

/**
 * A running query (Spark's `StreamingQuery`), returned at once by {@link DataStreamWriter.start}:
 * its ids and name, what it is doing ({@link StreamingQuery.status}), its progress
 * ({@link StreamingQuery.lastProgress}, {@link StreamingQuery.recentProgress}), its failure
 * ({@link StreamingQuery.exception}), and control: {@link StreamingQuery.processAllAvailable},
 * {@link StreamingQuery.awaitTermination}, {@link StreamingQuery.stop}. A failure never escapes as
 * an unhandled rejection: it becomes `exception()` and rejects the waits.
 *
 * @example
 * ```ts
 * const query = counts.writeStream.format('console').outputMode('complete').start();
 * console.log(query.id, query.status.message);
 * await query.processAllAvailable();          // everything added so far is processed and committed
 * console.log(query.lastProgress?.numInputRows);
 * await query.stop();                         // the batch in flight commits first
 * ```
 */
export class StreamingQuery {
  private readonly execution: MicroBatchExecution;
  private readonly actor: Actor<LifecycleMachine>;
  private readonly progressLog: StreamingQueryProgress[] = [];
  private failure: StreamingQueryError | null = null;
  /** Consecutive failures that named one record (reset by a committed batch). */
  private recordFailures: RecordFailures | null = null;
  private terminated = false;
  private readonly termination: Promise<void>;
  private resolveTermination!: () => void;
  private plansStarted = 0;
  private waiters: Waiter[] = [];
  /** processAllAvailable() callers to hand to the continuous run once it has started. */
  private continuousWaiters: Waiter[] = [];
  private startedReported = false;
  /** When the last progress was reported (Spark's lastNoExecutionProgressEventTime). */
  private lastProgressMs: number;
  private warnedFallingBehind = false;

  /** Queries are made by {@link DataStreamWriter.start}, not with `new`. */
  constructor(
    private readonly cfg: ExecutionConfig & { readonly wakeRef: { wake: () => void } },
    private readonly events: QueryEvents,
    private readonly clock: QueryClock,
    private readonly options: QueryOptions,
  ) {
    this.termination = new Promise<void>((resolve) => { this.resolveTermination = resolve; });
    // Idle progress comes after a whole interval without progress, counted from the start.
    this.lastProgressMs = clock.now();
    this.execution = new MicroBatchExecution(cfg);
    cfg.wakeRef.wake = () => this.actor.send({ type: 'WAKE' });
    const exec = this.execution;
    const machine = createLifecycleMachine(() => clock.now()).provide({
      actors: {
        start: fromPromise(() => exec.start()),
        recover: fromPromise(() => exec.recover()),
        plan: fromPromise(async () => {
          this.plansStarted++;
          return exec.plan();
        }),
        execute: fromPromise(() => exec.execute()),
        commit: fromPromise(() => exec.commit()),
        runContinuous: fromPromise(({ signal }) => {
          const run = exec.runContinuous(signal, (p) => this.onProgress(p));
          // Callers of processAllAvailable() who waited for planning now wait for the run.
          for (const w of this.continuousWaiters.splice(0)) this.flushContinuous().then(w.resolve, w.reject);
          return run;
        }),
        stop: fromPromise(() => exec.stop()),
        decideRestart: fromPromise(async ({ input }: { input: { attempt: number; error: unknown } }) => {
          // A checkpoint that is corrupt, incompatible or taken by another run stays so: restarting cannot help.
          if (input.error instanceof CheckpointError && !input.error.retriable) return { restart: false, delayMs: 0 };
          const s = exec.activeSupervisor;
          if (!s) return { restart: false, delayMs: 0 };
          // A record that made the run fail fails every replay: give up after recordRetries.
          const records = decideRecordRestart(s.policy, this.recordFailures, recordPositionOf(input.error));
          this.recordFailures = records.failures;
          return records.giveUp ? { restart: false, delayMs: 0 } : s.decide(input.attempt);
        }),
      },
      actions: {
        reportStarted: () => this.onStarted(),
        reportProgress: (_, progress) => this.onProgress(progress),
        reportPlanned: (_, outcome) => this.onPlanned(outcome),
        reportFallingBehind: (_, elapsedMs) => this.onFallingBehind(elapsedMs),
        reportTerminated: (_, error) => this.onTerminated(error),
        reportRestarting: (_, restart) => this.onRestarting(restart),
        finishContinuous: () => exec.finishContinuous(),
      },
    });
    this.actor = createActor(machine, {
      input: { trigger: cfg.trigger, pollingDelayMs: cfg.conf.pollingDelayMs },
      clock: machineClock(clock),
    });
  }

  /** Starts the machine; called once by DataStreamWriter.start(). @internal */
  run(): this {
    this.options.shutdownSignals?.register(this);
    this.actor.start();
    return this;
  }

  /** The query's id (Spark's `id`): stable across restarts from the same checkpoint; known once the query has started. */
  get id(): string {
    return this.execution.id;
  }

  /** The id of this run (Spark's `runId`): new for every start(), kept by in-process restarts. */
  get runId(): string {
    return this.execution.runId;
  }

  /** The name given with {@link DataStreamWriter.queryName} (or option `queryName`), or null. */
  get name(): string | null {
    return this.cfg.queryName;
  }

  /** Whether the query is running: true from start() until it has stopped or failed (Spark's `isActive`). */
  get isActive(): boolean {
    return !this.terminated;
  }

  /**
   * The end-to-end guarantee of this query's output ("exactly-once", "at-least-once" or "none")
   * and why, from its sources' replayability, its checkpoint and its sink; logged at start.
   */
  get guarantee(): EndToEndGuarantee {
    return this.options.guarantee;
  }

  /** In-process restarts by the restart policy since start() (progress numRestarts). */
  get numRestarts(): number {
    return this.execution.restarts;
  }

  /**
   * The query's plan as text: 'physical' (the default), as this run places it under the
   * session's master (the exchanges, what runs on the driver thread and why); 'logical': JSON.
   */
  explain(mode: 'physical' | 'logical' = 'physical'): string {
    if (mode === 'logical') return planString(this.cfg.plan);
    return explainQuery(this.cfg.plan, this.cfg.conf, this.cfg.outputMode, this.execution.queryPlacement ?? undefined, this.execution.sinkPlacement ?? undefined);
  }

  /** What the query is doing now, from its lifecycle machine's state. */
  get status(): StreamingQueryStatus {
    const exec = this.execution;
    const status = statusOf(this.actor.getSnapshot(), {
      writingOffsets: exec.writingOffsets,
      sourceNames: exec.sourceNames,
      isDataAvailable: exec.isDataAvailable,
    }, (e) => redactText(errorMessage(e)));
    const parallelism = exec.parallelism;
    return parallelism ? { ...status, parallelism } : status;
  }

  /** The newest progress, or null before the first. */
  get lastProgress(): StreamingQueryProgress | null {
    return this.progressLog[this.progressLog.length - 1] ?? null;
  }

  /** Up to spate.sql.streaming.numRecentProgressUpdates progress reports, oldest first. */
  get recentProgress(): StreamingQueryProgress[] {
    return [...this.progressLog];
  }

  /**
   * The failure that terminated the query, or null while it runs or when it was stopped (Spark's
   * `exception`). Its `cause` is the original error; `queryId` and `runId` say which run failed.
   */
  exception(): StreamingQueryError | null {
    return this.failure;
  }

  /**
   * Waits until the query terminates: resolves if it stopped, rejects with its exception if it
   * failed. With a timeout (on the query's clock), resolves to whether it terminated in time.
   */
  awaitTermination(): Promise<void>;
  awaitTermination(timeoutMs: number): Promise<boolean>;
  async awaitTermination(timeoutMs?: number): Promise<void | boolean> {
    if (timeoutMs === undefined) {
      await this.termination;
      if (this.failure) throw this.failure;
      return;
    }
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new AnalysisError(`awaitTermination(): the timeout must be a number of milliseconds >= 0, got ${describeValue(timeoutMs)}`);
    }
    const done = this.terminated || await raceClock(this.clock, this.termination, timeoutMs);
    if (done && this.failure) throw this.failure;
    return done;
  }

  /**
   * Resolves once every row available when it was called has been processed and committed and
   * no batch is pending (including the no-data batch a moved watermark asks for). Under
   * Trigger.Continuous: once every source has sent what was available and an epoch holding it
   * has been committed. For tests.
   */
  processAllAvailable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.terminated) return Promise.resolve();
    if (this.actor.getSnapshot().matches({ running: 'continuous' })) return this.flushContinuous();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ afterPlan: this.plansStarted, resolve, reject });
      this.actor.send({ type: 'WAKE' });
    });
  }

  /**
   * Stops the query: the batch in flight finishes and commits (under Trigger.Continuous: the
   * epoch in flight is cut and committed), then sources and sinks close. Bounded by
   * spate.sql.streaming.stopTimeout (on the query's clock; 0 = as long as it takes): past it,
   * the query stops at once and stop() throws a TimeoutError.
   */
  async stop(): Promise<void> {
    if (this.terminated) return;
    this.actor.send({ type: 'STOP' });
    const limit = this.options.stopTimeoutMs;
    if (limit > 0 && !await raceClock(this.clock, this.termination, limit)) {
      this.actor.send({ type: 'STOP_NOW' });
      throw new TimeoutError(
        `query ${this.name ?? this.id} did not stop within spate.sql.streaming.stopTimeout (${limit} ms); ` +
        'it was stopped at once, and its uncommitted batch will be re-run on restart. Raise the timeout (0 waits as long as it takes) to let batches finish',
      );
    }
    await this.termination;
  }

  /** Stops at once, abandoning the batch in flight (re-run on the next start). */
  async stopNow(): Promise<void> {
    if (this.terminated) return;
    this.actor.send({ type: 'STOP_NOW' });
    await this.termination;
  }

  /** The execution engine, for tests of internals. @internal */
  get engine(): MicroBatchExecution {
    return this.execution;
  }

  private flushContinuous(): Promise<void> {
    return this.execution.flushContinuous().catch(() => {
      if (this.failure) throw this.failure;
      if (this.terminated) return undefined;
      // The run failed and the query restarts (or stops): wait for the next run as for a batch.
      return new Promise<void>((resolve, reject) => this.waiters.push({ afterPlan: this.plansStarted, resolve, reject }));
    });
  }

  private onStarted(): void {
    if (this.startedReported) return;
    this.startedReported = true;
    const g = this.options.guarantee;
    this.options.logger.info(
      { query: this.name ?? this.id, id: this.id, runId: this.runId, guarantee: g.level, guaranteeReason: g.reason },
      `query started: ${g.level}`,
    );
    this.events.started(this, isoTime(this.clock.now()));
  }

  private onRestarting(r: { attempt: number; error: unknown; delayMs: number }): void {
    this.execution.restarts++;
    const cause = errorMessage(r.error);
    this.options.logger.warn(
      { query: this.name ?? this.id, id: this.id, runId: this.runId, attempt: r.attempt, cause, delayMs: r.delayMs },
      `query restarting after failure (attempt ${r.attempt})`,
    );
    this.events.restarted(this, { attempt: r.attempt, cause, error: r.error, delayMs: r.delayMs, timestamp: isoTime(this.clock.now()) });
  }

  private onProgress(p: StreamingQueryProgress): void {
    this.recordFailures = null;
    this.lastProgressMs = this.clock.now();
    this.record(p);
    this.events.progress(this, p);
    const work = this.execution.availableNowProgress();
    if (work) this.options.progressBar?.update(work);
  }

  private record(p: StreamingQueryProgress): void {
    this.progressLog.push(p);
    while (this.progressLog.length > this.options.recentProgressLimit) this.progressLog.shift();
  }

  private onPlanned(outcome: PlanOutcome): void {
    const planNumber = this.plansStarted;
    const takeReady = (): Waiter[] => {
      const ready = this.waiters.filter((w) => planNumber > w.afterPlan);
      this.waiters = this.waiters.filter((w) => planNumber <= w.afterPlan);
      return ready;
    };
    if (outcome === 'batch' || outcome === 'noDataBatch') {
      this.options.progressBar?.clear();
      // A batch that runs only because an operator runs one every trigger: all available data is in.
      if (outcome === 'noDataBatch' && this.execution.planCaughtUp) for (const w of takeReady()) w.resolve();
      return;
    }
    const ready = takeReady();
    if (outcome === 'continuous') {
      // Waiting for all available data now means waiting for the continuous run to commit it.
      this.continuousWaiters.push(...ready, ...this.waiters.splice(0));
      return;
    }
    for (const w of ready) w.resolve();
    if (outcome !== 'idle') return;
    // Spark's updateIdleness: an idle trigger adds a progress, and tells listeners the query is
    // idle, once a whole noDataProgressEventInterval passed without any progress.
    const now = this.clock.now();
    if (now - this.lastProgressMs >= this.options.noDataProgressIntervalMs) {
      this.lastProgressMs = now;
      const idle = this.execution.idleProgress();
      this.record(idle);
      this.events.idle(this, idle.timestamp);
    }
  }

  private onFallingBehind(elapsedMs: number): void {
    if (elapsedMs <= 0 || this.warnedFallingBehind) return;
    this.warnedFallingBehind = true;
    const t = this.cfg.trigger;
    const interval = t.kind === 'processingTime' ? t.intervalMs : 0;
    process.emitWarning(
      `query ${this.name ?? this.id} is falling behind: the trigger interval is ${interval} ms but a trigger took ${elapsedMs} ms; ` +
      'the next batch starts at once (missed slots are not caught up). Raise the interval or give the query more resources',
    );
  }

  private onTerminated(error: unknown): void {
    if (this.terminated) return;
    this.onStarted();
    this.terminated = true;
    this.options.shutdownSignals?.unregister(this);
    if (error !== null && error !== undefined) {
      scrubError(error);
      this.failure = error instanceof StreamingQueryError ? error : new StreamingQueryError(
        `Query ${this.name ?? ''}${this.name ? ' ' : ''}[id = ${this.id}, runId = ${this.runId}] terminated with exception: ${redactText(errorMessage(error))}`,
        this.id, this.runId, error,
      );
    }
    this.options.progressBar?.finish(this.execution.availableNowProgress());
    for (const w of [...this.waiters.splice(0), ...this.continuousWaiters.splice(0)]) {
      if (this.failure) w.reject(this.failure);
      else w.resolve();
    }
    this.events.terminated(this, this.failure);
    this.resolveTermination();
  }
}

/**
 * The machine's timers: delays on the query's clock, but a zero delay (the next batch at once,
 * a restart without pause) as a real zero-delay timer: a turn of the event loop in which I/O,
 * other timers, background checkpoint maintenance and signal handlers get their share between
 * batches, and which a simulated clock (whose timers fire only when it is advanced) never holds up.
 */
function machineClock(clock: QueryClock): { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(id: unknown): void } {
  type Handle = { readonly now: NodeJS.Timeout } | { readonly later: unknown };
  return {
    setTimeout: (fn, ms): Handle => (ms <= 0 ? { now: setTimeout(fn, 0) } : { later: clock.setTimeout(fn, ms) }),
    clearTimeout: (id): void => {
      const h = id as Handle;
      if ('now' in h) clearTimeout(h.now);
      else clock.clearTimeout(h.later);
    },
  };
}

/** Whether `done` settles within `ms` on `clock` (the timer is cleared either way). */
async function raceClock(clock: QueryClock, done: Promise<void>, ms: number): Promise<boolean> {
  let timer: unknown = null;
  const expired = new Promise<boolean>((resolve) => { timer = clock.setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([done.then(() => true), expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}

export function assertOutputModeName(mode: string): 'append' | 'update' | 'complete' {
  const m = mode.toLowerCase();
  if (m === 'append' || m === 'update' || m === 'complete') return m;
  throw new AnalysisError(`Unknown output mode ${mode}. Accepted output modes are 'append', 'complete', 'update'`);
}
