// Versioned keyed state in a checkpoint, laid out as Spark's HDFS-backed store:
// state/<operator>/<partition>/<store>/<version>.delta and <version>.snapshot. Version v holds
// the state after epoch v-1. Deltas are staged at the barrier and written with the epoch's
// commit marker; restore reads the newest snapshot at or below the version, then the deltas.
import { deserialize, serialize } from 'node:v8';
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend } from './backend.js';
import type { EpochDelta } from './keyed-store.js';

type Entry = [string, unknown];

interface VersionFile {
  readonly version: number;
  readonly kind: 'delta' | 'snapshot';
  readonly name: string;
}

export class StateRepository {
  private staged: BlobWrite[] = [];

  constructor(readonly backend: CheckpointBackend) {}

  /** Serialises one store's epoch delta as version `version`, to be written at commit. */
  stageDelta(operatorId: string, store: string, version: number, delta: EpochDelta<unknown>): void {
    for (const [partition, entries] of delta) {
      this.staged.push({ path: `${storeDir(operatorId, partition, store)}/${version}.delta`, data: serialize(entries) });
    }
  }

  /** The blobs staged since the last call, for the commit's `writeAll`. */
  takeStaged(): BlobWrite[] {
    const s = this.staged;
    this.staged = [];
    return s;
  }

  /**
   * The entries of a store as of `version`. Files above `version` were left by a run that did
   * not commit and are deleted, so a re-run writes them afresh.
   */
  async restore(operatorId: string, store: string, version: number): Promise<Entry[]> {
    const partitions = (await this.backend.list(`state/${operatorId}`)).map(Number).filter(Number.isInteger);
    const parts = await Promise.all(partitions.map((p) => this.restorePartition(operatorId, p, store, version)));
    return parts.flat();
  }

  /** Versions present for one partition of a store, ascending. */
  async versions(operatorId: string, partition: number, store: string): Promise<VersionFile[]> {
    const names = await this.backend.list(storeDir(operatorId, partition, store));
    const files: VersionFile[] = [];
    for (const name of names) {
      const m = /^(\d+)\.(delta|snapshot)$/.exec(name);
      if (m) files.push({ version: Number(m[1]), kind: m[2] as 'delta' | 'snapshot', name });
    }
    return files.sort((a, b) => a.version - b.version || (a.kind === 'snapshot' ? 1 : -1));
  }

  private async restorePartition(operatorId: string, partition: number, store: string, version: number): Promise<Entry[]> {
    const dir = storeDir(operatorId, partition, store);
    const files = await this.versions(operatorId, partition, store);
    const stale = files.filter((f) => f.version > version);
    if (stale.length) await this.backend.delete(stale.map((f) => `${dir}/${f.name}`));
    const usable = files.filter((f) => f.version <= version);
    const snapshot = [...usable].reverse().find((f) => f.kind === 'snapshot');
    const map = new Map<string, unknown>();
    if (snapshot) for (const [k, v] of await this.readEntries(`${dir}/${snapshot.name}`)) map.set(k, v);
    for (const f of usable) {
      if (f.kind !== 'delta' || (snapshot && f.version <= snapshot.version)) continue;
      for (const [k, v] of await this.readEntries(`${dir}/${f.name}`)) {
        if (v === undefined) map.delete(k);
        else map.set(k, v);
      }
    }
    return [...map];
  }

  async readEntries(path: string): Promise<Entry[]> {
    const raw = await this.backend.read(path);
    if (!raw) throw new CheckpointError(`state file ${this.backend.location}/${path} disappeared while restoring`);
    try {
      const v = deserialize(raw) as unknown;
      if (!Array.isArray(v)) throw new Error('not a list of entries');
      return v as Entry[];
    } catch (e) {
      throw new CheckpointError(
        `state file ${this.backend.location}/${path} is corrupt or truncated (${(e as Error).message}); ` +
        'restore it from a backup or start the query with a new checkpointLocation',
        { cause: e },
      );
    }
  }
}

export function storeDir(operatorId: string, partition: number, store: string): string {
  return `state/${operatorId}/${partition}/${store}`;
}
