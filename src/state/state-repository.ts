// Versioned keyed state in a checkpoint, laid out as Spark's HDFS-backed store:
// state/<operator>/<partition>/<store>/<version>.delta and <version>.snapshot, or, on backends
// where each blob is a file, packed: one file per store and version for every partition
// (state/<operator>/packed/<store>/<version>.delta, see packed-state.ts). Version v holds
// the state after epoch v-1. Deltas are staged at the barrier and written with the epoch's
// commit marker; snapshots are written in the background (StateMaintenance). Restore reads the
// newest snapshot at or below the version, then the deltas after it, every partition at once.
// Every commit records which version each partition last wrote (its StateIndex); a restore
// requires the files the retained commits name, so a missing file is an error naming it,
// never a silently smaller state.
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend } from './backend.js';
import type { EncodableDelta, RecordLayout } from './entry-codec.js';
import type { StateIndex } from './checkpoint-log.js';
import { decodeEntryBlob, encodeEntryBlob, encodeWrittenEntries } from './entry-codec.js';
import type { EpochDelta, KeyedEntries } from './keyed-store.js';
import { PACKED_DIR, decodePacked, encodePacked, encodePackedEntries, packedDir, packedPartitions } from './packed-state.js';

export interface StateFile {
  readonly version: number;
  readonly kind: 'delta' | 'snapshot';
  readonly name: string;
}

/**
 * Receives restored entries of one partition, a partition's snapshot first, then its deltas in
 * version order (partitions may interleave: they hold disjoint keys).
 */
