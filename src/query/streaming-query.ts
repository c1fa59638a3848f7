// StreamingQuery: the handle start() returns. It runs the lifecycle machine, providing the
// micro-batch engine's steps, and turns the machine's reports into progress, listener events,
// processAllAvailable and awaitTermination. Failures become exception(); none escapes as an
// unhandled rejection.
import type { Actor } from 'xstate';
import { createActor, fromPromise } from 'xstate';
import { AnalysisError, CheckpointError, StreamingQueryError, TimeoutError, errorMessage } from '../errors.js';
import type { QueryClock } from './clock.js';
import type { LifecycleMachine } from './lifecycle-machine.js';
import { createLifecycleMachine } from './lifecycle-machine.js';
import type { ExecutionConfig, PlanOutcome } from './micro-batch-execution.js';
import { MicroBatchExecution } from './micro-batch-execution.js';
import type { StreamingQueryProgress, StreamingQueryStatus } from './progress.js';

/** What a query tells the manager (spark.streams) about itself. */
export interface QueryEvents {
  started(q: StreamingQuery): void;
  progress(q: StreamingQuery, p: StreamingQueryProgress): void;
  idle(q: StreamingQuery): void;
  terminated(q: StreamingQuery, error: StreamingQueryError | null): void;
}

type Waiter = { readonly afterPlan: number; resolve(): void; reject(e: unknown): void };

export class StreamingQuery {
  private readonly execution: MicroBatchExecution;
  private readonly actor: Actor<LifecycleMachine>;
  private readonly progressLog: StreamingQueryProgress[] = [];
  private failure: StreamingQueryError | null = null;
  private terminated = false;
  private readonly termination: Promise<void>;
  private resolveTermination!: () => void;
  private plansStarted = 0;
  private waiters: Waiter[] = [];
  private lastIdleEventMs = -Infinity;

