// The aggregation's state: one mutable buffer per group (its key values, window start and
// accumulators), found through nested Maps keyed by primitives — the window start, then each
// grouping value (a timestamp by its time, a string or number as itself; only a struct, array or
// binary key is encoded as text). Generated code walks the Maps inline, so a row finds its group
// without building a key string.
//
// The table is the operator's state store (a ManagedStore): the runtime restores it and takes
// each epoch's delta from it. Groups are written in the checkpoint as the entries
// `{ k, w, a }` under their state-store keys, as before; a group's key and shuffle partition are
// worked out once, the first time it is stored, and the groups an epoch changed are listed once
// each, so a delta is the changed groups themselves, encoded once.
//
// A table is also the unit of partial aggregation: a stage-one task may aggregate its rows into
// a table of its own and `mergeFrom` folds it into the state's (Spark's map-side combine, then
// merge); `keyGroupOf` tells which shuffle partition a group belongs to.
import { isDate } from 'node:util/types';
import type { DataType } from '../expr/types.js';
import type { EpochDelta, KeyedEntries, ManagedStore, StoreMetrics } from '../state/keyed-store.js';
import { partitionOf } from '../state/keyed-store.js';
import { groupKey, singleKey } from './group-key.js';

/** A group's state as the checkpoint keeps it (the state-store value). */
export interface GroupEntry {
  readonly k: unknown[];
  readonly w: number | null;
  readonly a: unknown[];
}

/** A group of the table: its entry's fields, with what the table tracks about it. */
export interface Group extends GroupEntry {
  /** The state-store key, worked out the first time the group is stored. */
  key: string | undefined;
  /** Its shuffle partition (-1 until worked out). */
  part: number;
  /** The table epoch in which the group last changed (REMOVED once evicted). */
  epoch: number;
}

const REMOVED = -1;
/** The fields of a group the checkpoint keeps. */
const ENTRY_FIELDS = ['k', 'w', 'a'] as const;

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

/** Every group has this one shape, so generated code reads groups monomorphically. */
function makeGroup(k: unknown[], w: number | null, a: unknown[], key: string | undefined): Group {
  return { k, w, a, key, part: -1, epoch: 0 };
}

export class AggTable implements ManagedStore {
  /** Window start (if windowed) → each grouping value in turn → Group. Read directly by generated code. */
  readonly root = new Map<unknown, unknown>();
  /** Groups changed since the last delta, in the order they first changed. */
  changed: Group[] = [];
  /** Counts epochs: a group is listed in `changed` once per epoch. */
  epoch = 1;
  readonly recordFields = ENTRY_FIELDS;
  private removedKeys: string[] = [];
  /** Of the groups in `changed`, those removed since. */
  private changedThenRemoved = 0;
  private count = 0;
  private readonly depth: number;
  /** Entries being restored, by key (deltas replace and delete), until finishRestore. */
  private restoring: Map<string, GroupEntry> | null = null;

  constructor(
    readonly name: string,
    readonly partitions: number,
    private readonly windowed: boolean,
    private readonly keys: readonly KeyNormalizer[],
    /** Fresh accumulators for a new group. */
    private readonly init: () => unknown[],
  ) {
    // With neither a window nor keys, the single group sits under one constant key.
    this.depth = Math.max(1, (windowed ? 1 : 0) + keys.length);
  }

  get size(): number {
    return this.count;
  }

  /** A new group with fresh accumulators; the generated code links it into the index itself. */
  add(k: unknown[], w: number | null): Group {
    this.count++;
    return makeGroup(k, w, this.init(), undefined);
  }

  /** The groups changed since the last call, each once. */
  takeChanged(): Group[] {
    return this.changed.filter((g) => g.epoch !== REMOVED);
  }

  /** The group with an entry's key values and window, if the table has it. */
  find(e: GroupEntry): Group | undefined {
    const path = this.path(e);
    let m = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      const next = m.get(path[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) return undefined;
      m = next;
    }
    return m.get(path[path.length - 1]) as Group | undefined;
  }

