// Background upkeep of a checkpoint, as Spark's state store maintenance task: after a commit
// (at most every `intervalMs`), each store partition with at least `minDeltasForSnapshot`
// deltas since its last snapshot gets a new snapshot (a store whose deltas are packed, one file
// for every partition, gets a packed snapshot of every partition), and files no longer needed to rebuild the
// last `minBatchesToRetain` versions are deleted — state files, offsets/ and commits/ entries,
// the engine's record of the sources' initial offsets once epoch 0 is gone, and (through
// `onLogsPurged`, which hands each source the offset the oldest retained epoch starts from)
// whatever metadata a source keeps for positions before it.
//
// A snapshot is built from committed files only (the previous snapshot and the deltas after it,
// every one at or below a committed version), never from the live stores, so it is consistent
// for its version whatever the next epoch is doing, and it costs the epoch path nothing but
// event-loop turns: the work yields between partitions.
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { errorMessage } from '../errors.js';
import type { CheckpointLog } from './checkpoint-log.js';
import type { StateFile, StateRepository } from './state-repository.js';
import type { EpochDelta } from './keyed-store.js';
import { encodePacked, packedDir } from './packed-state.js';
import { encodeEntries, entriesByPartition, storeDir } from './state-repository.js';

export interface MaintenanceSettings {
  readonly minBatchesToRetain: number;
  readonly minDeltasForSnapshot: number;
  /** Least time between two runs, in ms (0: after every commit). */
  readonly intervalMs: number;
}

/** Told the end offsets of the newest epoch purged from the log: no run reads before them again. */
export type LogsPurged = (oldestRetainedStart: readonly unknown[]) => Promise<void>;

export interface MaintenanceReport {
  snapshotsWritten: number;
  filesDeleted: number;
}

export class StateMaintenance {
  private running: Promise<void> | null = null;
  private requested: number | null = null;
  private lastRunMs = -Infinity;
  private stopped = false;
  private warned = false;
  /** The last run's failure, if it failed (the next run tries again). */
  lastError: unknown = null;
  /** Set by the engine: lets the sources drop metadata the purged epochs needed. */
  onLogsPurged: LogsPurged | null = null;

  constructor(
    private readonly log: CheckpointLog,
    private readonly state: StateRepository,
    private readonly settings: MaintenanceSettings,
  ) {}

  /** Epoch `epoch` is durable: start a run in the background if one is due. */
  afterCommit(epoch: number): void {
    if (this.stopped || Date.now() - this.lastRunMs < this.settings.intervalMs) return;
    // A run in progress picks up the newest request when it ends.
    this.requested = epoch;
    this.running ??= this.loop().finally(() => { this.running = null; });
  }

  /** Resolves once no run is in progress. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Lets the current run finish and starts no other. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.idle();
  }

  /** One full pass for committed epoch `epoch`. */
  async runOnce(epoch: number): Promise<MaintenanceReport> {
    const report: MaintenanceReport = { snapshotsWritten: 0, filesDeleted: 0 };
    // The logs first: it is quick, and a stop that cuts the state pass short still did it.
    const keepFrom = epoch + 1 - this.settings.minBatchesToRetain;
    if (keepFrom > 0) {
      const purged = await this.log.purgeBefore(keepFrom);
      if (purged) {
        report.filesDeleted += await this.purgeInitialOffsets();
        await this.onLogsPurged?.(purged.sources);
      }
    }
    const version = epoch + 1;
    const earliestVersion = version - this.settings.minBatchesToRetain + 1;
    for (const op of await this.state.operators()) {
      const partitions = await this.state.partitions(op);
      for (const store of await this.state.packedStores(op)) {
        if (this.stopped) return report;
        await this.maintainPacked(op, store, partitions, version, earliestVersion, report);
        await yieldTurn();
      }
      for (const partition of partitions) {
        for (const store of await this.state.stores(op, partition)) {
          if (this.stopped) return report;
          await this.maintainPartition(op, partition, store, version, earliestVersion, report);
          await yieldTurn();
        }
      }
    }
    return report;
  }

  private async loop(): Promise<void> {
    while (this.requested !== null && !this.stopped) {
      const epoch = this.requested;
      this.requested = null;
      this.lastRunMs = Date.now();
      try {
        await this.runOnce(epoch);
        this.lastError = null;
        this.warned = false;
      } catch (e) {
        this.lastError = e;
        if (!this.warned) {
          this.warned = true;
          process.emitWarning(
            `checkpoint maintenance of ${this.log.backend.location} failed (${errorMessage(e)}); it is retried after the next commit, and the query goes on`,
            'SpateCheckpointWarning',
          );
        }
      }
    }
  }