  constructor(
    private readonly cfg: ExecutionConfig & { readonly wakeRef: { wake: () => void } },
    private readonly events: QueryEvents,
    private readonly clock: QueryClock,
    private readonly recentLimit: number,
    private readonly noDataProgressIntervalMs: number,
  ) {
    this.termination = new Promise<void>((resolve) => { this.resolveTermination = resolve; });
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
        stop: fromPromise(() => exec.stop()),
        decideRestart: fromPromise(async ({ input }: { input: { attempt: number } }) => {
          const s = exec.activeSupervisor;
          // A checkpoint that is corrupt, incompatible or taken by another run stays so: restarting cannot help.
          const error: unknown = this.actor.getSnapshot().context.error;
          if (error instanceof CheckpointError && !error.retriable) return { restart: false, delayMs: 0 };
          return s ? s.decide(input.attempt) : { restart: false, delayMs: 0 };
        }),
      },
      actions: {
        reportStarted: () => this.events.started(this),
        reportProgress: (_, progress) => this.onProgress(progress),
        reportPlanned: (_, outcome) => this.onPlanned(outcome),
        reportTerminated: (_, error) => this.onTerminated(error),
      },
    });
    this.actor = createActor(machine, {
      input: { trigger: cfg.trigger, pollingDelayMs: cfg.conf.pollingDelayMs },
      clock: { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (id) => clock.clearTimeout(id) },
    });
  }

  /** Starts the machine; called once by DataStreamWriter.start(). */
  run(): this {
    this.actor.start();
    return this;
  }

  /** Stable across restarts from the same checkpoint; known once the query has started. */
  get id(): string {
    return this.execution.id;
  }

  get runId(): string {
    return this.execution.runId;
  }

  get name(): string | null {
    return this.cfg.queryName;
  }

  get isActive(): boolean {
    return !this.terminated;
  }

  get status(): StreamingQueryStatus {
    const s = this.actor.getSnapshot();
    const active = s.matches({ running: 'planning' }) || s.matches({ running: 'executing' }) || s.matches({ running: 'committing' });
    let message: string;
    if (s.matches('starting') || s.matches('recovering')) message = 'Initializing sources';
    else if (s.matches({ running: 'planning' })) message = 'Getting offsets from sources';
    else if (s.matches({ running: 'executing' })) message = 'Processing new data';
    else if (s.matches({ running: 'committing' })) message = 'Writing offsets to log';
    else if (s.matches({ running: 'waitingForTrigger' })) message = s.context.lastOutcome === 'idle' ? 'Waiting for data to arrive' : 'Waiting for next trigger';
    else if (s.matches('restarting') || s.matches('waitingToRestart')) message = `Restarting after failure: ${errorMessage(s.context.error)}`;
    else if (s.matches('stopping')) message = 'Stopping';
    else message = 'Stopped';
    return { message, isDataAvailable: this.execution.isDataAvailable, isTriggerActive: active };
  }

  get lastProgress(): StreamingQueryProgress | null {
    return this.progressLog[this.progressLog.length - 1] ?? null;
  }

  get recentProgress(): StreamingQueryProgress[] {
    return [...this.progressLog];
  }

  exception(): StreamingQueryError | null {
    return this.failure;
  }

  /**
   * Waits until the query terminates: resolves if it stopped, rejects with its exception if it
   * failed. With a timeout, resolves to whether it terminated within `timeoutMs`.
   */
  awaitTermination(): Promise<void>;
  awaitTermination(timeoutMs: number): Promise<boolean>;
  async awaitTermination(timeoutMs?: number): Promise<void | boolean> {
    if (timeoutMs === undefined) {
      await this.termination;
      if (this.failure) throw this.failure;
      return;
    }
    if (!(timeoutMs >= 0)) throw new RangeError(`awaitTermination timeout must be >= 0 ms, got ${timeoutMs}`);
    const done = await Promise.race([
      this.termination.then(() => true),
      new Promise<boolean>((resolve) => { const t = setTimeout(() => resolve(false), timeoutMs); t.unref?.(); }),
    ]);
    if (done && this.failure) throw this.failure;
    return done;
  }

  /**
   * Resolves once every row available when it was called has been processed and committed and
   * no batch is pending (including the no-data batch a moved watermark asks for). For tests.
   */
  processAllAvailable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.terminated) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ afterPlan: this.plansStarted, resolve, reject });
      this.actor.send({ type: 'WAKE' });
    });
  }

  /**
   * Stops the query: the batch in flight finishes and commits, then sources and sinks close.
   * Bounded by spate.sql.streaming.stopTimeout (0 = wait as long as it takes).
   */
  async stop(): Promise<void> {
    if (this.terminated) return;
    this.actor.send({ type: 'STOP' });
    const limit = this.cfg.conf.stopTimeoutMs;
    if (limit > 0) {
      const done = await Promise.race([
        this.termination.then(() => true),
        new Promise<boolean>((resolve) => { const t = setTimeout(() => resolve(false), limit); t.unref?.(); }),
      ]);
      if (!done) {
        this.actor.send({ type: 'STOP_NOW' });
        throw new TimeoutError(`query ${this.name ?? this.id} did not stop within spate.sql.streaming.stopTimeout (${limit} ms); it was stopped at once, and its uncommitted batch will be re-run on restart`);
      }
    }
    await this.termination;
  }

  /** Stops at once, abandoning the batch in flight (re-run on the next start). */
  async stopNow(): Promise<void> {
    if (this.terminated) return;
    this.actor.send({ type: 'STOP_NOW' });
    await this.termination;
  }

  /** The execution engine, for the progress bar and tests of internals. */
  get engine(): MicroBatchExecution {
    return this.execution;
  }

  private onProgress(p: StreamingQueryProgress): void {
    this.progressLog.push(p);
    while (this.progressLog.length > this.recentLimit) this.progressLog.shift();
    this.events.progress(this, p);
  }

  private onPlanned(outcome: PlanOutcome): void {
    if (outcome === 'batch') return;
    const planNumber = this.plansStarted;
    const ready = this.waiters.filter((w) => planNumber > w.afterPlan);
    this.waiters = this.waiters.filter((w) => planNumber <= w.afterPlan);
    for (const w of ready) w.resolve();
    if (outcome === 'idle') {
      const now = this.clock.now();
      if (now - this.lastIdleEventMs >= this.noDataProgressIntervalMs) {
        this.lastIdleEventMs = now;
        this.events.idle(this);
      }
    }
  }

  private onTerminated(error: unknown): void {
    if (this.terminated) return;
    this.terminated = true;
    if (error !== null && error !== undefined) {
      this.failure = error instanceof StreamingQueryError ? error : new StreamingQueryError(
        `Query ${this.name ?? ''}${this.name ? ' ' : ''}[id = ${this.id}, runId = ${this.runId}] terminated with exception: ${errorMessage(error)}`,
        this.id, this.runId, error,
      );
    }
    for (const w of this.waiters.splice(0)) {
      if (this.failure) w.reject(this.failure);
      else w.resolve();
    }
    this.events.terminated(this, this.failure);
    this.resolveTermination();
  }
}

export function assertOutputModeName(mode: string): 'append' | 'update' | 'complete' {
  const m = mode.toLowerCase();
  if (m === 'append' || m === 'update' || m === 'complete') return m;
  throw new AnalysisError(`Unknown output mode ${mode}. Accepted output modes are 'append', 'complete', 'update'`);
}
