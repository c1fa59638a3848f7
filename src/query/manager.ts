// spark.streams: the active queries of a session, their listeners, and awaitAnyTermination,
// as Spark's StreamingQueryManager (SEMANTICS §9).
import { AnalysisError, errorMessage } from '../errors.js';
import type { StreamingQueryError } from '../errors.js';
import type { QueryClock } from './clock.js';
import { systemClock } from './clock.js';
import type { StreamingQueryProgress } from './progress.js';
import type { QueryEvents, QueryRestart, StreamingQuery } from './streaming-query.js';

/** A query started (Spark's `QueryStartedEvent`); sent during `start()`, before its first batch. */
export interface QueryStartedEvent {
  /** The query's id, stable across restarts from the same checkpoint. */
  readonly id: string;
  /** The id of this run, new for every start(). */
  readonly runId: string;
  /** The query's name, or null. */
  readonly name: string | null;
  /** When it started, ISO-8601 UTC. */
  readonly timestamp: string;
}
/** The query failed and its restart policy restarts it (not in Spark: its queries do not restart in-process). */
export interface QueryRestartedEvent extends QueryRestart {
  /** The query's id. */
  readonly id: string;
  /** The id of the run, which the in-process restart keeps. */
  readonly runId: string;
  /** The query's name, or null. */
  readonly name: string | null;
}
/** The progress is the very object lastProgress and recentProgress hold. */
export interface QueryProgressEvent {
  /** The trigger's progress report. */
  readonly progress: StreamingQueryProgress;
}
/**
 * The query has had no data for `spate.sql.streaming.noDataProgressEventInterval` (Spark's
 * `QueryIdleEvent`, Spark 3.5+); sent with the idle trigger's progress, at most once per interval.
 */
export interface QueryIdleEvent {
  /** The query's id. */
  readonly id: string;
  /** The id of this run. */
  readonly runId: string;
  /** The idle trigger's start, ISO-8601 UTC. */
  readonly timestamp: string;
}
/** The query stopped or failed (Spark's `QueryTerminatedEvent`); the last event of a run. */
export interface QueryTerminatedEvent {
  /** The query's id. */
  readonly id: string;
  /** The id of the run that ended. */
  readonly runId: string;
  /** The failure's message when the query failed, else null. */
  readonly exception: string | null;
  /** The failure, as {@link StreamingQuery.exception} gives it, or null when the query was stopped. */
  readonly error: StreamingQueryError | null;
}

/**
 * Spark's StreamingQueryListener; every method is optional. For each query a listener hears
 * started, then progress (and idle) events, then terminated, in that order; calls are made
 * synchronously by the query, so a listener should return quickly.
 */
export interface StreamingQueryListener {
  /** Called during `start()`, before the query's first batch. */
  onQueryStarted?(event: QueryStartedEvent): void;
  /** Called after each committed batch (or continuous epoch); an idle trigger calls onQueryIdle instead. */
  onQueryProgress?(event: QueryProgressEvent): void;
  /** Called when the query has been idle for `spate.sql.streaming.noDataProgressEventInterval`. */
  onQueryIdle?(event: QueryIdleEvent): void;
  /** Called when the restart policy restarts the failed query in-process (not in Spark). */
  onQueryRestarted?(event: QueryRestartedEvent): void;
  /** Called once the query has stopped or failed. */
  onQueryTerminated?(event: QueryTerminatedEvent): void;
}

/**
 * The queries of a session (Spark's `StreamingQueryManager`), as `spark.streams`: the active ones,
 * listeners, and waiting for any of them to end.
 *
 * @example
 * ```ts
 * spark.streams.addListener({
 *   onQueryProgress: ({ progress }) => console.log(progress.name, progress.batchId, progress.numInputRows),
 *   onQueryTerminated: ({ id, exception }) => { if (exception) console.error(id, exception); },
 * });
 * await spark.streams.awaitAnyTermination();
 * ```
 */
export class StreamingQueryManager implements QueryEvents {
  private readonly activeQueries = new Set<StreamingQuery>();
  private readonly listeners: StreamingQueryListener[] = [];
  /**
   * Spark's lastTerminatedQueryException: null until a query terminates after the last
   * resetTerminated(); then the failure of the latest query that failed, else "none".
   */
  private lastTermination: { readonly error: StreamingQueryError | null } | null = null;
  private terminationWaiters: Array<() => void> = [];

  /** Made by the session (`spark.streams`), not with `new`. @param clock The clock timeouts run on. */
  constructor(private readonly clock: QueryClock = systemClock) {}

