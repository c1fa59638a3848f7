// Liveness of each query for /readyz and the stall exit. A query is healthy at a moment when it
// commits a batch (a progress report) or sits between triggers with nothing left to do (its
// status says it is waiting). It is stalled once it has been neither for longer than its stall
// threshold: max(--stall-timeout, --stall-triggers x its trigger interval). That covers a source
// whose broker is gone (planning hangs or fails), a restart loop, and batches that never commit.
// A stall that lasts --stall-grace ends the process with exit code 3, so that its supervisor
// (Kubernetes) starts it afresh.

/** When a query counts as stalled (the --stall-* flags of `spate run`). */
export interface HealthSettings {
  /** A query with no commit and no idle trigger for this long is stalled (--stall-timeout), in ms: 5 min by default. */
  readonly stallTimeoutMs: number;
  /** ... or for this many trigger intervals, if longer (--stall-triggers): 3 by default. */
  readonly stallTriggers: number;
  /** How long a stall lasts before the process exits with code 3 (--stall-grace), in ms: 1 min by default. */
  readonly stallGraceMs: number;
}

/** What the monitor reads of a query. */
export interface WatchedQuery {
  /** The query's key in the daemon: its name, else its id. */
  readonly key: string;
  /** Whether the query runs; only running queries are checked. */
  readonly isActive: boolean;
  /** The status message and whether a trigger is running (StreamingQuery.status). */
  readonly status: { readonly message: string; readonly isTriggerActive: boolean };
  /** The trigger's interval in ms (0 for the default trigger). */
  readonly triggerIntervalMs: number;
}

/** One query's health, as `/readyz` reports it (not ready while a query is unhealthy). */
export interface QueryHealth {
  /** The query's key in the daemon: its name, else its id. */
  readonly key: string;
  /** Whether it has been healthy once and is not stalled now. */
  readonly healthy: boolean;
  /** When it was last healthy (ms), or null if never. */
  readonly lastHealthyMs: number | null;
  /** When it became stalled (ms), or null. */
  readonly stalledSinceMs: number | null;
  /** How long without a commit or an idle trigger counts as stalled for this query, in ms. */
  readonly thresholdMs: number;
}

interface Track {
  lastHealthyMs: number | null;
  readonly sinceMs: number;
  stalledSinceMs: number | null;
}

/**
 * Tells stalled queries from healthy ones: a query is healthy when it commits a batch or epoch, or
 * waits for data or the next trigger; stalled when neither happened for its threshold.
 */
export class HealthMonitor {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly settings: HealthSettings) {}

  /** The query committed a batch or epoch. */
  committed(key: string, nowMs: number): void {
    this.track(key, nowMs).lastHealthyMs = nowMs;
  }

  /** Looks at every query now; returns each one's health. */
  check(queries: readonly WatchedQuery[], nowMs: number): QueryHealth[] {
    return queries.filter((q) => q.isActive).map((q) => {
      const t = this.track(q.key, nowMs);
      if (!q.status.isTriggerActive && q.status.message.startsWith('Waiting')) t.lastHealthyMs = nowMs;
      const thresholdMs = Math.max(this.settings.stallTimeoutMs, this.settings.stallTriggers * q.triggerIntervalMs);
      const stalled = nowMs - (t.lastHealthyMs ?? t.sinceMs) > thresholdMs;
      t.stalledSinceMs = stalled ? (t.stalledSinceMs ?? nowMs) : null;
      return { key: q.key, healthy: t.lastHealthyMs !== null && !stalled, lastHealthyMs: t.lastHealthyMs, stalledSinceMs: t.stalledSinceMs, thresholdMs };
    });
  }

  /** Whether a stall has lasted the grace period: the process should exit with code 3. */
  graceExpired(health: readonly QueryHealth[], nowMs: number): QueryHealth | null {
    return health.find((h) => h.stalledSinceMs !== null && nowMs - h.stalledSinceMs >= this.settings.stallGraceMs) ?? null;
  }

  /** Stops tracking a query that terminated. */
  forget(key: string): void {
    this.tracks.delete(key);
  }

  private track(key: string, nowMs: number): Track {
    let t = this.tracks.get(key);
    if (!t) this.tracks.set(key, (t = { lastHealthyMs: null, sinceMs: nowMs, stalledSinceMs: null }));
    return t;
  }
}
