// The stores of one stateful operator, owned by the runtime: created from the names the
// operator declares, restored to the version a run starts from, and snapshotted at each barrier.
import type { EncodableDelta } from './entry-codec.js';
import type { ManagedStore, StoreMetrics } from './keyed-store.js';
import { InMemoryKeyedStore, partitionOf } from './keyed-store.js';
import { estimateEntriesBytes } from './memory-estimate.js';
import type { StateRepository } from './state-repository.js';

export interface OperatorStateMetrics extends StoreMetrics {
  readonly memoryUsedBytes: number;
  readonly commitTimeMs: number;
}

/** Makes the store of a declared name: an operator's own, or the default in-memory one. */
export type StoreFactory = (name: string, partitions: number) => ManagedStore;

export class OperatorState {
  readonly stores = new Map<string, ManagedStore>();
  private lastCommitMs = 0;
  private last: StoreMetrics = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
  private memoryUsedBytes = 0;

  constructor(
    readonly operatorId: string,
    storeNames: readonly string[],
    readonly partitions: number,
    private readonly repository: StateRepository,
    /** Makes the operator's own stores; default InMemoryKeyedStores (keyed by `partitionKey`). */
    createStore?: StoreFactory,
    private readonly partitionKey?: (storeKey: string) => string,
    /** The key groups this instance owns (a worker thread's); all when absent. */
    private readonly owned?: readonly number[],
  ) {
    const make = createStore ?? ((name: string, p: number) => new InMemoryKeyedStore(name, p, undefined, partitionKey));
    for (const name of storeNames) this.stores.set(name, make(name, partitions));
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
    await Promise.all([...this.stores].map(async ([name, store]) => {
      await this.repository.restore(this.operatorId, name, version, (keys, values) => store.load(keys, values), this.owned ? { partitions: this.owned } : {});
      store.finishRestore?.();
    }));
  }

  /** Stages every store's changes of `epoch` as version epoch + 1. */
  snapshot(epoch: number): void {
    const started = performance.now();
    const totals = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };
    let bytes = 0;
    for (const [name, store] of this.stores) {
      bytes += estimateEntriesBytes(store.size, store.sample(SAMPLE));
      const m = store.metrics();
      totals.numRowsTotal += m.numRowsTotal;
      totals.numRowsUpdated += m.numRowsUpdated;
      totals.numRowsRemoved += m.numRowsRemoved;
      if (!this.repository.recordsDeltas) store.dropDelta();
      else if (writesOwnDelta(store)) this.repository.stageEntries(this.operatorId, name, epoch + 1, store.takeEncodableDelta());
      else this.repository.stageDelta(this.operatorId, name, epoch + 1, store.takeDelta(), store.recordLayout);
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

/** A store that writes its epoch's delta itself, straight from its columns (the aggregation's table). */
interface WritesOwnDelta {
  /** As takeDelta, but the entries are written from the store when encoded (right away). */
  takeEncodableDelta(): EncodableDelta;
}

function writesOwnDelta(store: ManagedStore): store is ManagedStore & WritesOwnDelta {
  return typeof (store as Partial<WritesOwnDelta>).takeEncodableDelta === 'function';
}

/** Entries measured per store for memoryUsedBytes: some written this epoch, some of the oldest. */
const SAMPLE = 16;
