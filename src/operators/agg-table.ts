// The aggregation's state, kept in columns: a group is a slot (a small integer), and its key
// values, window start and accumulators are the slot's entries in per-column arrays — typed
// arrays for numbers (a window start, a sum or a count: no object per group, no boxed number
// per update), plain arrays for anything else. Slots are found through nested Maps keyed by
// primitives — the window start, then each grouping value (a timestamp by its time, a string or
// number as itself; only a struct, array or binary key is encoded as text). Generated code
// (aggregate-stage.ts) walks the Maps and updates the columns inline, so a row finds and
// updates its group without building anything.
//
// The table is the operator's state store (a ManagedStore): the runtime restores it and takes
// each epoch's delta from it. The checkpoint keeps a group as the entry `{ k, w, a }` under its
// state-store key, as before; an epoch's changed slots are ordered by partition in a typed
// array and written straight from the columns into the codec's buffers (takeEncodableDelta; the
// RecordLayout writes the same bytes for a delta taken as entries), so a checkpoint makes no
// object per entry. A group's store key and shuffle
// partition are worked out once, the first time it is stored.
//
// A table is also the unit of partial aggregation: a stage-one task may aggregate its rows into
// a table of its own and `mergeFrom` folds it into the state's (Spark's map-side combine, then
// merge); `keyGroupOf` tells which shuffle partition a group belongs to.
import { isDate } from 'node:util/types';
import type { BoundAggregate } from '../expr/functions/registry.js';
import type { DataType } from '../expr/types.js';
import type { EncodableDelta, EntryOut, RecordLayout, RecordOut } from '../state/entry-codec.js';
import type { EpochDelta, ManagedStore, StoreMetrics } from '../state/keyed-store.js';
import { HASH_START, collectDelta, hashOn, partitionOf } from '../state/keyed-store.js';
import { orderByPartition } from '../state/partition-order.js';
import { groupKey, singleKey } from './group-key.js';

/** A group's state as the checkpoint keeps it (the state-store value). */
export interface GroupEntry {
  readonly k: unknown[];
  readonly w: number | null;
  readonly a: unknown[];
}

/** Between a window start and the keys of an entry in a state-store key. */
const WINDOW_KEY_SEPARATOR = '\u0003';

/** How a grouping value of a type becomes a Map key: primitives as themselves. */
export type KeyNormalizer = 'identity' | 'time' | 'encoded';

export function keyNormalizer(type: DataType): KeyNormalizer {
  switch (type.kind) {
    case 'string': case 'integer': case 'long': case 'double': case 'boolean': case 'null': return 'identity';
    case 'timestamp': return 'time';
    default: return 'encoded';
  }
}

/**
 * The Map key of a grouping value. Map keys compare by SameValueZero, which matches SQL
 * grouping: every NaN is one group, -0 is 0. Generated code computes the same inline.
 */
export function normalizeKey(v: unknown, how: KeyNormalizer): unknown {
  if (v === undefined || v === null) return null;
  if (how === 'identity') return v;
  if (how === 'time') return isDate(v) ? v.getTime() : v;
  return singleKey(v);
}

/** The fields of a group's entry in the checkpoint. */
const ENTRY_FIELDS = ['k', 'w', 'a'] as const;

/** A slot's last-changed epoch once the slot is free (evicted). */
const FREE = -1;
const INITIAL_CAPACITY = 1024;

/** One accumulator column: numbers in a typed array (with a has-a-value flag when nullable), or any values. */
export type AccumulatorColumn =
  | { readonly kind: 'number'; readonly nullable: boolean; readonly init: number; values: Float64Array; seen: Uint8Array }
  | { readonly kind: 'any'; readonly init: () => unknown; values: unknown[] };

