// Versioned keyed state in a checkpoint, laid out as Spark's HDFS-backed store:
// state/<operator>/<partition>/<store>/<version>.delta and <version>.snapshot. Version v holds
// the state after epoch v-1. Deltas are staged at the barrier and written with the epoch's
// commit marker; snapshots are written in the background (StateMaintenance). Restore reads the
// newest snapshot at or below the version, then the deltas after it, every partition at once.
// Every commit records which version each partition last wrote (its StateIndex); a restore
// requires the files the retained commits name, so a missing file is an error naming it,
// never a silently smaller state.
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend } from './backend.js';
import type { RecordLayout } from './entry-codec.js';
import type { StateIndex } from './checkpoint-log.js';
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
  /** Only these key groups (a worker thread restores those it owns); all when absent. */
  readonly partitions?: readonly number[];
  /** Versions the commit log says this partition wrote: each above the base snapshot must be there. */
  readonly required?: ReadonlySet<number>;
}

export interface RestoreStats {
  /** Bytes read: the snapshot and deltas needed for the version. */
  readonly bytes: number;
  readonly files: number;
}

/** A store partition's delta staged as a version: operator, store, partition, version. */
export type WrittenVersion = readonly [string, string, number, number];

/** The commit a restore goes back to and the commits retained before it (their state indexes). */
export interface StateExpectation {
  readonly committed: StateIndex | undefined;
  readonly retained: readonly StateIndex[];
}

export class StateRepository {
  private staged: BlobWrite[] = [];
  /**
   * Whether epochs' state deltas are written. A run whose checkpoint can never be read back (in
   * memory, no restart) turns it off: operators keep their state, nothing is encoded.
   */
  recordsDeltas = true;
  /** Operator → store → partition → the newest version written (committed with every epoch). */
  private written = new Map<string, Map<string, Map<number, number>>>();
  /** `${operator}/${store}` → partition → versions the next restore must find. */
  private required = new Map<string, Map<number, Set<number>>>();
  /** Versions staged since the last takeWritten (a worker thread's, for the driver's index). */
  private fresh: WrittenVersion[] = [];
  /** What the last expect() was given (the driver hands it to the worker threads that restore). */
  private expected: StateExpectation = { committed: undefined, retained: [] };

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
      this.versionsOf(operatorId, store).set(partition, version);
      this.fresh.push([operatorId, store, partition, version]);
    }
    return bytes;
  }

  /**
   * Stages blobs serialised elsewhere (a worker thread's deltas), to be written with the next
   * commit, with the versions they write (that thread's takeWritten()), which the commit records.
   */
  stageBlobs(blobs: readonly BlobWrite[], written: readonly WrittenVersion[]): void {
    for (const b of blobs) this.staged.push(b);
    for (const [op, store, partition, version] of written) this.versionsOf(op, store).set(partition, version);
  }

  /** The versions staged since the last call. */
  takeWritten(): WrittenVersion[] {
    const w = this.fresh;
    this.fresh = [];
    return w;
  }

  /** What the last expect() was given. */
  get expectation(): StateExpectation {
    return this.expected;
  }

  /** The state as of the deltas staged so far: what the next commit records. */
  index(): StateIndex {
    const out: Record<string, Record<string, Record<string, number>>> = {};
    for (const [op, stores] of this.written) {
      const o: Record<string, Record<string, number>> = (out[op] = {});
      for (const [store, partitions] of stores) o[store] = Object.fromEntries(partitions);
    }
    return out;
  }

  /**
   * Prepares a restore to the version committed with `committed`: its index becomes this run's,
   * and every version it and the other retained commits (`retained`) record as written must be
   * found, unless a snapshot above it makes it unnecessary.
   */
  expect(committed: StateIndex | undefined, retained: readonly StateIndex[]): void {
    this.expected = { committed, retained };
    this.written = new Map();
    this.required = new Map();
    for (const [op, stores] of Object.entries(committed ?? {})) {
      for (const [store, partitions] of Object.entries(stores)) {
        for (const [p, v] of Object.entries(partitions)) this.versionsOf(op, store).set(Number(p), v);
      }
    }
    for (const index of [...retained, committed ?? {}]) {
      for (const [op, stores] of Object.entries(index)) {
        for (const [store, partitions] of Object.entries(stores)) {
          let byPartition = this.required.get(`${op}/${store}`);
          if (!byPartition) this.required.set(`${op}/${store}`, (byPartition = new Map()));
          for (const [p, v] of Object.entries(partitions)) {
            let versions = byPartition.get(Number(p));
            if (!versions) byPartition.set(Number(p), (versions = new Set()));
            versions.add(v);
          }
        }
      }
    }
  }

  private versionsOf(operatorId: string, store: string): Map<number, number> {
    let stores = this.written.get(operatorId);
    if (!stores) this.written.set(operatorId, (stores = new Map()));
    let partitions = stores.get(store);
    if (!partitions) stores.set(store, (partitions = new Map()));
    return partitions;
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
    const required = this.required.get(`${operatorId}/${store}`);
    // A partition the commit log knows must be restored even if its folder is gone (then it fails).
    const known = [...new Set([...await this.partitions(operatorId), ...(required?.keys() ?? [])])];
    // A worker thread restores only the key groups it owns.
    const partitions = options.partitions ? known.filter((p) => options.partitions!.includes(p)) : known;
    const stats = await Promise.all(partitions.map((p) => {
      const versions = required?.get(p);
      return this.restorePartition(operatorId, p, store, version, load, versions ? { ...options, required: versions } : options);
    }));
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
    if (options.required) this.checkRequired(operatorId, partition, dir, files, version, options.required);
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

  /** Fails naming the first state file the commit log says was written but that is gone. */
  private checkRequired(
    operatorId: string, partition: number, dir: string, files: readonly StateFile[], version: number, required: ReadonlySet<number>,
  ): void {
    let base = 0;
    for (const f of files) if (f.kind === 'snapshot' && f.version <= version && f.version > base) base = f.version;
    const present = new Set(files.map((f) => f.version));
    const missing = [...required].filter((v) => v > base && v <= version && !present.has(v)).sort((a, b) => a - b);
    if (missing.length === 0) return;
    throw new CheckpointError(
      `checkpoint ${this.backend.location} is missing state file ${dir}/${missing[0]}.delta ` +
      `(operator ${operatorId}, shuffle partition ${partition}${missing.length > 1 ? `, and ${missing.length - 1} more version(s) of it` : ''}): ` +
      `commits/${missing[0]! - 1} records that epoch ${missing[0]! - 1} wrote it, and without it the state would be silently wrong. ` +
      'Restore the file from a backup, or start the query with a new checkpointLocation',
    );
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
