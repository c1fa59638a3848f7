// A query's checkpoint as the engine uses it: the store (backend), the logs, the state
// repository and its background maintenance, and the commit of each epoch — synchronous, or
// overlapped with the next epoch when asynchronous checkpointing is on.
//
// Asynchronous commits, and why they stay exactly-once. In synchronous mode epoch N+1 is
// planned only once state version N+1 and commits/N are durable. In asynchronous mode the
// durable write of epoch N (its state deltas and commits/N) runs while epoch N+1 is planned and
// executed; at most one commit is outstanding (commit N+1 waits for N's write first), so the
// log never holds more than two uncommitted epochs, and recovery re-runs both, each with
// exactly its recorded offsets, watermark and timestamp, from state version N (durable, since
// N-1's commit completed before N+1 started).
//
// What may a sink make visible before commits/N is durable? Epoch N+1's rows — exactly what a
// synchronous run already lets a sink do for epoch N (a sink commits at the barrier, before the
// commit marker). It is safe because (1) offsets/N+1 is written before N+1 runs, so a re-run of
// N+1 reads the same input; (2) a re-run of N then N+1 starts from the same state and watermark,
// so it produces the same rows for each epoch, and a sink that is idempotent by epoch id skips
// or overwrites them; (3) a source hears `commit(end)` — and may release its data — only after
// the epoch's commit marker is durable, so the data of both epochs is still there to re-read.
// A sink that is not idempotent by epoch id (at-least-once) may repeat up to two epochs after a
// crash instead of one.
import { CheckpointError } from '../errors.js';
import type { CheckpointBackend } from './backend.js';
import { CheckpointLog } from './checkpoint-log.js';
import type { SourceOffset } from './checkpoint-log.js';
import type { RecoveryPoint } from './recovery.js';
import { recoveryPoint } from './recovery.js';
import { StateMaintenance } from './state-maintenance.js';
import type { MaintenanceSettings } from './state-maintenance.js';
import { StateRepository } from './state-repository.js';

export interface CheckpointSettings extends MaintenanceSettings {
  /** Overlap each epoch's durable commit with the next epoch. */
  readonly asyncCommit: boolean;
}

export interface CommitTiming {
  /** Time the engine waited in commitEpoch. */
  readonly waitedMs: number;
  /** Duration of the latest completed durable write (this epoch's when synchronous). */
  readonly writeMs: number;
}

export class Checkpoint {
  readonly log: CheckpointLog;
  readonly state: StateRepository;
  readonly maintenance: StateMaintenance;
  /** Told when an asynchronous commit fails: the engine stops the running epoch. */
  onBackgroundFailure: (error: unknown) => void = () => undefined;
  private inflight: Promise<void> | null = null;
  private failure: unknown = null;
  private lastWriteMs = 0;
  /** The newest epoch whose commit marker this run knows durable (found at recovery or written). */
  private lastCommitted: number | null = null;
  /** The epoch whose commit marker this run is writing, if any. */
  private committing: number | null = null;

  constructor(readonly backend: CheckpointBackend, readonly settings: CheckpointSettings) {
    this.log = new CheckpointLog(backend);
    this.state = new StateRepository(backend);
    this.maintenance = new StateMaintenance(this.log, this.state, settings);
    backend.setLockVanishedCheck?.(() => this.checkIntact());
  }

  /**
   * Throws unless the store still holds the metadata and the newest commit this run knows of,
   * and no other run committed since (it took the lock while this one was frozen, then let go).
   */
  private async checkIntact(): Promise<void> {
    if (!(await this.backend.read('metadata'))) throw new CheckpointError('its metadata is gone');
    const epoch = this.lastCommitted;
    if (epoch !== null && !(await this.backend.read(`commits/${epoch}`))) throw new CheckpointError(`commits/${epoch}, which this run wrote, is gone`);
    const newest = await this.log.latestCommitEpoch();
    const ours = Math.max(epoch ?? -1, this.committing ?? -1);
    if (newest !== null && newest > ours) throw new CheckpointError(`another run committed epochs up to ${newest} meanwhile`);
  }

