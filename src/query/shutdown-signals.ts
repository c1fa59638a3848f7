// spate.streaming.stopGracefullyOnShutdown: while at least one query with that setting runs,
// SIGTERM and SIGINT stop every such query of the process gracefully (the batch in flight
// finishes and commits); a second signal stops them at once (their uncommitted epoch is re-run
// on the next start). The handlers exist only while such queries run, so the process's own
// signal behaviour is untouched otherwise, and the process exits on its own once the queries
// have stopped and nothing else keeps it alive.

/** What the handlers need of a query. */
export interface GracefullyStoppable {
  stop(): Promise<void>;
  stopNow(): Promise<void>;
}

export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

/** The part of `process` the handlers use (tests pass a fake). */
export interface SignalTarget {
  on(signal: ShutdownSignal, handler: (signal: ShutdownSignal) => void): unknown;
  off(signal: ShutdownSignal, handler: (signal: ShutdownSignal) => void): unknown;
}

const SIGNALS: readonly ShutdownSignal[] = ['SIGTERM', 'SIGINT'];

export class ShutdownSignals {
  private readonly queries = new Set<GracefullyStoppable>();
  private signals = 0;
  private installed = false;

  constructor(
    private readonly target: SignalTarget = process,
    private readonly warn: (message: string) => void = (m) => process.emitWarning(m),
  ) {}

  /** A query with stopGracefullyOnShutdown started. */
  register(q: GracefullyStoppable): void {
    this.queries.add(q);
    if (!this.installed) {
      for (const s of SIGNALS) this.target.on(s, this.onSignal);
      this.installed = true;
    }
  }

  /** The query terminated; the last one out removes the handlers. */
  unregister(q: GracefullyStoppable): void {
    this.queries.delete(q);
    if (this.queries.size === 0 && this.installed) {
      for (const s of SIGNALS) this.target.off(s, this.onSignal);
      this.installed = false;
      this.signals = 0;
    }
  }

  /** Whether handlers are installed now. */
  get active(): boolean {
    return this.installed;
  }

  private readonly onSignal = (signal: ShutdownSignal): void => {
    this.signals++;
    const queries = [...this.queries];
    if (this.signals === 1) {
      this.warn(`${signal} received: stopping ${queries.length} streaming quer${queries.length === 1 ? 'y' : 'ies'} gracefully (the batch in flight commits first); send it again to stop at once`);
      for (const q of queries) q.stop().catch((e: unknown) => this.warn(`graceful stop on ${signal} failed: ${(e as Error).message}`));
    } else {
      this.warn(`${signal} received again: stopping ${queries.length} streaming quer${queries.length === 1 ? 'y' : 'ies'} at once; uncommitted batches are re-run on the next start`);
      for (const q of queries) q.stopNow().catch(() => undefined);
    }
  };
}

/** The process's handlers. */
export const shutdownSignals = new ShutdownSignals();
