// Versioned keyed state in a checkpoint, laid out as Spark's HDFS-backed store:
// state/<operator>/<partition>/<store>/<version>.delta and <version>.snapshot. Version v holds
// the state after epoch v-1. Deltas are staged at the barrier and written with the epoch's
// commit marker; snapshots are written in the background (StateMaintenance). Restore reads the
// newest snapshot at or below the version, then the deltas after it, every partition at once.
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend } from './backend.js';
import type { RecordLayout } from './entry-codec.js';
import { decodeEntryBlob, encodeEntryBlob } from './entry-codec.js';
import type { EpochDelta, KeyedEntries } from './keyed-store.js';

export interface StateFile {
  readonly version: number;
  readonly kind: 'delta' | 'snapshot';
  readonly name: string;
}

/** Receives restored entries, a partition's snapshot first, then its deltas in version order. */
export type EntryLoader = (keys: readonly string[], values: readonly unknown[]) => void;

export interface RestoreOptions {
  /** Inspection reads without deleting the files an uncommitted run left above the version. */
  readonly readOnly?: boolean;
}

export interface RestoreStats {
  /** Bytes read: the snapshot and deltas needed for the version. */
  readonly bytes: number;
  readonly files: number;
}

export class StateRepository {
  private staged: BlobWrite[] = [];
  /**
   * Whether epochs' state deltas are written. A run whose checkpoint can never be read back (in
   * memory, no restart) turns it off: operators keep their state, nothing is encoded.
   */
  recordsDeltas = true;

  constructor(readonly backend: CheckpointBackend) {}

  /**
   * Serialises one store's epoch delta as version `version`, to be written at commit; returns its
   * bytes. With a `layout`, the values are records it writes (see RecordLayout).
   */
  stageDelta(operatorId: string, store: string, version: number, delta: EpochDelta<unknown>, layout?: RecordLayout): number {
    let bytes = 0;
    for (const [partition, entries] of delta) {
      const data = encodeEntryBlob(entries, layout);
      bytes += data.length;
      this.staged.push({ path: `${storeDir(operatorId, partition, store)}/${version}.delta`, data });
    }
    return bytes;
  }

  /** The blobs staged since the last call, for the commit's `writeAll`. */
  takeStaged(): BlobWrite[] {
    const s = this.staged;
    this.staged = [];
    return s;
  }

  /** Drops blobs staged by an epoch that failed (it will be re-run). */
  discardStaged(): void {
    this.staged = [];
  }

  /** Operator ids that have state in the checkpoint. */
  async operators(): Promise<string[]> {
    return (await this.backend.list('state')).filter((n) => !n.startsWith('_'));
  }

  /** Shuffle partitions of an operator that have files, ascending. */
  async partitions(operatorId: string): Promise<number[]> {
    return (await this.backend.list(`state/${operatorId}`)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }

  /** Store names of one partition of an operator. */
  async stores(operatorId: string, partition: number): Promise<string[]> {
    return this.backend.list(`state/${operatorId}/${partition}`);
  }

  /** Versions present for one partition of a store, ascending (a delta before a snapshot of the same version). */
  async files(operatorId: string, partition: number, store: string): Promise<StateFile[]> {
    const names = await this.backend.list(storeDir(operatorId, partition, store));
    const files: StateFile[] = [];
    for (const name of names) {
      const m = /^(\d+)\.(delta|snapshot)$/.exec(name);
      if (m) files.push({ version: Number(m[1]), kind: m[2] as 'delta' | 'snapshot', name });
    }
    return files.sort((a, b) => a.version - b.version || (a.kind === 'snapshot' ? 1 : -1));
  }

  /**
   * Loads a store as of `version` into `load`, all partitions concurrently (partitions hold
   * disjoint keys). Files above `version` were left by a run that did not commit and are
   * deleted, so a re-run writes them afresh.
   */
  async restore(operatorId: string, store: string, version: number, load: EntryLoader, options: RestoreOptions = {}): Promise<RestoreStats> {
    const partitions = await this.partitions(operatorId);
    const stats = await Promise.all(partitions.map((p) => this.restorePartition(operatorId, p, store, version, load, options)));
    return stats.reduce((a, b) => ({ bytes: a.bytes + b.bytes, files: a.files + b.files }), { bytes: 0, files: 0 });
  }

  async restorePartition(
    operatorId: string, partition: number, store: string, version: number, load: EntryLoader, options: RestoreOptions = {},
  ): Promise<RestoreStats> {
    const dir = storeDir(operatorId, partition, store);
    const files = await this.files(operatorId, partition, store);
    if (!options.readOnly) {
      const stale = files.filter((f) => f.version > version);
      if (stale.length) await this.backend.delete(stale.map((f) => `${dir}/${f.name}`));
    }
    const needed = filesForVersion(files, version);
    // Read every file at once; apply them in version order.
    const blobs = await Promise.all(needed.map((f) => this.readRaw(`${dir}/${f.name}`)));
    let bytes = 0;
    needed.forEach((f, i) => {
      const raw = blobs[i]!;
      bytes += raw.length;
      const e = decodeEntries(raw, this.backend.location, `${dir}/${f.name}`);
      load(e.keys, e.values);
    });
    return { bytes, files: needed.length };
  }

  /** The entries of one state file. */
  async readEntries(path: string): Promise<KeyedEntries<unknown>> {
    return decodeEntries(await this.readRaw(path), this.backend.location, path);
  }

  private async readRaw(path: string): Promise<Buffer> {
    const raw = await this.backend.read(path);
    if (!raw) {
      throw new CheckpointError(
        `state file ${this.backend.location}/${path} disappeared while restoring (another process deleted it); restart the query`,
        { retriable: true },
      );
    }
    return raw;
  }
}

/** The files that rebuild `version`: the newest snapshot at or below it, then the deltas after it. */
export function filesForVersion(files: readonly StateFile[], version: number): StateFile[] {
  const usable = files.filter((f) => f.version <= version);
  let snapshotAt = -1;
  for (const f of usable) if (f.kind === 'snapshot' && f.version > snapshotAt) snapshotAt = f.version;
  const out: StateFile[] = [];
  if (snapshotAt >= 0) out.push(usable.find((f) => f.kind === 'snapshot' && f.version === snapshotAt)!);
  for (const f of usable) if (f.kind === 'delta' && f.version > snapshotAt) out.push(f);
  return out;
}

export function encodeEntries(entries: KeyedEntries<unknown>): Buffer {
  return encodeEntryBlob(entries);
}

export function decodeEntries(raw: Buffer, location: string, path: string): KeyedEntries<unknown> {
  try {
    return decodeEntryBlob(raw);
  } catch (e) {
    throw new CheckpointError(
      `state file ${location}/${path} is corrupt or truncated (${(e as Error).message}); ` +
      'restore it from a backup or start the query with a new checkpointLocation',
    );
  }
}

export function storeDir(operatorId: string, partition: number, store: string): string {
  return `state/${operatorId}/${partition}/${store}`;
}