  private async maintainPartition(
    op: string, partition: number, store: string, version: number, earliestVersion: number, report: MaintenanceReport,
  ): Promise<void> {
    const dir = storeDir(op, partition, store);
    let files = (await this.state.files(op, partition, store)).filter((f) => f.version <= version);
    const snapshotAt = newestSnapshot(files, version)?.version ?? -1;
    const deltas = files.filter((f) => f.kind === 'delta' && f.version > snapshotAt);
    if (deltas.length >= this.settings.minDeltasForSnapshot) {
      const at = deltas[deltas.length - 1]!.version;
      const merged = new Map<string, unknown>();
      await this.state.restorePartition(op, partition, store, at, (keys, values) => {
        for (let i = 0; i < keys.length; i++) {
          if (values[i] === undefined) merged.delete(keys[i]!);
          else merged.set(keys[i]!, values[i]);
        }
      }, { readOnly: true });
      await this.state.backend.write(`${dir}/${at}.snapshot`, encodeEntries({ keys: [...merged.keys()], values: [...merged.values()] }));
      report.snapshotsWritten++;
      files = [...files, { version: at, kind: 'snapshot', name: `${at}.snapshot` }];
    }
    if (earliestVersion <= 1) return;
    // Rebuilding any retained version needs the newest snapshot at or below the earliest one,
    // and what follows it: everything older goes.
    const base = newestSnapshot(files, earliestVersion);
    if (!base) return;
    const obsolete = files.filter((f) => f.version < base.version);
    if (obsolete.length) {
      await this.state.backend.delete(obsolete.map((f) => `${dir}/${f.name}`));
      report.filesDeleted += obsolete.length;
    }
  }

  /**
   * A store's packed files: a packed snapshot of every partition once enough packed deltas
   * followed the last one; then every file (packed, or a partition's own) older than the newest
   * packed snapshot that rebuilding the earliest retained version can start from.
   */
  private async maintainPacked(
    op: string, store: string, partitions: readonly number[], version: number, earliestVersion: number, report: MaintenanceReport,
  ): Promise<void> {
    const dir = packedDir(op, store);
    let files = (await this.state.packedFiles(op, store)).filter((f) => f.version <= version);
    const snapshotAt = newestSnapshot(files, version)?.version ?? -1;
    const deltas = files.filter((f) => f.kind === 'delta' && f.version > snapshotAt);
    if (deltas.length >= this.settings.minDeltasForSnapshot) {
      const at = deltas[deltas.length - 1]!.version;
      const merged = new Map<number, Map<string, unknown>>();
      await this.state.restore(op, store, at, entriesByPartition(merged), { readOnly: true });
      const all: EpochDelta<unknown> = new Map();
      for (const [p, entries] of merged) if (entries.size) all.set(p, { keys: [...entries.keys()], values: [...entries.values()] });
      await this.state.backend.write(`${dir}/${at}.snapshot`, encodePacked(all));
      report.snapshotsWritten++;
      files = [...files, { version: at, kind: 'snapshot', name: `${at}.snapshot` }];
    }
    if (earliestVersion <= 1) return;
    const base = newestSnapshot(files, earliestVersion);
    if (!base) return;
    // The packed snapshot holds every partition: older files of either kind are not needed.
    const obsolete = files.filter((f) => f.version < base.version).map((f) => `${dir}/${f.name}`);
    for (const p of partitions) {
      for (const f of await this.state.files(op, p, store)) if (f.version < base.version) obsolete.push(`${storeDir(op, p, store)}/${f.name}`);
    }
    if (obsolete.length) {
      await this.state.backend.delete(obsolete);
      report.filesDeleted += obsolete.length;
    }
  }

  /**
   * Deletes `sources/<i>/initial`, the engine's record of where each source started: only a re-run
   * of epoch 0 reads it, and epoch 0 has left the log. The sources' own files there are theirs.
   */
  private async purgeInitialOffsets(): Promise<number> {
    const backend = this.log.backend;
    const paths: string[] = [];
    for (const source of await backend.list('sources')) {
      if ((await backend.list(`sources/${source}`)).includes('initial')) paths.push(`sources/${source}/initial`);
    }
    if (paths.length) await backend.delete(paths);
    return paths.length;
  }
}

function newestSnapshot(files: readonly StateFile[], atOrBelow: number): StateFile | undefined {
  let best: StateFile | undefined;
  for (const f of files) if (f.kind === 'snapshot' && f.version <= atOrBelow && (!best || f.version > best.version)) best = f;
  return best;
}