export class AggTable implements ManagedStore {
  /** Window start (if windowed) → each grouping value in turn → slot. Read directly by generated code. */
  readonly root = new Map<unknown, unknown>();
  /** Key column i: the i-th grouping value of each slot. */
  readonly keys: unknown[][];
  /** Each slot's window start (windowed tables). */
  windows: Float64Array;
  readonly accumulators: AccumulatorColumn[];
  /** Each slot's last-changed epoch (FREE for a free slot). */
  changedIn: Int32Array;
  /** Counts epochs: a slot is listed in `changed` once per epoch. */
  epoch = 1;
  /** Slots changed since the last delta, in the order they first changed. */
  changed: number[] = [];
  private partitionOfSlot: Int32Array;
  private storeKeys: (string | undefined)[] = [];
  private removedKeys: string[] = [];
  /** Of the slots in `changed`, those removed since. */
  private changedThenRemoved = 0;
  private readonly free: number[] = [];
  private used = 0;
  private count = 0;
  private capacity = INITIAL_CAPACITY;
  private readonly depth: number;
  /** Entries being restored, by key (deltas replace and delete), until finishRestore. */
  private restoring: Map<string, GroupEntry> | null = null;

  constructor(
    readonly name: string,
    readonly partitions: number,
    readonly windowed: boolean,
    private readonly normalizers: readonly KeyNormalizer[],
    private readonly fns: readonly BoundAggregate[],
  ) {
    // With neither a window nor keys, the single group sits under one constant key.
    this.depth = Math.max(1, (windowed ? 1 : 0) + normalizers.length);
    this.keys = normalizers.map(() => []);
    this.windows = new Float64Array(windowed ? this.capacity : 0);
    this.changedIn = new Int32Array(this.capacity);
    this.partitionOfSlot = new Int32Array(this.capacity).fill(-1);
    this.accumulators = fns.map((f): AccumulatorColumn => (f.numericBuffer
      ? { kind: 'number', nullable: f.numericBuffer.nullable, init: f.numericBuffer.nullable ? 0 : (f.init() as number), values: new Float64Array(this.capacity), seen: new Uint8Array(this.capacity) }
      : { kind: 'any', init: () => f.init(), values: [] }));
  }

  get size(): number {
    return this.count;
  }

  /**
   * A new group of these key values and window start (null if not windowed), with fresh
   * accumulators; the generated code links its slot into the index itself.
   */
  add(k: readonly unknown[], w: number | null): number {
    const slot = this.free.length ? this.free.pop()! : this.used++;
    if (slot >= this.capacity) this.grow();
    for (let i = 0; i < k.length; i++) this.keys[i]![slot] = k[i];
    if (this.windowed) this.windows[slot] = w!;
    for (const acc of this.accumulators) {
      if (acc.kind === 'number') {
        acc.values[slot] = acc.init;
        acc.seen[slot] = 0;
      } else {
        acc.values[slot] = acc.init();
      }
    }
    this.changedIn[slot] = 0;
    this.partitionOfSlot[slot] = -1;
    this.storeKeys[slot] = undefined;
    this.count++;
    return slot;
  }

  /** Marks a slot changed in this epoch (generated code does the same inline). */
  touch(slot: number): void {
    if (this.changedIn[slot] !== this.epoch) {
      this.changedIn[slot] = this.epoch;
      this.changed.push(slot);
    }
  }

  /** The slots changed since the last delta and still present, each once. */
  changedSlots(): number[] {
    return this.changedThenRemoved === 0 ? this.changed : this.changed.filter((s) => this.changedIn[s] !== FREE);
  }

  /** Every slot in use, in index order. */
  *slots(): IterableIterator<number> {
    yield* walk(this.root, this.depth);
  }

  /** The slots of the windows that end at or before `ms` (windowed tables), window by window. */
  slotsOfWindowsEndingBy(ms: number, windowMs: number): number[] {
    const out: number[] = [];
    for (const [start, level] of this.root) {
      if ((start as number) + windowMs > ms) continue;
      if (this.depth === 1) out.push(level as number);
      else for (const slot of walk(level as Map<unknown, unknown>, this.depth - 1)) out.push(slot);
    }
    return out;
  }

