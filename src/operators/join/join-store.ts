// One side's buffered rows of a stream-stream join, kept in columns: a join key is a slot (a
// small integer found through a KeyIndex of key → slot, see key-index.ts), and a key holding
// one row — the common case, where keys are ids — keeps that row, its matched flag and its eviction time in the
// slot's entries of per-column arrays, with no object or array made per key. A key holding
// several rows keeps them as a list of `{ r, m, t }` records instead. Written by hand rather
// than with a library: the runtime's store contract (epoch deltas, tombstones, restore) is ours.
//
// It is the join's state store (a ManagedStore): the runtime restores it and takes each epoch's
// delta from it. As InMemoryKeyedStore did for the join before, every key changed in an epoch is
// listed once, and a removed key stays a tombstone (its slot in the index, holding no rows) until
// the delta is taken, so a key removed and buffered again in one epoch is listed once with its
// rows. The checkpoint keeps a key's rows as the list `[{ r, m, t }, ...]`, each row an object of
// the side's columns, exactly as before: the codec writes a changed slot straight from the
// columns (takeEncodableDelta, or the RecordLayout of a delta taken as entries), and a restore
// reads such lists back.
import type { Row } from '../../data/row.js';
import { Codegen, quote } from '../../expr/codegen.js';
import type { EncodableDelta, EntryOut, RecordLayout, RecordOut } from '../../state/entry-codec.js';
import type { EpochDelta, ManagedStore, StoreMetrics } from '../../state/keyed-store.js';
import { collectDelta, partitionOf } from '../../state/keyed-store.js';
import { orderByPartition } from '../../state/partition-order.js';
import { KeyIndex } from './key-index.js';

/** A buffered row as the checkpoint keeps it (and as a key of several rows holds it). */
export interface BufferedRow {
  /** The input row. */
  readonly r: Row;
  /** Whether it has matched a row of the other side (outer joins emit it null-padded only if not). */
  m: boolean;
  /** The time it is evicted by (ms), or null when it is never evicted. */
  readonly t: number | null;
}

const BUFFERED_ROW_FIELDS = ['r', 'm', 't'] as const;

/** Flags of a one-row slot. */
const MATCHED = 1;
const HAS_TIME = 2;

const INITIAL_CAPACITY = 1024;

export class JoinStore implements ManagedStore {
  /** Join key → slot; also this epoch's tombstones (slots holding no rows). */
  private readonly index = new KeyIndex();
  /** Each slot's key (undefined: a free slot). */
  private keyOf: (string | undefined)[] = [];
  /** A one-row slot's row (undefined when the slot holds a list, or no row). */
  private rowOf: (Row | undefined)[] = [];
  /** A slot of several rows: its rows (undefined for a one-row slot, or no row). */
  private listOf: (BufferedRow[] | undefined)[] = [];
  /** A one-row slot's MATCHED and HAS_TIME flags. */
  private flags: Uint8Array;
  /** A one-row slot's eviction time, when HAS_TIME. */
  private times: Float64Array;
  /** Each slot's last-changed epoch. */
  private changedIn: Int32Array;
  /** Each slot's shuffle partition, worked out when its key is filed (its delta entries are written by it). */
  private partitionOfSlot: Int32Array;
  /** Each slot's key's hash in the index (its deletion reads no character of the key). */
  private hashOfSlot: Int32Array;
  private capacity = INITIAL_CAPACITY;
  /** Slots handed out so far (free ones included). */
  private used = 0;
  private readonly free: number[] = [];
  private live = 0;
  private epoch = 1;
  /** Slots changed in this epoch, each once, in the order they first changed. */
  private changed: number[] = [];
  /** Tombstones left in the index this epoch. */
  private tombstones = 0;
  private updatedInEpoch = 0;
  private removedInEpoch = 0;
  /** Where sample() goes on reading older slots. */
  private sampleAt = 0;
  /** How a delta's slot is written: the list of `{ r, m, t }`, each row as an object of the side's columns. */
  readonly recordLayout: RecordLayout;
  /** Writes a live slot's rows (the value recordLayout writes for it). */
  private readonly writeSlot: (slot: number, out: RecordOut) => void;