  /** The queries started in this session that have not terminated. */
  get active(): StreamingQuery[] {
    return [...this.activeQueries];
  }

  /** The active query with this id (stable across restarts), or null. */
  get(id: string): StreamingQuery | null {
    return this.active.find((q) => q.id === id) ?? null;
  }

  /** Adds a listener to every query of the session, from its next event on (Spark's `addListener`). */
  addListener(listener: StreamingQueryListener): void {
    this.listeners.push(listener);
  }

  /** Removes a listener added with {@link StreamingQueryManager.addListener}; an unknown one is ignored. */
  removeListener(listener: StreamingQueryListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  /** The listeners added, in order (Spark's `listListeners`). */
  listListeners(): StreamingQueryListener[] {
    return [...this.listeners];
  }

  /**
   * Waits until a query terminates. Returns at once if one terminated since the last
   * resetTerminated() (or since the session began); throws if any of those failed (the latest
   * failure). With a timeout (on the session's clock), resolves to whether one terminated.
   */
  awaitAnyTermination(): Promise<void>;
  awaitAnyTermination(timeoutMs: number): Promise<boolean>;
  async awaitAnyTermination(timeoutMs?: number): Promise<void | boolean> {
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new RangeError(`awaitAnyTermination timeout must be >= 0 ms, got ${timeoutMs}`);
    if (this.lastTermination === null) {
      const terminated = new Promise<void>((resolve) => this.terminationWaiters.push(resolve));
      if (timeoutMs === undefined) {
        await terminated;
      } else {
        let timer: unknown = null;
        const expired = new Promise<void>((resolve) => { timer = this.clock.setTimeout(resolve, timeoutMs); });
        await Promise.race([terminated, expired]);
        this.clock.clearTimeout(timer);
      }
    }
    const last = this.lastTermination as { readonly error: StreamingQueryError | null } | null;
    if (last?.error) throw last.error;
    return timeoutMs === undefined ? undefined : last !== null;
  }

  /** Forgets terminated queries, so awaitAnyTermination waits for a new termination. */
  resetTerminated(): void {
    this.lastTermination = null;
  }

  /** Registers a query about to start; refuses a name already used by an active query. */
  register(q: StreamingQuery): void {
    if (q.name !== null && this.active.some((a) => a.name === q.name)) {
      throw new AnalysisError(`Cannot start query with name ${q.name} as a query with that name is already active in this session; stop it first or choose another queryName`);
    }
    this.activeQueries.add(q);
  }

  /** Tells the listeners that `q` started; called by the query. */
  started(q: StreamingQuery, timestamp: string): void {
    const event = { id: q.id, runId: q.runId, name: q.name, timestamp };
    this.notify((l) => l.onQueryStarted?.(event));
  }

  /** Tells the listeners that `q` made progress; called by the query. */
  progress(_q: StreamingQuery, progress: StreamingQueryProgress): void {
    this.notify((l) => l.onQueryProgress?.({ progress }));
  }

  /** Tells the listeners that `q` is restarting after a failure; called by the query. */
  restarted(q: StreamingQuery, restart: QueryRestart): void {
    const event = { id: q.id, runId: q.runId, name: q.name, ...restart };
    this.notify((l) => l.onQueryRestarted?.(event));
  }

  /** Tells the listeners that `q` is idle; called by the query. */
  idle(q: StreamingQuery, timestamp: string): void {
    const event = { id: q.id, runId: q.runId, timestamp };
    this.notify((l) => l.onQueryIdle?.(event));
  }

  /**
   * Records that `q` ended (with `error` if it failed) for awaitAnyTermination, and tells the
   * listeners; called by the query.
   */
  terminated(q: StreamingQuery, error: StreamingQueryError | null): void {
    this.activeQueries.delete(q);
    // A failure is never hidden by a later clean stop (Spark's notifyQueryTermination).
    if (this.lastTermination === null || error) this.lastTermination = { error };
    const event = { id: q.id, runId: q.runId, exception: error ? errorMessage(error) : null, error };
    this.notify((l) => l.onQueryTerminated?.(event));
    for (const w of this.terminationWaiters.splice(0)) w();
  }

  /** A listener that throws is reported and skipped; it never disturbs a query. */
  private notify(call: (l: StreamingQueryListener) => void): void {
    for (const l of [...this.listeners]) {
      try {
        call(l);
      } catch (e) {
        process.emitWarning(`a StreamingQueryListener threw: ${errorMessage(e)}`);
      }
    }
  }
}
