// Keyed state as an operator sees it: a narrow key-value interface. The store itself records
// which keys changed in the current epoch, so operators never track what to persist; the
// runtime takes the epoch's delta at the barrier.

/** Read operations, split from writes as Kafka Streams does. */
export interface ReadOnlyKeyValueStore<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  readonly size: number;
  /** Every entry, in no particular order. */
  entries(): IterableIterator<[string, V]>;
  /** The entries of one shuffle partition. */
  partitionEntries(partition: number): IterableIterator<[string, V]>;
}

export interface KeyValueStore<V> extends ReadOnlyKeyValueStore<V> {
  /** Stores `value` under `key`; values may be mutated afterwards only if put again. */
  put(key: string, value: V): void;
  delete(key: string): void;
  /** Keys put or deleted since the last barrier (tracked by the store, not the operator). */
  changedKeys(): IterableIterator<string>;
}

/** The keys one epoch changed, grouped by shuffle partition; `undefined` marks a deletion. */
export type EpochDelta<V> = Map<number, Array<[string, V | undefined]>>;

/** Per-epoch counters reported in progress (stateOperators[]). */
export interface StoreMetrics {
  numRowsTotal: number;
  numRowsUpdated: number;
  numRowsRemoved: number;
}

/**
 * The in-memory store behind every stateful operator: a Map plus the set of keys changed since
 * the last barrier. The partition of a key is `hash(key) mod partitions`, fixed for the life of
 * a checkpoint, so the same layout can later be spread across workers.
 */
export class InMemoryKeyedStore<V> implements KeyValueStore<V> {
  private readonly map = new Map<string, V>();
  private changed = new Set<string>();
  private removedInEpoch = 0;

  constructor(readonly name: string, readonly partitions: number) {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`spate.sql.shuffle.partitions must be a positive integer, got ${partitions}`);
    }
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  put(key: string, value: V): void {
    this.map.set(key, value);
    this.changed.add(key);
  }

  delete(key: string): void {
    if (this.map.delete(key)) {
      this.changed.add(key);
      this.removedInEpoch++;
    }
  }

  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  changedKeys(): IterableIterator<string> {
    return this.changed.values();
  }

  *partitionEntries(partition: number): IterableIterator<[string, V]> {
    for (const e of this.map) if (partitionOf(e[0], this.partitions) === partition) yield e;
  }

  /** Loads restored entries without marking them changed. */
  restore(entries: Iterable<[string, V]>): void {
    this.map.clear();
    for (const [k, v] of entries) this.map.set(k, v);
    this.changed.clear();
    this.removedInEpoch = 0;
  }

  /** The epoch's changes, grouped by partition; resets the change set. */
  takeDelta(): EpochDelta<V> {
    const delta: EpochDelta<V> = new Map();
    for (const key of this.changed) {
      const p = partitionOf(key, this.partitions);
      let list = delta.get(p);
      if (!list) delta.set(p, (list = []));
      list.push([key, this.map.get(key)]);
    }
    this.changed = new Set();
    this.removedInEpoch = 0;
    return delta;
  }

  /** Counters for the epoch in progress (call before takeDelta). */
  metrics(): StoreMetrics {
    return {
      numRowsTotal: this.map.size,
      numRowsUpdated: this.changed.size - this.removedInEpoch,
      numRowsRemoved: this.removedInEpoch,
    };
  }
}

/** FNV-1a over the UTF-16 code units of the key: stable across processes and versions. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