  constructor(readonly name: string, readonly partitions: number, columns: readonly string[]) {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new RangeError(`spate.sql.shuffle.partitions must be a positive integer, got ${partitions}`);
    }
    this.flags = new Uint8Array(this.capacity);
    this.times = new Float64Array(this.capacity);
    this.changedIn = new Int32Array(this.capacity);
    this.partitionOfSlot = new Int32Array(this.capacity);
    this.hashOfSlot = new Int32Array(this.capacity);
    const writeRow = rowWriter(columns);
    this.writeSlot = (slot: number, out: RecordOut) => {
      const list = this.listOf[slot];
      if (list === undefined) {
        const f = this.flags[slot]!;
        out.array(1);
        writeRow(out, this.rowOf[slot]!, (f & MATCHED) !== 0, (f & HAS_TIME) !== 0 ? this.times[slot]! : null);
        return;
      }
      out.array(list.length);
      for (const e of list) writeRow(out, e.r, e.m, e.t);
    };
    this.recordLayout = { write: (value: unknown, out: RecordOut) => this.writeSlot(value as number, out) };
  }

  /** Join keys holding rows. */
  get size(): number {
    return this.live;
  }

  // ---- reading and changing rows, by slot ------------------------------------------------------

  /** The slot of `key`, or -1; a slot may hold no rows (a key removed this epoch). */
  find(key: string): number {
    return this.index.get(key);
  }

  /** Rows in a slot. */
  count(slot: number): number {
    const list = this.listOf[slot];
    if (list !== undefined) return list.length;
    return this.rowOf[slot] === undefined ? 0 : 1;
  }

  rowAt(slot: number, i: number): Row {
    const list = this.listOf[slot];
    return list === undefined ? this.rowOf[slot]! : list[i]!.r;
  }

  matchedAt(slot: number, i: number): boolean {
    const list = this.listOf[slot];
    return list === undefined ? (this.flags[slot]! & MATCHED) !== 0 : list[i]!.m;
  }

  /** Marks a row matched; call touch(slot) once the slot's rows are done with. */
  setMatched(slot: number, i: number): void {
    const list = this.listOf[slot];
    if (list === undefined) this.flags[slot] = this.flags[slot]! | MATCHED;
    else list[i]!.m = true;
  }

  /** Records that a slot's rows changed, so the epoch's delta holds them. */
  touch(slot: number): void {
    if (this.changedIn[slot] !== this.epoch) {
      this.changedIn[slot] = this.epoch;
      this.changed.push(slot);
      this.updatedInEpoch++;
    }
  }

  /** Buffers a row under `key`; returns its slot. */
  append(key: string, row: Row, matched: boolean, t: number | null): number {
    const h = this.index.hash(key);
    let slot = this.index.get(key, h);
    if (slot < 0) {
      slot = this.allocate(key, h);
      this.live++;
      this.setOne(slot, row, matched, t);
      this.touch(slot);
      return slot;
    }
    const list = this.listOf[slot];
    if (list !== undefined) {
      list.push({ r: row, m: matched, t });
    } else if (this.rowOf[slot] !== undefined) {
      const f = this.flags[slot]!;
      this.listOf[slot] = [
        { r: this.rowOf[slot]!, m: (f & MATCHED) !== 0, t: (f & HAS_TIME) !== 0 ? this.times[slot]! : null },
        { r: row, m: matched, t },
      ];
      this.rowOf[slot] = undefined;
    } else {
      // A tombstone of this epoch comes back to life: counted as a put again, listed once.
      this.setOne(slot, row, matched, t);
      this.live++;
      this.tombstones--;
      this.updatedInEpoch++;
      return slot;
    }
    this.touch(slot);
    return slot;
  }

  /**
   * Removes the rows of `slot` that `remove` picks (given each row and whether it matched),
   * passing each to `onRemoved`; returns how many went.
   */
  removeRows(slot: number, remove: (row: Row, matched: boolean, t: number | null) => boolean,
    onRemoved?: (row: Row, matched: boolean) => void): number {
    const list = this.listOf[slot];
    if (list === undefined) {
      const row = this.rowOf[slot];
      if (row === undefined) return 0;
      const f = this.flags[slot]!;
      const matched = (f & MATCHED) !== 0;
      if (!remove(row, matched, (f & HAS_TIME) !== 0 ? this.times[slot]! : null)) return 0;
      onRemoved?.(row, matched);
      this.rowOf[slot] = undefined;
      this.bury(slot);
      return 1;
    }
    let kept = 0;
    for (const e of list) {
      if (remove(e.r, e.m, e.t)) onRemoved?.(e.r, e.m);
      else list[kept++] = e;
    }
    const gone = list.length - kept;
    if (gone === 0) return 0;
    if (kept === 0) {
      this.listOf[slot] = undefined;
      this.bury(slot);
    } else if (kept === 1) {
      const e = list[0]!;
      this.listOf[slot] = undefined;
      this.setOne(slot, e.r, e.m, e.t);
      this.touch(slot);
    } else {
      list.length = kept;
      this.touch(slot);
    }
    return gone;
  }

  /** Every buffered row's slot and time (to rebuild an index after a restore). */
  forEachRow(f: (slot: number, t: number | null) => void): void {
    for (let slot = 0; slot < this.used; slot++) {
      const list = this.listOf[slot];
      if (list !== undefined) for (const e of list) f(slot, e.t);
      else if (this.rowOf[slot] !== undefined) f(slot, (this.flags[slot]! & HAS_TIME) !== 0 ? this.times[slot]! : null);
    }
  }

  /** A slot's rows as the checkpoint keeps them (memory estimates, cluster mode's entries). */
  entryOf(slot: number): BufferedRow[] {
    const list = this.listOf[slot];
    if (list !== undefined) return list.map((e) => ({ r: e.r, m: e.m, t: e.t }));
    const f = this.flags[slot]!;
    return [{ r: this.rowOf[slot]!, m: (f & MATCHED) !== 0, t: (f & HAS_TIME) !== 0 ? this.times[slot]! : null }];
  }

  deltaEntry(value: unknown): unknown {
    return this.entryOf(value as number);
  }

  // ---- the store, as the runtime manages it ----------------------------------------------------

  clear(): void {
    this.index.clear();
    this.keyOf = [];
    this.rowOf = [];
    this.listOf = [];
    this.free.length = 0;
    this.used = 0;
    this.live = 0;
    this.sampleAt = 0;
    this.forgetChanges();
  }

  /** Applies restored entries (lists of `{ r, m, t }`; `undefined` removes the key), none marked changed. */
  load(keys: readonly string[], values: readonly unknown[]): void {
    this.buryTombstones();
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const list = values[i] as BufferedRow[] | undefined;
      const h = this.index.hash(key);
      let slot = this.index.get(key, h);
      if (list === undefined || list.length === 0) {
        if (slot < 0) continue;
        this.index.delete(key, h);
        this.release(slot);
        this.live--;
        continue;
      }
      if (slot < 0) {
        slot = this.allocate(key, h);
        this.live++;
      }
      if (list.length === 1) {
        const e = list[0]!;
        this.listOf[slot] = undefined;
        this.setOne(slot, e.r, e.m, e.t);
      } else {
        this.rowOf[slot] = undefined;
        this.listOf[slot] = list.map((e) => ({ r: e.r, m: e.m, t: e.t }));
      }
    }
  }

  metrics(): StoreMetrics {
    return { numRowsTotal: this.live, numRowsUpdated: this.updatedInEpoch, numRowsRemoved: this.removedInEpoch };
  }

  /** The epoch's changes by partition: a changed slot's value is the slot (the layout writes its rows), a removed key's `undefined`. */
  takeDelta(): EpochDelta<unknown> {
    const delta = collectDelta<unknown>(this.partitions, (add) => {
      for (const slot of this.changed) add(this.partitionOfSlot[slot]!, this.keyOf[slot]!, this.count(slot) === 0 ? undefined : slot);
    });
    this.dropDelta();
    return delta;
  }

  /**
   * As takeDelta, but the entries are written straight from the columns when encoded (the same
   * bytes as takeDelta's entries through recordLayout): no entry list is built. The epoch's
   * tombstones leave the index here, their keys kept for the writer; the live slots it writes
   * stay as they are until the store changes again.
   */
  takeEncodableDelta(): EncodableDelta {
    const changed = this.changed;
    const n = changed.length;
    const partitionOfEntry = new Int32Array(n);
    /** A removed key's key, by its entry (its slot is freed at once). */
    const removedKey: (string | undefined)[] = this.tombstones === 0 ? [] : new Array<string | undefined>(n);
    for (let i = 0; i < n; i++) {
      const slot = changed[i]!;
      partitionOfEntry[i] = this.partitionOfSlot[slot]!;
      if (this.count(slot) === 0) {
        const key = this.keyOf[slot]!;
        removedKey[i] = key;
        this.index.delete(key, this.hashOfSlot[slot]!);
        this.release(slot);
      }
    }
    this.tombstones = 0;
    const { partitions, counts, ends, order } = orderByPartition(partitionOfEntry, this.partitions);
    this.dropDelta();
    const keyOf = this.keyOf;
    return {
      partitions,
      counts,
      write: (i: number, out: EntryOut) => {
        for (let at = ends[i]! - counts[i]!; at < ends[i]!; at++) {
          const e = order[at]!;
          const removed = removedKey[e];
          if (removed !== undefined) {
            out.key(removed);
            out.deleted();
          } else {
            const slot = changed[e]!;
            out.key(keyOf[slot]!);
            this.writeSlot(slot, out);
          }
        }
      },
    };
  }

  dropDelta(): void {
    this.forgetChanges();
    this.epoch++;
  }

  *sample(n: number): Iterable<[string, unknown]> {
    let taken = 0;
    for (const slot of this.changed) {
      if (this.count(slot) === 0) continue;
      yield [this.keyOf[slot]!, this.entryOf(slot)];
      if (++taken === n) break;
    }
    // Older slots, from where the last sample stopped (a bounded walk: most slots may be free).
    const walk = Math.min(this.used, 64 * n);
    for (let seen = 0; seen < walk && taken < 2 * n; seen++) {
      if (this.sampleAt >= this.used) this.sampleAt = 0;
      const slot = this.sampleAt++;
      if (this.count(slot) === 0) continue;
      yield [this.keyOf[slot]!, this.entryOf(slot)];
      taken++;
    }
  }

  // ---- slots -----------------------------------------------------------------------------------

  private setOne(slot: number, row: Row, matched: boolean, t: number | null): void {
    this.rowOf[slot] = row;
    this.flags[slot] = (matched ? MATCHED : 0) | (t === null ? 0 : HAS_TIME);
    if (t !== null) this.times[slot] = t;
  }

  /** A slot's last row went: it stays in the index as a tombstone until the epoch's delta is taken. */
  private bury(slot: number): void {
    this.live--;
    this.tombstones++;
    this.removedInEpoch++;
    if (this.changedIn[slot] !== this.epoch) {
      this.changedIn[slot] = this.epoch;
      this.changed.push(slot);
    }
  }

  /** A slot for `key` (its index hash `h`), filed in the index. */
  private allocate(key: string, h: number): number {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.used++;
      if (slot === this.capacity) this.grow();
      this.keyOf.push(key);
      this.rowOf.push(undefined);
      this.listOf.push(undefined);
    } else {
      this.keyOf[slot] = key;
    }
    this.changedIn[slot] = 0;
    this.partitionOfSlot[slot] = partitionOf(key, this.partitions);
    this.hashOfSlot[slot] = h;
    this.index.add(key, slot, h);
    return slot;
  }

  /** Frees a slot holding no rows (its key already out of the index). */
  private release(slot: number): void {
    this.keyOf[slot] = undefined;
    this.rowOf[slot] = undefined;
    this.listOf[slot] = undefined;
    this.free.push(slot);
  }

  private grow(): void {
    const capacity = (this.capacity *= 2);
    this.flags = grown(this.flags, new Uint8Array(capacity));
    this.times = grown(this.times, new Float64Array(capacity));
    this.changedIn = grown(this.changedIn, new Int32Array(capacity));
    this.partitionOfSlot = grown(this.partitionOfSlot, new Int32Array(capacity));
    this.hashOfSlot = grown(this.hashOfSlot, new Int32Array(capacity));
  }

  /** Removes this epoch's tombstones from the index and frees their slots (their removal is recorded or dropped). */
  private buryTombstones(): void {
    if (this.tombstones === 0) return;
    for (const slot of this.changed) {
      if (this.count(slot) !== 0) continue;
      this.index.delete(this.keyOf[slot]!, this.hashOfSlot[slot]!);
      this.release(slot);
    }
    this.tombstones = 0;
  }

  private forgetChanges(): void {
    this.buryTombstones();
    this.changed = [];
    this.updatedInEpoch = 0;
    this.removedInEpoch = 0;
  }
}

/**
 * Writes one buffered row as `{ r: { <columns> }, m, t }`, looking up no object's keys: generated
 * from the side's schema (column names quoted as string literals, never pasted), one field read
 * per column.
 */
function rowWriter(columns: readonly string[]): (out: RecordOut, row: Row, matched: boolean, t: number | null) => void {
  const g = new Codegen();
  const fields = g.constant(BUFFERED_ROW_FIELDS);
  const cols = g.constant([...columns]);
  const own = g.constant(Object.prototype.hasOwnProperty);
  // `row["__proto__"]` would read the prototype: that column is read only as the row's own field.
  const read = (c: string): string => (c === '__proto__' ? `(${own}.call(row, ${quote(c)}) ? row[${quote(c)}] : undefined)` : `row[${quote(c)}]`);
  return g.compile(['out', 'row', 'm', 't'], [
    `out.struct(${fields});`,
    `out.struct(${cols});`,
    ...columns.map((c) => `out.field(${read(c)});`),
    'out.field(m);',
    'out.field(t);',
  ]);
}

/** `to` (a larger array of the same kind) holding `from`'s values first. */
function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
