// spark.streams: the active queries of a session, their listeners, and awaitAnyTermination,
// as Spark's StreamingQueryManager (SEMANTICS §9).
import { AnalysisError, errorMessage } from '../errors.js';
import type { StreamingQueryError } from '../errors.js';
import type { QueryClock } from './clock.js';
import { systemClock } from './clock.js';
import type { StreamingQueryProgress } from './progress.js';
import type { QueryEvents, QueryRestart, StreamingQuery } from './streaming-query.js';

export interface QueryStartedEvent { readonly id: string; readonly runId: string; readonly name: string | null; readonly timestamp: string }
/** The query failed and its restart policy restarts it (not in Spark: its queries do not restart in-process). */
export interface QueryRestartedEvent extends QueryRestart { readonly id: string; readonly runId: string; readonly name: string | null }
/** The progress is the very object lastProgress and recentProgress hold. */
export interface QueryProgressEvent { readonly progress: StreamingQueryProgress }
export interface QueryIdleEvent { readonly id: string; readonly runId: string; readonly timestamp: string }
export interface QueryTerminatedEvent {
  readonly id: string; readonly runId: string;
  /** The failure's message when the query failed, else null. */
  readonly exception: string | null;
  readonly error: StreamingQueryError | null;
}

/**
 * Spark's StreamingQueryListener; every method is optional. For each query a listener hears
 * started, then progress (and idle) events, then terminated, in that order; calls are made
 * synchronously by the query, so a listener should return quickly.
 */
export interface StreamingQueryListener {
  onQueryStarted?(event: QueryStartedEvent): void;
  onQueryProgress?(event: QueryProgressEvent): void;
  onQueryIdle?(event: QueryIdleEvent): void;
  onQueryRestarted?(event: QueryRestartedEvent): void;
  onQueryTerminated?(event: QueryTerminatedEvent): void;
}

export class StreamingQueryManager implements QueryEvents {
  private readonly activeQueries = new Set<StreamingQuery>();
  private readonly listeners: StreamingQueryListener[] = [];
  /**
   * Spark's lastTerminatedQueryException: null until a query terminates after the last
   * resetTerminated(); then the failure of the latest query that failed, else "none".
   */
  private lastTermination: { readonly error: StreamingQueryError | null } | null = null;
  private terminationWaiters: Array<() => void> = [];

  constructor(private readonly clock: QueryClock = systemClock) {}

  /** The queries started in this session that have not terminated. */
  get active(): StreamingQuery[] {
    return [...this.activeQueries];
  }

  /** The active query with this id (stable across restarts), or null. */
  get(id: string): StreamingQuery | null {
    return this.active.find((q) => q.id === id) ?? null;
  }

  addListener(listener: StreamingQueryListener): void {
    this.listeners.push(listener);
  }

  removeListener(listener: StreamingQueryListener): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }

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

  started(q: StreamingQuery, timestamp: string): void {
    const event = { id: q.id, runId: q.runId, name: q.name, timestamp };
    this.notify((l) => l.onQueryStarted?.(event));
  }

  progress(_q: StreamingQuery, progress: StreamingQueryProgress): void {
    this.notify((l) => l.onQueryProgress?.({ progress }));
  }

  restarted(q: StreamingQuery, restart: QueryRestart): void {
    const event = { id: q.id, runId: q.runId, name: q.name, ...restart };
    this.notify((l) => l.onQueryRestarted?.(event));
  }

  idle(q: StreamingQuery, timestamp: string): void {
    const event = { id: q.id, runId: q.runId, timestamp };
    this.notify((l) => l.onQueryIdle?.(event));
  }

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
