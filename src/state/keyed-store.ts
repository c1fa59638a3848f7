// Keyed state as an operator sees it: a narrow key-value interface. The store itself records
// which keys changed in the current epoch, so operators never track what to persist; the
// runtime takes the epoch's delta at the barrier.
import type { RecordLayout } from './entry-codec.js';

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

/** Keys and their values, side by side; a value `undefined` marks a deletion. */
export interface KeyedEntries<V> {
  readonly keys: string[];
  readonly values: Array<V | undefined>;
}

/** The keys one epoch changed, grouped by shuffle partition. */
export type EpochDelta<V> = Map<number, KeyedEntries<V>>;

/** Per-epoch counters reported in progress (stateOperators[]). */
export interface StoreMetrics {
  numRowsTotal: number;
  numRowsUpdated: number;
  numRowsRemoved: number;
}

/**
 * A store as the runtime manages it (restore, the epoch's delta at each barrier, metrics):
 * InMemoryKeyedStore for every operator that uses the KeyValueStore interface, or a store an
 * operator keeps itself in a form suited to it (the aggregation's AggTable), with the same
 * checkpoint format.
 */
export interface ManagedStore {
  readonly name: string;
  readonly size: number;
  /** Empties the store before a restore; nothing is marked changed. */
  clear(): void;
  /** Applies restored entries (a snapshot, then each delta in version order); `undefined` deletes. */
  load(keys: readonly string[], values: readonly unknown[]): void;
  /** Every load of a restore has been applied. */
  finishRestore?(): void;
  /** Counters for the epoch in progress (call before takeDelta). */
  metrics(): StoreMetrics;
  /** The epoch's changes, grouped by partition; starts a new epoch. */
  takeDelta(): EpochDelta<unknown>;
  /** Forgets the epoch's changes (no checkpoint will read them); starts a new epoch. */
  dropDelta(): void;
  /** How the delta's values are written when they are not the stored objects themselves (a columnar store's slots). */
  readonly recordLayout?: RecordLayout;
  /** The stored object a delta's value stands for, when it is not the object itself (a columnar store's slot); read before the next change. */
  deltaEntry?(value: unknown): unknown;
  /** Up to `n` entries as stored values (some changed this epoch, some old), to estimate memory. */
  sample(n: number): Iterable<[string, unknown]>;
}

/** A stored value with the number of the epoch that last changed it; `undefined` marks a key deleted this epoch. */
interface Slot<V> {
  value: V | undefined;
  epoch: number;
}

/**
 * The in-memory store behind every stateful operator. Each key holds a slot stamped with the
 * epoch that last changed it, so recording a change costs a field check, not a set lookup, and
 * a put right after a get of the same key reuses the slot the get found. A delete leaves the
 * slot in the map as a tombstone (value `undefined`) until the epoch's delta is taken: a key
 * deleted and put again in one epoch then finds its slot and is listed once, without a set of
 * deleted keys. The partition of a key is `hash(key) mod partitions`, fixed for the life of a
 * checkpoint.
 */
export class InMemoryKeyedStore<V> implements KeyValueStore<V>, ManagedStore {
  private readonly map = new Map<string, Slot<V>>();
  /** Live keys (the map also holds this epoch's tombstones). */
  private live = 0;
  /** Keys changed in the current epoch, each once. */
  private changed: string[] = [];
  /** The slot of each changed key, side by side with `changed`. */
  private changedSlots: Array<Slot<V>> = [];
  /** Tombstones left in the map this epoch. */
  private tombstones = 0;
  private removedInEpoch = 0;
  /** Puts that marked a key changed in this epoch: Spark counts every put, even of a key removed later in the epoch. */
  private updatedInEpoch = 0;
  private epoch = 1;
  private lastKey: string | undefined;
  private lastSlot: Slot<V> | undefined;