  /** Removes a group (evicted by the watermark); the delta records the removal. */
  remove(g: Group): void {
    const path = this.path(g);
    const maps: Map<unknown, unknown>[] = [this.root];
    for (let i = 0; i < path.length - 1; i++) {
      const next = maps[i]!.get(path[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) return;
      maps.push(next);
    }
    if (maps[maps.length - 1]!.get(path[path.length - 1]) !== g) return;
    maps[maps.length - 1]!.delete(path[path.length - 1]);
    // Drop the Maps the removal left empty (a finished window's level, mostly).
    for (let i = maps.length - 1; i > 0 && maps[i]!.size === 0; i--) maps[i - 1]!.delete(path[i - 1]);
    this.count--;
    this.removedKeys.push(this.storeKey(g));
    if (g.epoch === this.epoch) this.changedThenRemoved++;
    g.epoch = REMOVED;
  }

  /** Every group, in index order. */
  *groups(): IterableIterator<Group> {
    yield* walk(this.root, this.depth);
  }

  /**
   * Folds a partial table (the same aggregation over other rows) into this one: each of its
   * groups is merged into the group with the same keys here (created if new) and marked changed.
   */
  mergeFrom(partial: AggTable, merge: ReadonlyArray<(a: unknown, b: unknown) => unknown>): void {
    for (const p of partial.groups()) {
      let g = this.find(p);
      if (g === undefined) g = this.link(this.add(p.k, p.w));
      for (let j = 0; j < merge.length; j++) g.a[j] = merge[j]!(g.a[j], p.a[j]);
      if (g.epoch !== this.epoch) {
        g.epoch = this.epoch;
        this.changed.push(g);
      }
    }
  }

  /** The state-store key of a group (worked out once). */
  storeKey(g: Group): string {
    if (g.key === undefined) g.key = storeKeyOf(g, this.windowed);
    return g.key;
  }

  /** The shuffle partition (key group) of a group: hash(state-store key) mod partitions (worked out once). */
  keyGroupOf(g: Group): number {
    if (g.part < 0) g.part = partitionOf(this.storeKey(g), this.partitions);
    return g.part;
  }

  // ---- the store, as the runtime manages it ----------------------------------------------------

  clear(): void {
    this.root.clear();
    this.changed = [];
    this.removedKeys = [];
    this.changedThenRemoved = 0;
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
      this.link(makeGroup(e.k, e.w, e.a, key));
      this.count++;
    }
  }

  metrics(): StoreMetrics {
    const removed = this.removedKeys.length;
    return { numRowsTotal: this.count, numRowsUpdated: this.changed.length - this.changedThenRemoved, numRowsRemoved: removed };
  }

  takeDelta(): EpochDelta<unknown> {
    const byPartition = new Array<KeyedEntries<unknown> | undefined>(this.partitions);
    const add = (p: number, key: string, value: Group | undefined): void => {
      let part = byPartition[p];
      if (!part) byPartition[p] = part = { keys: [], values: [] };
      part.keys.push(key);
      part.values.push(value);
    };
    for (const g of this.changed) if (g.epoch !== REMOVED) add(this.keyGroupOf(g), this.storeKey(g), g);
    for (const key of this.removedKeys) add(partitionOf(key, this.partitions), key, undefined);
    const delta: EpochDelta<unknown> = new Map();
    byPartition.forEach((part, p) => { if (part) delta.set(p, part); });
    this.dropDelta();
    return delta;
  }

  dropDelta(): void {
    this.changed = [];
    this.removedKeys = [];
    this.changedThenRemoved = 0;
    this.epoch++;
  }

  *sample(n: number): Iterable<[string, unknown]> {
    let taken = 0;
    const entry = (g: Group): [string, GroupEntry] => [this.storeKey(g), { k: g.k, w: g.w, a: g.a }];
    for (const g of this.changed) {
      if (g.epoch === REMOVED) continue;
      yield entry(g);
      if (++taken === n) break;
    }
    for (const g of this.groups()) {
      yield entry(g);
      if (++taken === 2 * n) return;
    }
  }

  // ---- the index -------------------------------------------------------------------------------

  /** Links a group into the index (replacing one with the same keys). */
  private link(g: Group): Group {
    const path = this.path(g);
    let m = this.root;
    for (let i = 0; i < path.length - 1; i++) {
      let next = m.get(path[i]) as Map<unknown, unknown> | undefined;
      if (next === undefined) m.set(path[i], (next = new Map()));
      m = next;
    }
    if (m.has(path[path.length - 1])) this.count--;
    m.set(path[path.length - 1], g);
    return g;
  }

  private path(e: GroupEntry): unknown[] {
    const path: unknown[] = this.windowed ? [e.w] : [];
    this.keys.forEach((how, i) => path.push(normalizeKey(e.k[i], how)));
    if (path.length === 0) path.push(0);
    return path;
  }
}

function* walk(m: Map<unknown, unknown>, depth: number): IterableIterator<Group> {
  if (depth === 1) {
    yield* m.values() as IterableIterator<Group>;
    return;
  }
  for (const next of m.values()) yield* walk(next as Map<unknown, unknown>, depth - 1);
}

/**
 * The state-store key of an entry: its keys' key (group-key.ts), after the window start and a
 * separator when windowed. A window start is a decimal integer, so the first separator ends it.
 */
export function storeKeyOf(e: GroupEntry, windowed: boolean): string {
  const keys = groupKey(e.k);
  return windowed ? `${e.w}${WINDOW_KEY_SEPARATOR}${keys}` : keys;
}
