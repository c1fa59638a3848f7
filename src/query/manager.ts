// spark.streams: the queries of a session, their listeners, and awaitAnyTermination.
import { AnalysisError, errorMessage } from '../errors.js';
import type { StreamingQueryError } from '../errors.js';
import type { StreamingQueryProgress } from './progress.js';
import type { QueryEvents, StreamingQuery } from './streaming-query.js';

export interface QueryStartedEvent { readonly id: string; readonly runId: string; readonly name: string | null; readonly timestamp: string }
export interface QueryProgressEvent { readonly progress: StreamingQueryProgress }
export interface QueryIdleEvent { readonly id: string; readonly runId: string; readonly timestamp: string }
export interface QueryTerminatedEvent {
  readonly id: string; readonly runId: string;
  /** The failure's message when the query failed, else null. */
  readonly exception: string | null;
  readonly error: StreamingQueryError | null;
}

/** Spark's StreamingQueryListener; every method is optional. */
export interface StreamingQueryListener {
  onQueryStarted?(event: QueryStartedEvent): void;
  onQueryProgress?(event: QueryProgressEvent): void;
  onQueryIdle?(event: QueryIdleEvent): void;
  onQueryTerminated?(event: QueryTerminatedEvent): void;
}

export class StreamingQueryManager implements QueryEvents {
  private readonly activeQueries = new Set<StreamingQuery>();
  private readonly listeners: StreamingQueryListener[] = [];
  /** Queries that terminated since the last resetTerminated(), oldest first. */
  private terminatedSinceReset: Array<{ q: StreamingQuery; error: StreamingQueryError | null }> = [];
  private anyTerminationWaiters: Array<() => void> = [];

  get active(): StreamingQuery[] {
    return [...this.activeQueries];
  }

  get(id: string): StreamingQuery | null {
    return this.active.find((q) => q.id === id || q.runId === id) ?? null;
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
   * Waits until any query terminates (since the last resetTerminated): resolves if it stopped,
   * throws its exception if it failed. With a timeout, resolves to whether one terminated.
   */
  awaitAnyTermination(): Promise<void>;
  awaitAnyTermination(timeoutMs: number): Promise<boolean>;
  async awaitAnyTermination(timeoutMs?: number): Promise<void | boolean> {
    const settle = (): boolean => {
      const failed = this.terminatedSinceReset.find((t) => t.error);
      if (failed) throw failed.error;
      return this.terminatedSinceReset.length > 0;
    };
    if (settle()) return timeoutMs === undefined ? undefined : true;
    const wait = new Promise<void>((resolve) => this.anyTerminationWaiters.push(resolve));
    if (timeoutMs === undefined) {
      await wait;
      settle();
      return;
    }
    const done = await Promise.race([
      wait.then(() => true),
      new Promise<boolean>((resolve) => { const t = setTimeout(() => resolve(false), timeoutMs); t.unref?.(); }),
    ]);
    return done ? settle() : false;
  }

  /** Forgets terminated queries, so awaitAnyTermination waits for a new termination. */
  resetTerminated(): void {
    this.terminatedSinceReset = [];
  }

  /** Registers a query about to start; refuses a name already used by an active query. */
  register(q: StreamingQuery): void {
    if (q.name !== null && this.active.some((a) => a.name === q.name)) {
      throw new AnalysisError(`Cannot start query with name ${q.name} as a query with that name is already active in this session; stop it first or choose another queryName`);
    }
    this.activeQueries.add(q);
  }

  started(q: StreamingQuery): void {
    const event = { id: q.id, runId: q.runId, name: q.name, timestamp: new Date().toISOString() };
    this.notify((l) => l.onQueryStarted?.(event));
  }

  progress(_q: StreamingQuery, progress: StreamingQueryProgress): void {
    this.notify((l) => l.onQueryProgress?.({ progress }));
  }

  idle(q: StreamingQuery): void {
    const event = { id: q.id, runId: q.runId, timestamp: new Date().toISOString() };
    this.notify((l) => l.onQueryIdle?.(event));
  }

  terminated(q: StreamingQuery, error: StreamingQueryError | null): void {
    this.activeQueries.delete(q);
    this.terminatedSinceReset.push({ q, error });
    const event = { id: q.id, runId: q.runId, exception: error ? errorMessage(error) : null, error };
    this.notify((l) => l.onQueryTerminated?.(event));
    for (const w of this.anyTerminationWaiters.splice(0)) w();
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