  /** The key values of a slot. */
  keyValues(slot: number): unknown[] {
    return this.keys.map((col) => col[slot]);
  }

  /** The window start of a slot (null if not windowed). */
  windowOf(slot: number): number | null {
    return this.windowed ? this.windows[slot]! : null;
  }

  /** Accumulator j of a slot, as the aggregate function sees it. */
  accumulator(slot: number, j: number): unknown {
    const acc = this.accumulators[j]!;
    if (acc.kind === 'any') return acc.values[slot];
    return acc.nullable && acc.seen[slot] === 0 ? null : acc.values[slot];
  }

  setAccumulator(slot: number, j: number, v: unknown): void {
    const acc = this.accumulators[j]!;
    if (acc.kind === 'any') acc.values[slot] = v;
    else if (v === null || v === undefined) acc.seen[slot] = 0;
    else {
      acc.values[slot] = v as number;
      acc.seen[slot] = 1;
    }
  }

  /** A slot as a state entry `{ k, w, a }` (a copy: for a sample or a merge, not the per-row path). */
  entryOf(slot: number): GroupEntry {
    return { k: this.keyValues(slot), w: this.windowOf(slot), a: this.fns.map((_, j) => this.accumulator(slot, j)) };
  }

  /** The slot with these key values and window, if the table has it. */
  find(k: readonly unknown[], w: number | null): number | undefined {
    const path = this.path(k, w);
    let m = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = m.get(path[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) return undefined;
      m = next;
    }
    return m.get(path[path.length - 1]) as number | undefined;
  }

  /** The slot of the group with these key values and window, created (with fresh accumulators) if new. */
  findOrAdd(k: readonly unknown[], w: number | null): number {
    return this.find(k, w) ?? this.link(this.add(k, w));
  }

