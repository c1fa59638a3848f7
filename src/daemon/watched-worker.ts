// A cluster worker (startWorker, through DaemonContext.startWorker) as `spate run` watches it: its
// last status snapshot, read again at every health check, told to the health monitor as a query
// is (health.ts): healthy when the query commits an epoch or has nothing to do (no epoch in
// flight and no source lag); stalled when neither happens for the stall threshold, whatever
// the cause (the coordinator cannot plan or commit, a task keeps failing, Redis is away).
import type { ClusterWorker } from '../cluster/group/worker.js';
import type { ClusterWorkerStatus } from '../cluster/group/worker-status.js';
import { errorMessage } from '../errors.js';
import type { QueryHealth, WatchedQuery } from './health.js';

/** Failed steps in a row that take a worker out of readiness (each is retried after a short poll). */
export const FAILING_STEPS_UNREADY = 3;

/** What the daemon uses of a ClusterWorker. */
export type WorkerHandle = Pick<ClusterWorker, 'query' | 'workerId' | 'done' | 'stop' | 'status'>;

export class WatchedWorker {
  /** Its last status (null until the first was read). */
  status: ClusterWorkerStatus | null = null;
  /** Why the last status read failed (null: it did not). */
  statusError: string | null = null;
  /** Whether it stopped (its done settled, and the daemon's stop() with it). */
  settled = false;
  private reading: Promise<boolean> | null = null;
  private stopping: Promise<void> | null = null;
  private committedSeen: number | null = null;
  /** Rows its stage-one tasks had read at the last progress log line. */
  rowsAtLastLog = 0;

  constructor(readonly worker: WorkerHandle) {}

  /** Its key in the daemon's health and /readyz: `<query>/<worker id>`. */
  get key(): string {
    return `${this.worker.query}/${this.worker.workerId}`;
  }

  /** Reads its status again (one read at a time); true when the query committed an epoch since the last read. */
  refresh(): Promise<boolean> {
    this.reading ??= (async () => {
      try {
        const s = await this.worker.status();
        this.status = s;
        this.statusError = null;
        const moved = this.committedSeen !== null && s.committedEpoch > this.committedSeen;
        this.committedSeen = s.committedEpoch;
        return moved;
      } catch (e) {
        this.statusError = errorMessage(e);
        return false;
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  /** Records the query's lag summed over every source partition, as this worker last read it. */
  get lagRecords(): number {
    return this.status?.sourcePartitions.reduce((n, p) => n + p.lagRecords, 0) ?? 0;
  }

  /** What the health monitor reads: idle ("Waiting") when no epoch is in flight and no partition lags. */
  watched(): WatchedQuery {
    const s = this.status;
    const message = this.statusError !== null ? `Cannot read the worker's status: ${this.statusError}`
      : s === null ? 'Initializing sources'
      : s.plannedEpoch <= s.committedEpoch && this.lagRecords === 0 ? 'Waiting for data to arrive'
      : s.plannedEpoch > s.committedEpoch ? `Processing epoch ${s.plannedEpoch}` : `Waiting for epoch ${s.committedEpoch + 1} to be planned`;
    return { key: this.key, isActive: !this.settled, status: { message, isTriggerActive: !message.startsWith('Waiting for data') }, triggerIntervalMs: 0 };
  }

  /** Ready: it has an assignment from its group, its steps succeed, and its query is not stalled. */
  ready(health: QueryHealth | undefined): boolean {
    const s = this.status;
    return !this.settled && s !== null && s.generation >= 1 && s.failingSteps < FAILING_STEPS_UNREADY && health?.stalledSinceMs == null;
  }

  /** Stops it once (finishes its tasks of the epoch in flight, commits, leaves the group). */
  stop(): Promise<void> {
    this.stopping ??= this.worker.stop();
    return this.stopping;
  }

  /** Settles when it stopped, by the daemon's stop() or its own. */
  async ended(): Promise<void> {
    await this.worker.done;
    await this.stopping;
  }
}