export type EntryLoader = (keys: readonly string[], values: readonly unknown[], partition: number) => void;

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
    if (delta.size === 0) return 0;
    if (this.backend.packsState) {
      // One file for every partition the epoch changed (see packed-state.ts).
      const data = encodePacked(delta, layout);
      this.staged.push({ path: `${packedDir(operatorId, store)}/${version}.delta`, data });
      const versions = this.versionsOf(operatorId, store);
      for (const partition of delta.keys()) {
        versions.set(partition, version);
        this.fresh.push([operatorId, store, partition, version]);
      }
      return data.length;
    }
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
   * As stageDelta, for a delta its store writes itself (see EncodableDelta): the same files and
   * bytes, encoded straight from the store's columns.
   */
  stageEntries(operatorId: string, store: string, version: number, delta: EncodableDelta): number {
    const { partitions } = delta;
    if (partitions.length === 0) return 0;
    const versions = this.versionsOf(operatorId, store);
    const wrote = (partition: number): void => {
      versions.set(partition, version);
      this.fresh.push([operatorId, store, partition, version]);
    };
    if (this.backend.packsState) {
      const data = encodePackedEntries(delta);
      this.staged.push({ path: `${packedDir(operatorId, store)}/${version}.delta`, data });
      partitions.forEach(wrote);
      return data.length;
    }
    let bytes = 0;
    partitions.forEach((partition, i) => {
      const data = encodeWrittenEntries((out) => delta.write(i, out));
      bytes += data.length;
      this.staged.push({ path: `${storeDir(operatorId, partition, store)}/${version}.delta`, data });
      wrote(partition);
    });
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
    return parseStateFiles(await this.backend.list(storeDir(operatorId, partition, store)));
  }

  /** Versions present in a store's packed folder, ascending (a delta before a snapshot of the same version). */
  async packedFiles(operatorId: string, store: string): Promise<StateFile[]> {
    return parseStateFiles(await this.backend.list(packedDir(operatorId, store)));
  }

  /** Store names of an operator that have packed files. */
  async packedStores(operatorId: string): Promise<string[]> {
    return this.backend.list(`state/${operatorId}/${PACKED_DIR}`);
  }

  /**
   * Loads a store as of `version` into `load`, reading every file it needs at once: per
   * partition, its newest snapshot at or below the version (a partition's own file, or the
   * packed one of every partition), then the deltas after it in version order. Partitions hold
   * disjoint keys, so only the order within a partition matters. Files above `version` were
   * left by a run that did not commit and are deleted, so a re-run writes them afresh.
   */
  async restore(operatorId: string, store: string, version: number, load: EntryLoader, options: RestoreOptions = {}): Promise<RestoreStats> {
    const required = options.readOnly ? undefined : this.required.get(`${operatorId}/${store}`);
    const wanted = options.partitions ? new Set(options.partitions) : null;
    const dirs = await this.partitions(operatorId);
    // A partition the commit log knows must be restored even if its folder is gone (then it fails).
    const known = [...new Set([...dirs, ...(required?.keys() ?? [])])].filter((p) => !wanted || wanted.has(p));
    const own = new Map<number, StateFile[]>(await Promise.all(known.map(async (p): Promise<[number, StateFile[]]> => [p, dirs.includes(p) ? await this.files(operatorId, p, store) : []])));
    const pdir = packedDir(operatorId, store);
    let packed = await this.packedFiles(operatorId, store);
    if (!options.readOnly) {
      const stale = [...own].flatMap(([p, files]) => files.filter((f) => f.version > version).map((f) => `${storeDir(operatorId, p, store)}/${f.name}`));
      stale.push(...packed.filter((f) => f.version > version).map((f) => `${pdir}/${f.name}`));
      if (stale.length) await this.backend.delete(stale);
    }
    packed = packed.filter((f) => f.version <= version);
    const packedBase = newestSnapshotAt(packed, version);
    // Each partition's base: its own newest snapshot when it is at least as new as the packed one.
    const ownBase = new Map<number, number>();
    for (const [p, files] of own) ownBase.set(p, newestSnapshotAt(files, version));
    const baseOf = (p: number): number => Math.max(ownBase.get(p) ?? 0, packedBase);
    const packedBaseUsed = (p: number): boolean => packedBase > 0 && packedBase > (ownBase.get(p) ?? 0);
    let lowest = packedBase;
    for (const p of own.keys()) lowest = Math.min(lowest, baseOf(p));

    const reads: Array<{ path: string; version: number; kind: StateFile['kind']; partition: number | null }> = [];
    for (const [p, files] of own) {
      const base = baseOf(p);
      for (const f of files) {
        if (f.version > version) continue;
        const isBase = f.kind === 'snapshot' && f.version === base && !packedBaseUsed(p);
        if (isBase || (f.kind === 'delta' && f.version > base)) reads.push({ path: `${storeDir(operatorId, p, store)}/${f.name}`, version: f.version, kind: f.kind, partition: p });
      }
    }
    for (const f of packed) {
      if ((f.kind === 'snapshot' && f.version === packedBase) || (f.kind === 'delta' && f.version > lowest)) {
        reads.push({ path: `${pdir}/${f.name}`, version: f.version, kind: f.kind, partition: null });
      }
    }
    const blobs = await Promise.all(reads.map((r) => this.readRaw(r.path)));
    const location = this.backend.location;
    const headers = reads.map((r, i) => (r.partition === null ? guarded(location, r.path, () => packedPartitions(blobs[i]!)) : [r.partition]));
    if (required) this.checkRequired(operatorId, store, version, own, baseOf, reads, headers, required, wanted);

    // Snapshots first, then deltas by version; each chunk only where it is newer than its partition's base.
    const order = reads.map((_, i) => i).sort((a, b) => (reads[a]!.kind === 'snapshot' ? -1 : 0) - (reads[b]!.kind === 'snapshot' ? -1 : 0) || reads[a]!.version - reads[b]!.version);
    let bytes = 0;
    for (const i of order) {
      const r = reads[i]!;
      const raw = blobs[i]!;
      bytes += raw.length;
      if (r.partition !== null) {
        const e = decodeEntries(raw, location, r.path);
        load(e.keys, e.values, r.partition);
        continue;
      }
      const e = guarded(location, r.path, () => decodePacked(raw));
      for (const g of e.groups) {
        if (wanted && !wanted.has(g.partition)) continue;
        const applies = r.kind === 'snapshot' ? packedBaseUsed(g.partition) : r.version > baseOf(g.partition);
        if (!applies) continue;
        if (e.groups.length === 1) load(e.keys, e.values, g.partition);
        else load(e.keys.slice(g.from, g.to), e.values.slice(g.from, g.to), g.partition);
      }
      blobs[i] = EMPTY; // the decoded file's bytes are no longer needed
    }
    return { bytes, files: reads.length };
  }

  /** One partition of a store as of `version` (see restore). */
  async restorePartition(
    operatorId: string, partition: number, store: string, version: number, load: EntryLoader, options: RestoreOptions = {},
  ): Promise<RestoreStats> {
    return this.restore(operatorId, store, version, load, { ...options, partitions: [partition] });
  }

  /**
   * Fails naming the first state file the commit log says was written but that is gone: a
   * partition's own delta, or the packed delta of that version holding the partition.
   */
  private checkRequired(
    operatorId: string, store: string, version: number, own: ReadonlyMap<number, readonly StateFile[]>, baseOf: (p: number) => number,
    reads: ReadonlyArray<{ version: number; kind: StateFile['kind']; partition: number | null }>, headers: readonly (readonly number[])[],
    required: ReadonlyMap<number, ReadonlySet<number>>, wanted: ReadonlySet<number> | null,
  ): void {
    // The versions found for each partition: its own files, and the packed deltas that hold it.
    const found = new Map<number, Set<number>>();
    const add = (p: number, v: number): void => {
      let s = found.get(p);
      if (!s) found.set(p, (s = new Set()));
      s.add(v);
    };
    for (const [p, files] of own) for (const f of files) add(p, f.version);
    reads.forEach((r, i) => { if (r.partition === null && r.kind === 'delta') for (const p of headers[i]!) add(p, r.version); });
    for (const [partition, versions] of required) {
      if (wanted && !wanted.has(partition)) continue;
      const base = baseOf(partition);
      const present = found.get(partition);
      const missing = [...versions].filter((v) => v > base && v <= version && !present?.has(v)).sort((a, b) => a - b);
      if (missing.length === 0) continue;
      const v = missing[0]!;
      const packedThere = reads.some((r) => r.partition === null && r.kind === 'delta' && r.version === v);
      // The file that should hold it: the packed one where the store packs, else the partition's own.
      const ownLayout = own.get(partition)?.length || (!reads.some((r) => r.partition === null) && ([...own.values()].some((f) => f.length > 0) || !this.backend.packsState));
      const what = packedThere
        ? `the entries of shuffle partition ${partition} in state file ${packedDir(operatorId, store)}/${v}.delta`
        : `state file ${ownLayout ? storeDir(operatorId, partition, store) : packedDir(operatorId, store)}/${v}.delta`;
      throw new CheckpointError(
        `checkpoint ${this.backend.location} is missing ${what} ` +
        `(operator ${operatorId}, shuffle partition ${partition}${missing.length > 1 ? `, and ${missing.length - 1} more version(s) of it` : ''}): ` +
        `commits/${v - 1} records that epoch ${v - 1} wrote it, and without it the state would be silently wrong. ` +
        'Restore the file from a backup, or start the query with a new checkpointLocation',
      );
    }
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

/** A loader keeping what it restores per partition in `into`: a value `undefined` deletes its key. */
export function entriesByPartition(into: Map<number, Map<string, unknown>>): EntryLoader {
  return (keys, values, partition) => {
    let entries = into.get(partition);
    if (!entries) into.set(partition, (entries = new Map()));
    for (let i = 0; i < keys.length; i++) {
      if (values[i] === undefined) entries.delete(keys[i]!);
      else entries.set(keys[i]!, values[i]);
    }
  };
}

/** State files among `names`, ascending by version (a delta before a snapshot of the same version). */
function parseStateFiles(names: readonly string[]): StateFile[] {
  const files: StateFile[] = [];
  for (const name of names) {
    const m = /^(\d+)\.(delta|snapshot)$/.exec(name);
    if (m) files.push({ version: Number(m[1]), kind: m[2] as 'delta' | 'snapshot', name });
  }
  return files.sort((a, b) => a.version - b.version || (a.kind === 'snapshot' ? 1 : -1));
}

/** The version of the newest snapshot at or below `version`; 0 when there is none. */
function newestSnapshotAt(files: readonly StateFile[], version: number): number {
  let at = 0;
  for (const f of files) if (f.kind === 'snapshot' && f.version <= version && f.version > at) at = f.version;
  return at;
}

const EMPTY = Buffer.alloc(0);

/** Runs a decoder of a state file, turning damage into a CheckpointError naming the file. */
function guarded<T>(location: string, path: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    throw new CheckpointError(
      `state file ${location}/${path} is corrupt or truncated (${(e as Error).message}); ` +
      'restore it from a backup or start the query with a new checkpointLocation',
    );
  }
}

export function encodeEntries(entries: KeyedEntries<unknown>): Buffer {
  return encodeEntryBlob(entries);
}

export function decodeEntries(raw: Buffer, location: string, path: string): KeyedEntries<unknown> {
  return guarded(location, path, () => decodeEntryBlob(raw));
}

export function storeDir(operatorId: string, partition: number, store: string): string {
  return `state/${operatorId}/${partition}/${store}`;
}