  /** Removes a group (evicted by the watermark); the delta records the removal and the slot is reused. */
  remove(slot: number): void {
    const path = this.path(this.keyValues(slot), this.windowOf(slot));
    const maps: Map<unknown, unknown>[] = [this.root];
    for (let i = 0; i < path.length - 1; i++) {
      const next = maps[i]!.get(path[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) return;
      maps.push(next);
    }
    if (maps[maps.length - 1]!.get(path[path.length - 1]) !== slot) return;
    maps[maps.length - 1]!.delete(path[path.length - 1]);
    // Drop the Maps the removal left empty (a finished window's level, mostly).
    for (let i = maps.length - 1; i > 0 && maps[i]!.size === 0; i--) maps[i - 1]!.delete(path[i - 1]);
    this.removedKeys.push(this.storeKey(slot));
    if (this.changedIn[slot] === this.epoch) this.changedThenRemoved++;
    this.changedIn[slot] = FREE;
    // Let go of the slot's values; the slot itself waits for the next delta before it is reused,
    // so a changed list never names a slot that now holds another group.
    for (const col of this.keys) col[slot] = undefined;
    for (const acc of this.accumulators) if (acc.kind === 'any') acc.values[slot] = undefined;
    this.storeKeys[slot] = undefined;
    this.freed.push(slot);
    this.count--;
  }

  private freed: number[] = [];

  /**
   * Folds a partial table (the same aggregation over other rows) into this one: each of its
   * groups is merged into the group with the same keys here (created if new) and marked changed.
   */
  mergeFrom(partial: AggTable): void {
    for (const p of partial.slots()) {
      const k = partial.keyValues(p);
      const w = partial.windowOf(p);
      const slot = this.findOrAdd(k, w);
      for (let j = 0; j < this.fns.length; j++) {
        this.setAccumulator(slot, j, this.fns[j]!.merge(this.accumulator(slot, j), partial.accumulator(p, j)));
      }
      this.touch(slot);
    }
  }

  /**
   * Folds decoded partial groups into this table straight from their columns (the grouping
   * values, then the window start if windowed, then the accumulators: partialCodec's layout),
   * building nothing per group but a new group's key list.
   */
  mergeColumns(n: number, cols: readonly (readonly unknown[])[]): void {
    const keyCount = this.keys.length;
    const windows = this.windowed ? cols[keyCount]! : null;
    const firstAcc = keyCount + (this.windowed ? 1 : 0);
    for (let r = 0; r < n; r++) {
      const slot = this.slotAt(cols, r, windows === null ? null : (windows[r] as number));
      for (let j = 0; j < this.fns.length; j++) {
        this.setAccumulator(slot, j, this.fns[j]!.merge(this.accumulator(slot, j), cols[firstAcc + j]![r]));
      }
      this.touch(slot);
    }
  }

  /**
   * Folds groups of a partial table (the same aggregation, made on this thread and flushed, so
   * never written again) into this one, straight from its columns: what mergeColumns does with
   * their decoded copy, without encoding them.
   */
  mergeSlots(partial: AggTable, slots: Int32Array): void {
    const fns = this.fns;
    const pw = partial.windowed ? partial.windows : null;
    for (let i = 0; i < slots.length; i++) {
      const p = slots[i]!;
      const slot = this.slotAt(partial.keys, p, pw === null ? null : pw[p]!);
      for (let j = 0; j < fns.length; j++) this.setAccumulator(slot, j, fns[j]!.merge(this.accumulator(slot, j), partial.accumulator(p, j)));
      this.touch(slot);
    }
  }

  /**
   * The slot of the group whose grouping values are `keyCols[i][r]` and window start `w`
   * (null if not windowed), created with fresh accumulators if new: the index walked as the
   * generated code walks it, building nothing but a new group's key list.
   */
  private slotAt(keyCols: readonly (readonly unknown[])[], r: number, w: number | null): number {
    const keyCount = this.keys.length;
    const normalizers = this.normalizers;
    // The path: the window start, then each normalised grouping value (a constant without either).
    let m = this.root;
    let level = 0;
    let last: unknown = 0;
    if (this.windowed) {
      last = w;
      level++;
    }
    for (let i = 0; i < keyCount; i++) {
      if (level > 0) {
        let next = m.get(last) as Map<unknown, unknown> | undefined;
        if (next === undefined) m.set(last, (next = new Map()));
        m = next;
      }
      last = normalizeKey(keyCols[i]![r], normalizers[i]!);
      level++;
    }
    let slot = m.get(last) as number | undefined;
    if (slot === undefined) {
      const k = new Array<unknown>(keyCount);
      for (let i = 0; i < keyCount; i++) k[i] = keyCols[i]![r];
      slot = this.add(k, w);
      m.set(last, slot);
    }
    return slot;
  }

  /** The state-store key of a slot's group (worked out once). */
  storeKey(slot: number): string {
    let key = this.storeKeys[slot];
    if (key === undefined) {
      const keys = this.keys.length === 1 ? singleKey(this.keys[0]![slot]) : groupKey(this.keyValues(slot));
      key = this.windowed ? `${this.windows[slot]}${WINDOW_KEY_SEPARATOR}${keys}` : keys;
      this.storeKeys[slot] = key;
    }
    return key;
  }

  /**
   * The shuffle partition (key group) of a slot's group: hash(state-store key) mod partitions
   * (worked out once). The key is hashed in its parts, without building it: a partial table
   * routes every group once and never stores one.
   */
  keyGroupOf(slot: number): number {
    let p = this.partitionOfSlot[slot]!;
    if (p >= 0) return p;
    const known = this.storeKeys[slot];
    if (known !== undefined) p = partitionOf(known, this.partitions);
    else {
      let h = HASH_START;
      if (this.windowed) h = this.hashOfWindowPrefix(this.windows[slot]!);
      const keys = this.keys.length === 1 ? singleKey(this.keys[0]![slot]) : groupKey(this.keyValues(slot));
      p = (hashOn(h, keys) >>> 0) % this.partitions;
    }
    this.partitionOfSlot[slot] = p;
    return p;
  }

  private lastWindow = NaN;
  private lastWindowHash = HASH_START;

  /** The hash of `<window start><separator>`, the state-store key's prefix (the last one kept: groups come window by window). */
  private hashOfWindowPrefix(w: number): number {
    if (w !== this.lastWindow) {
      this.lastWindow = w;
      this.lastWindowHash = hashOn(hashOn(HASH_START, `${w}`), WINDOW_KEY_SEPARATOR);
    }
    return this.lastWindowHash;
  }

  // ---- the store, as the runtime manages it ----------------------------------------------------

  /** A delta's value is a slot; the codec writes it as the entry `{ k, w, a }`. */
  readonly recordLayout: RecordLayout = {
    write: (value: unknown, out: RecordOut) => {
      const slot = value as number;
      out.struct(ENTRY_FIELDS);
      out.array(this.keys.length);
      for (const col of this.keys) out.field(col[slot]);
      out.field(this.windowed ? this.windows[slot] : null);
      out.array(this.accumulators.length);
      for (let j = 0; j < this.accumulators.length; j++) out.field(this.accumulator(slot, j));
    },
  };

  clear(): void {
    this.root.clear();
    for (const col of this.keys) col.length = 0;
    for (const acc of this.accumulators) if (acc.kind === 'any') acc.values.length = 0;
    this.storeKeys = [];
    this.changed = [];
    this.removedKeys = [];
    this.changedThenRemoved = 0;
    this.free.length = 0;
    this.freed = [];
    this.used = 0;
    this.count = 0;
    this.restoring = null;
  }

  load(keys: readonly string[], values: readonly unknown[]): void {
    const r = (this.restoring ??= new Map());
    for (let i = 0; i < keys.length; i++) {
      const v = values[i] as GroupEntry | undefined;
      if (v === undefined) r.delete(keys[i]!);
      else r.set(keys[i]!, v);
    }
  }

  finishRestore(): void {
    const r = this.restoring;
    this.restoring = null;
    if (!r) return;
    for (const [key, e] of r) {
      const slot = this.link(this.add(e.k, e.w));
      e.a.forEach((v, j) => this.setAccumulator(slot, j, v));
      this.storeKeys[slot] = key;
    }
  }

  metrics(): StoreMetrics {
    // Spark counts every put, also of a group evicted later in the epoch: each changed slot once.
    return { numRowsTotal: this.count, numRowsUpdated: this.changed.length, numRowsRemoved: this.removedKeys.length };
  }

  takeDelta(): EpochDelta<unknown> {
    const delta = collectDelta<unknown>(this.partitions, (add) => {
      for (const slot of this.changed) if (this.changedIn[slot] !== FREE) add(this.keyGroupOf(slot), this.storeKey(slot), slot);
      for (const key of this.removedKeys) add(partitionOf(key, this.partitions), key, undefined);
    });
    this.dropDelta();
    return delta;
  }

  /** A delta's value (a slot) as its entry `{ k, w, a }`; read before the table changes again. */
  deltaEntry(value: unknown): GroupEntry {
    return this.entryOf(value as number);
  }

  /**
   * The epoch's delta (as takeDelta: each partition's changed groups in the order they first
   * changed, then its removals), written straight from the columns when encoded; it must be
   * encoded before the table changes again. No entry list or object per group is made: the
   * entries are ordered by partition in one typed array.
   */
  takeEncodableDelta(): EncodableDelta {
    const changed = this.changed;
    const removed = this.removedKeys;
    const live = changed.length;
    const partitionOfEntry = new Int32Array(live + removed.length);
    for (let i = 0; i < live; i++) {
      const slot = changed[i]!;
      if (this.changedIn[slot] === FREE) { partitionOfEntry[i] = -1; continue; }
      this.storeKey(slot); // before keyGroupOf, which then hashes the key made here
      partitionOfEntry[i] = this.keyGroupOf(slot);
    }
    for (let j = 0; j < removed.length; j++) partitionOfEntry[live + j] = partitionOf(removed[j]!, this.partitions);
    const { partitions, counts, ends, order } = orderByPartition(partitionOfEntry, this.partitions);
    this.dropDelta();
    return {
      partitions,
      counts,
      write: (i: number, out: EntryOut) => {
        for (let at = ends[i]! - counts[i]!; at < ends[i]!; at++) {
          const e = order[at]!;
          if (e < live) this.writeEntry(changed[e]!, out);
          else {
            out.key(removed[e - live]!);
            out.deleted();
          }
        }
      },
    };
  }

  /** A slot's entry `{ k, w, a }` under its store key, the same bytes as recordLayout writes. */
  private writeEntry(slot: number, out: EntryOut): void {
    out.key(this.storeKeys[slot]!);
    out.struct(ENTRY_FIELDS);
    const keys = this.keys;
    out.array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const v = keys[i]![slot];
      if (typeof v === 'string') out.text(v);
      else if (typeof v === 'number') out.number(v);
      else out.field(v);
    }
    if (this.windowed) out.number(this.windows[slot]!);
    else out.null();
    const accumulators = this.accumulators;
    out.array(accumulators.length);
    for (let j = 0; j < accumulators.length; j++) {
      const acc = accumulators[j]!;
      if (acc.kind === 'any') out.field(acc.values[slot]);
      else if (acc.nullable && acc.seen[slot] === 0) out.null();
      else out.number(acc.values[slot]!);
    }
  }

