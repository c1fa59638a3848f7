// The stores of one stateful operator, owned by the runtime: created from the names the
// operator declares, restored to the version a run starts from, and snapshotted at each barrier.
import type { StoreMetrics } from './keyed-store.js';
import { InMemoryKeyedStore, partitionOf } from './keyed-store.js';
import { estimateEntriesBytes } from './memory-estimate.js';
import type { StateRepository } from './state-repository.js';

export interface OperatorStateMetrics extends StoreMetrics {
  readonly memoryUsedBytes: number;
  readonly commitTimeMs: number;
}

export class OperatorState {
  readonly stores = new Map<string, InMemoryKeyedStore<unknown>>();
  private lastCommitMs = 0;
  private last: StoreMetrics = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
  private memoryUsedBytes = 0;

  constructor(
    readonly operatorId: string,
    storeNames: readonly string[],
    readonly partitions: number,
    private readonly repository: StateRepository,
    private readonly partitionKey?: (storeKey: string) => string,
    /** The key groups this instance owns (a worker thread's); all when absent. */
    private readonly owned?: readonly number[],
  ) {
    for (const name of storeNames) this.stores.set(name, new InMemoryKeyedStore(name, partitions, partitionKey));
  }

  /** Whether this instance owns the key group of a store key (a worker thread owns some). */
  owns(storeKey: string): boolean {
    return !this.owned || this.owned.includes(partitionOf(this.partitionKey ? this.partitionKey(storeKey) : storeKey, this.partitions));
  }

  /** Loads every store as of `version` (the number of epochs committed before the run). */
  async restore(version: number): Promise<void> {
    for (const store of this.stores.values()) store.clear();
    if (version === 0) return;
    // Partitions are applied as their files arrive: no intermediate copy of the state.
    await Promise.all([...this.stores].map(([name, store]) =>
      this.repository.restore(this.operatorId, name, version, (keys, values) => store.load(keys, values), this.owned ? { partitions: this.owned } : {})));
  }

  /** Stages every store's changes of `epoch` as version epoch + 1. */
  snapshot(epoch: number): void {
    const started = performance.now();
    const totals = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
    let bytes = 0;
    for (const [name, store] of this.stores) {
      bytes += estimateEntriesBytes(store.size, memorySample(store));
      const m = store.metrics();
      totals.numRowsTotal += m.numRowsTotal;
      totals.numRowsUpdated += m.numRowsUpdated;
      totals.numRowsRemoved += m.numRowsRemoved;
      this.repository.stageDelta(this.operatorId, name, epoch + 1, store.takeDelta());
    }
    this.last = totals;
    this.memoryUsedBytes = bytes;
    this.lastCommitMs = performance.now() - started;
  }

  /** Metrics of the last snapshotted epoch. */
  metrics(): OperatorStateMetrics {
    let rows = 0;
    for (const s of this.stores.values()) rows += s.size;
    return { ...this.last, numRowsTotal: rows, memoryUsedBytes: this.memoryUsedBytes, commitTimeMs: this.lastCommitMs };
  }
}

const SAMPLE = 16;

/** Entries to measure: some written this epoch (the current shape of values) and some of the oldest. */
function* memorySample(store: InMemoryKeyedStore<unknown>): Iterable<[string, unknown]> {
  let n = 0;
  for (const key of store.changedKeys()) {
    const v = store.get(key);
    if (v === undefined) continue;
    yield [key, v];
    if (++n === SAMPLE) break;
  }
  for (const entry of store.entries()) {
    yield entry;
    if (++n === 2 * SAMPLE) return;
  }
}