  /**
   * Where the next run starts (see recovery.ts), with the state repository told which state
   * files the restore must find (the commit log's record of what each epoch wrote).
   */
  async recoveryPoint(initialOffsets: () => Promise<SourceOffset[]>): Promise<RecoveryPoint> {
    const point = await recoveryPoint(this.log, initialOffsets, async () => (await this.state.operators()).length > 0);
    await this.expectState(point.stateVersion);
    this.lastCommitted = point.stateVersion > 0 ? point.stateVersion - 1 : null;
    return point;
  }

  /**
   * A checkpoint without metadata must hold nothing else: offsets, commits or state without it
   * mean the metadata was lost (a Redis that restarted without persistence keeps what a
   * running query wrote afterwards), and the query id and operator fingerprints with it.
   */
  async assertEmptyWithoutMetadata(): Promise<void> {
    const found = [];
    for (const dir of ['offsets', 'commits', 'state']) if ((await this.backend.list(dir)).length > 0) found.push(`${dir}/`);
    if (found.length === 0) return;
    throw new CheckpointError(
      `checkpoint ${this.backend.location} has ${found.join(', ')} but no metadata: it is incomplete (a Redis restarted without ` +
      'persistence, or files deleted by hand), and resuming from it would give wrong results. Restore it from a backup, ' +
      'or start the query with a new checkpointLocation',
    );
  }

  private async expectState(version: number): Promise<void> {
    if (version === 0) {
      this.state.expect(undefined, []);
      return;
    }
    const commits = (await this.log.epochs('commits')).filter((e) => e < version);
    const entries = await Promise.all(commits.map((e) => this.log.readCommit(e)));
    const retained = entries.flatMap((c) => (c?.state ? [c.state] : []));
    this.state.expect(entries[entries.length - 1]?.state, retained);
  }

  /**
   * Commits epoch `epoch`: the state deltas staged at its barrier and commits/N in one
   * `writeAll`, then `afterDurable` (the sources' commit), then maintenance. Synchronous mode
   * resolves when all that is done; asynchronous mode once the previous epoch's commit is done
   * and this one's has started.
   */
  async commitEpoch(epoch: number, nextBatchWatermarkMs: number, afterDurable: () => Promise<unknown>): Promise<CommitTiming> {
    const blobs = [...this.state.takeStaged(), this.log.commitBlob({ epoch, nextBatchWatermarkMs, state: this.state.index() })];
    const started = performance.now();
    if (!this.settings.asyncCommit) {
      this.committing = epoch;
      await this.backend.writeAll(blobs);
      this.lastCommitted = epoch;
      this.lastWriteMs = performance.now() - started;
      await afterDurable();
      this.maintenance.afterCommit(epoch);
      return { waitedMs: performance.now() - started, writeMs: this.lastWriteMs };
    }
    await this.flush();
    const waitedMs = performance.now() - started;
    const writeStarted = performance.now();
    this.committing = epoch;
    const run = this.backend.writeAll(blobs).then(async () => {
      this.lastCommitted = epoch;
      this.lastWriteMs = performance.now() - writeStarted;
      await afterDurable();
      this.maintenance.afterCommit(epoch);
    });
    const tracked: Promise<void> = run.then(
      () => { if (this.inflight === tracked) this.inflight = null; },
      (e: unknown) => {
        if (this.inflight === tracked) this.inflight = null;
        this.failure ??= e;
        this.onBackgroundFailure(e);
      },
    );
    this.inflight = tracked;
    return { waitedMs, writeMs: this.lastWriteMs };
  }

  /** Waits for the outstanding asynchronous commit; throws if it (or an earlier one) failed. */
  async flush(): Promise<void> {
    if (this.inflight) await this.inflight;
    this.throwIfFailed();
  }

  throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Before a recovery: lets the outstanding commit and maintenance finish (whatever their
   * outcome: recovery reads what is durable) and drops blobs staged by a failed epoch.
   */
  async quiesce(): Promise<void> {
    if (this.inflight) await this.inflight;
    this.failure = null;
    await this.maintenance.idle();
    this.state.discardStaged();
  }

  /** Finishes outstanding work, releases the run's lock and closes the store. */
  async close(runId: string): Promise<void> {
    if (this.inflight) await this.inflight;
    await this.maintenance.stop();
    await this.backend.release(runId).catch(() => undefined);
    await this.backend.close();
  }
}
