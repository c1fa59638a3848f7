// The stores of one stateful operator, owned by the runtime: created from the names the
// operator declares, restored to the version a run starts from, and snapshotted at each barrier.
import type { StoreMetrics } from './keyed-store.js';
import { InMemoryKeyedStore } from './keyed-store.js';
import type { StateRepository } from './state-repository.js';

export interface OperatorStateMetrics extends StoreMetrics {
  readonly memoryUsedBytes: number;
  readonly commitTimeMs: number;
}

export class OperatorState {
  readonly stores = new Map<string, InMemoryKeyedStore<unknown>>();
  private lastCommitMs = 0;
  private last: StoreMetrics = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };

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
    // Partitions are applied as their files arrive: no intermediate copy of the state.
    await Promise.all([...this.stores].map(([name, store]) =>
      this.repository.restore(this.operatorId, name, version, (keys, values) => store.load(keys, values))));
  }

  /** Stages every store's changes of `epoch` as version epoch + 1. */
  snapshot(epoch: number): void {
    const started = performance.now();
    const totals = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
    for (const [name, store] of this.stores) {
      const m = store.metrics();
      totals.numRowsTotal += m.numRowsTotal;
      totals.numRowsUpdated += m.numRowsUpdated;
      totals.numRowsRemoved += m.numRowsRemoved;
      this.repository.stageDelta(this.operatorId, name, epoch + 1, store.takeDelta());
    }
    this.last = totals;
    this.lastCommitMs = performance.now() - started;
  }

  /** Metrics of the last snapshotted epoch. */
  metrics(): OperatorStateMetrics {
    let rows = 0;
    for (const s of this.stores.values()) rows += s.size;
    return { ...this.last, numRowsTotal: rows, memoryUsedBytes: rows * ESTIMATED_BYTES_PER_ROW, commitTimeMs: this.lastCommitMs };
  }
}

// A rough per-entry cost of a Map entry with a small value; exact accounting would cost a walk.
const ESTIMATED_BYTES_PER_ROW = 160;