  dropDelta(): void {
    this.changed = [];
    this.removedKeys = [];
    this.changedThenRemoved = 0;
    this.epoch++;
    // Slots freed this epoch may be reused now: no list names them any more.
    for (const slot of this.freed) this.free.push(slot);
    this.freed = [];
  }

  *sample(n: number): Iterable<[string, unknown]> {
    let taken = 0;
    for (const slot of this.changedSlots()) {
      yield [this.storeKey(slot), this.entryOf(slot)];
      if (++taken === n) break;
    }
    for (const slot of this.slots()) {
      yield [this.storeKey(slot), this.entryOf(slot)];
      if (++taken === 2 * n) return;
    }
  }

  // ---- the index and the columns ---------------------------------------------------------------

  /** Links a slot into the index (replacing one with the same keys, which is freed). */
  private link(slot: number): number {
    const path = this.path(this.keyValues(slot), this.windowOf(slot));
    let m = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      let next = m.get(path[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) m.set(path[i], (next = new Map()));
      m = next;
    }
    const last = path[path.length - 1];
    const replaced = m.get(last) as number | undefined;
    if (replaced !== undefined) {
      this.count--;
      this.changedIn[replaced] = FREE;
      this.free.push(replaced);
    }
    m.set(last, slot);
    return slot;
  }

  private path(k: readonly unknown[], w: number | null): unknown[] {
    const path: unknown[] = this.windowed ? [w] : [];
    this.normalizers.forEach((how, i) => path.push(normalizeKey(k[i], how)));
    if (path.length === 0) path.push(0);
    return path;
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    const f64 = (a: Float64Array): Float64Array => { const b = new Float64Array(capacity); b.set(a); return b; };
    if (this.windowed) this.windows = f64(this.windows);
    const changedIn = new Int32Array(capacity);
    changedIn.set(this.changedIn);
    this.changedIn = changedIn;
    const parts = new Int32Array(capacity).fill(-1);
    parts.set(this.partitionOfSlot);
    this.partitionOfSlot = parts;
    for (const acc of this.accumulators) {
      if (acc.kind !== 'number') continue;
      acc.values = f64(acc.values);
      const seen = new Uint8Array(capacity);
      seen.set(acc.seen);
      acc.seen = seen;
    }
    this.capacity = capacity;
  }
}

function* walk(m: Map<unknown, unknown>, depth: number): IterableIterator<number> {
  if (depth === 1) {
    yield* m.values() as IterableIterator<number>;
    return;
  }
  for (const next of m.values()) yield* walk(next as Map<unknown, unknown>, depth - 1);
}
