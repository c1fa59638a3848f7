// The stores of one stateful operator, owned by the runtime: created from the names the
// operator declares, restored to the version a run starts from, and snapshotted at each barrier.
import type { StoreMetrics } from './keyed-store.js';
import { InMemoryKeyedStore } from './keyed-store.js';
import type { StateRepository } from './state-repository.js';

export interface OperatorStateMetrics extends StoreMetrics {
  readonly memoryUsedBytes: number;
  /** Time the last barrier spent serialising the epoch's changes. */
  readonly commitTimeMs: number;
}

export class OperatorState {
  readonly stores = new Map<string, InMemoryKeyedStore<unknown>>();
  private lastCommitMs = 0;
  private last: StoreMetrics = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
  /** Serialised bytes per entry, averaged over what was written or read: the basis of memoryUsedBytes. */
  private bytesPerEntry = 0;

  constructor(
    readonly operatorId: string,
    storeNames: readonly string[],
    readonly partitions: number,
    private readonly repository: StateRepository,
  ) {
    for (const name of storeNames) this.stores.set(name, new InMemoryKeyedStore(name, partitions));
  }

  /** Loads every store as of `version` (the number of epochs committed before the run). */
  async restore(version: number): Promise<void> {
    for (const store of this.stores.values()) store.clear();
    if (version === 0) return;
    await Promise.all([...this.stores].map(async ([name, store]) => {
      let entries = 0;
      const { bytes } = await this.repository.restore(this.operatorId, name, version, (keys, values) => {
        entries += keys.length;
        store.load(keys, values);
      });
      if (entries > 0) this.observeSize(bytes, entries);
    }));
  }

  /** Stages every store's changes of `epoch` as version epoch + 1. */
  snapshot(epoch: number): void {
    const started = performance.now();
    const totals = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
    let entries = 0;
    let bytes = 0;
    for (const [name, store] of this.stores) {
      const m = store.metrics();
      totals.numRowsTotal += m.numRowsTotal;
      totals.numRowsUpdated += m.numRowsUpdated;
      totals.numRowsRemoved += m.numRowsRemoved;
      entries += m.numRowsUpdated + m.numRowsRemoved;
      bytes += this.repository.stageDelta(this.operatorId, name, epoch + 1, store.takeDelta());
    }
    if (entries > 0) this.observeSize(bytes, entries);
    this.last = totals;
    this.lastCommitMs = performance.now() - started;
  }

  /** Metrics of the last snapshotted epoch. */
  metrics(): OperatorStateMetrics {
    let rows = 0;
    for (const s of this.stores.values()) rows += s.size;
    return {
      ...this.last,
      numRowsTotal: rows,
      memoryUsedBytes: Math.round(rows * (MAP_ENTRY_BYTES + this.bytesPerEntry * HEAP_TO_SERIALISED)),
      commitTimeMs: this.lastCommitMs,
    };
  }

  private observeSize(bytes: number, entries: number): void {
    const sample = bytes / entries;
    this.bytesPerEntry = this.bytesPerEntry === 0 ? sample : this.bytesPerEntry * 0.8 + sample * 0.2;
  }
}

// memoryUsedBytes is an estimate, as walking a million entries per epoch would cost more than the
// epoch: per entry, a Map entry, its slot object and key string, plus the value's serialised
// size scaled to its heap size (objects, arrays and numbers carry headers that the compact
// columnar form does not). Calibrated on aggregation state: ~260 bytes per group measured, 260
// estimated.
const MAP_ENTRY_BYTES = 100;
const HEAP_TO_SERIALISED = 4;