  constructor(
    readonly name: string,
    readonly partitions: number,
    /** How the operator's values are written, when it knows their shape (see RecordLayout). */
    readonly recordLayout?: RecordLayout,
    /** The part of a key that chooses its key group (default: the whole key; see OperatorLogic.partitionKey). */
    private readonly partitionKey?: (key: string) => string,
  ) {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`spate.sql.shuffle.partitions must be a positive integer, got ${partitions}`);
    }
  }

  get size(): number {
    return this.live;
  }

  get(key: string): V | undefined {
    const slot = this.map.get(key);
    this.lastKey = key;
    this.lastSlot = slot;
    return slot?.value;
  }

  has(key: string): boolean {
    return this.map.get(key)?.value !== undefined;
  }

  put(key: string, value: V): void {
    const slot = key === this.lastKey ? this.lastSlot : this.map.get(key);
    if (slot === undefined) {
      const fresh: Slot<V> = { value, epoch: this.epoch };
      this.map.set(key, fresh);
      this.live++;
      this.changed.push(key);
      this.changedSlots.push(fresh);
      this.updatedInEpoch++;
      this.lastKey = key;
      this.lastSlot = fresh;
      return;
    }
    if (slot.value === undefined) {
      // A tombstone of this epoch comes back to life: counted as a put again, listed once.
      slot.value = value;
      this.live++;
      this.tombstones--;
      this.updatedInEpoch++;
      return;
    }
    slot.value = value;
    if (slot.epoch !== this.epoch) {
      slot.epoch = this.epoch;
      this.changed.push(key);
      this.changedSlots.push(slot);
      this.updatedInEpoch++;
    }
  }

  delete(key: string): void {
    const slot = key === this.lastKey ? this.lastSlot : this.map.get(key);
    if (slot === undefined || slot.value === undefined) return;
    slot.value = undefined;
    this.live--;
    this.tombstones++;
    this.removedInEpoch++;
    if (slot.epoch !== this.epoch) {
      slot.epoch = this.epoch;
      this.changed.push(key);
      this.changedSlots.push(slot);
    }
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [k, slot] of this.map) if (slot.value !== undefined) yield [k, slot.value];
  }

  changedKeys(): IterableIterator<string> {
    return this.changed.values();
  }

  *partitionEntries(partition: number): IterableIterator<[string, V]> {
    for (const [k, slot] of this.map) if (slot.value !== undefined && this.partitionOfKey(k) === partition) yield [k, slot.value];
  }

  /** The key group (shuffle partition) a key belongs to. */
  partitionOfKey(key: string): number {
    return partitionOf(this.partitionKey ? this.partitionKey(key) : key, this.partitions);
  }

  /** Empties the store before a restore; nothing is marked changed. */
  clear(): void {
    this.map.clear();
    this.sampler = null;
    this.live = 0;
    this.forgetChanges();
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }

  /** Replaces the content with `entries`, none marked changed (a restore in one call). */
  restore(entries: Iterable<[string, V]>): void {
    this.clear();
    for (const [k, v] of entries) this.map.set(k, { value: v, epoch: 0 });
    this.live = this.map.size;
  }

  /**
   * Applies restored entries (a snapshot, then each delta in version order) without marking
   * them changed: a value `undefined` deletes the key.
   */
  load(keys: readonly string[], values: readonly (V | undefined)[]): void {
    this.buryTombstones();
    const map = this.map;
    for (let i = 0; i < keys.length; i++) {
      const v = values[i];
      if (v === undefined) map.delete(keys[i]!);
      else map.set(keys[i]!, { value: v, epoch: 0 });
    }
    this.live = map.size;
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }

  /** The epoch's changes, grouped by partition; starts a new epoch. */
  takeDelta(): EpochDelta<V> {
    // Every key once, with its slot at hand: no lookups in a map that may hold millions.
    const keys = this.changed;
    const slots = this.changedSlots;
    const delta = collectDelta<V>(this.partitions, (add) => {
      for (let i = 0; i < keys.length; i++) add(this.partitionOfKey(keys[i]!), keys[i]!, slots[i]!.value);
    });
    this.dropDelta();
    return delta;
  }

  *sample(n: number): Iterable<[string, unknown]> {
    let taken = 0;
    for (let i = 0; i < this.changed.length; i++) {
      const v = this.changedSlots[i]!.value;
      if (v === undefined) continue;
      yield [this.changed[i]!, v];
      if (++taken === n) break;
    }
    // Older entries, from where the last sample stopped: a fresh iteration would walk again,
    // every epoch, over the entries deleted at the front of the map since it was last compacted
    // (a join evicts its oldest keys), which V8 skips one by one.
    let restarted = false;
    while (taken < 2 * n) {
      if (this.sampler === null) {
        // A fresh iteration ended in this call: read no entry twice over.
        if (restarted) return;
        this.sampler = this.map.entries();
        restarted = true;
      }
      const next = this.sampler.next();
      if (next.done === true) {
        this.sampler = null;
        continue;
      }
      const [key, slot] = next.value;
      if (slot.value === undefined) continue;
      yield [key, slot.value];
      taken++;
    }
  }

  /** Where sample() goes on reading older entries. */
  private sampler: IterableIterator<[string, Slot<V>]> | null = null;

  dropDelta(): void {
    this.forgetChanges();
    this.epoch++;
  }

  /** Removes this epoch's tombstones from the map (their deletions are recorded or dropped). */
  private buryTombstones(): void {
    if (this.tombstones === 0) return;
    const keys = this.changed;
    const slots = this.changedSlots;
    // A tombstone stays the map's slot for its key until now: a put revives it, load() and clear() bury first.
    for (let i = 0; i < keys.length; i++) if (slots[i]!.value === undefined) this.map.delete(keys[i]!);
    this.tombstones = 0;
    this.lastKey = undefined;
    this.lastSlot = undefined;
  }

  /** Forgets what the epoch changed (a delta taken or dropped, a restore). */
  private forgetChanges(): void {
    this.buryTombstones();
    this.changed = [];
    this.changedSlots = [];
    this.removedInEpoch = 0;
    this.updatedInEpoch = 0;
  }

  /** Counters for the epoch in progress (call before takeDelta). */
  metrics(): StoreMetrics {
    return { numRowsTotal: this.live, numRowsUpdated: this.updatedInEpoch, numRowsRemoved: this.removedInEpoch };
  }
}

/** FNV-1a over the UTF-16 code units of the key: stable across processes and versions. */
export function partitionOf(key: string, partitions: number): number {
  return (hashOn(HASH_START, key) >>> 0) % partitions;
}

/** The hash partitionOf starts from. */
export const HASH_START = 0x811c9dc5;

/** partitionOf's hash (FNV-1a) carried on over `s`: hashing a key's parts in turn equals hashing the key. */
export function hashOn(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

/**
 * An epoch's delta made from entries given one by one (`add(partition, key, value)`, value
 * undefined for a removal): each partition's entries in the order given, partitions with none left out.
 */
export function collectDelta<V>(partitions: number, fill: (add: (partition: number, key: string, value: V | undefined) => void) => void): EpochDelta<V> {
  const byPartition = new Array<KeyedEntries<V> | undefined>(partitions);
  fill((p, key, value) => {
    let part = byPartition[p];
    if (!part) byPartition[p] = part = { keys: [], values: [] };
    part.keys.push(key);
    part.values.push(value as V);
  });
  const delta: EpochDelta<V> = new Map();
  byPartition.forEach((part, p) => { if (part) delta.set(p, part); });
  return delta;
}
