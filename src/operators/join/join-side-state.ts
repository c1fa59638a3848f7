// One side's buffered rows in a stream-stream join: equi-join key → the list of rows received
// with that key, each with whether it matched and the time it is evicted by. The keyed store
// is the truth (the runtime persists the keys changed each epoch, partitioned by join key, and
// restores them); an in-memory index of keys by eviction time, rebuilt from the store when the
// operator opens, finds what a watermark evicts without scanning the whole state.
import type { Row } from '../../data/row.js';
import type { RecordLayout } from '../../state/entry-codec.js';
import type { KeyValueStore } from '../../state/keyed-store.js';

export interface BufferedRow {
  /** The input row. */
  readonly r: Row;
  /** Whether it has matched a row of the other side (outer joins emit it null-padded only if not). */
  m: boolean;
  /** The time it is evicted by (ms), or null when it is never evicted. */
  readonly t: number | null;
}

const BUFFERED_ROW_FIELDS = ['r', 'm', 't'] as const;

/**
 * How a side's buffered rows are written in the checkpoint: the list of `{ r, m, t }`, each row
 * as an object of the side's columns (what the join reads of it), so the codec looks up no
 * object's keys. A row read back has exactly those columns, in schema order.
 */
export function bufferedRowsLayout(columns: readonly string[]): RecordLayout {
  const cols = [...columns];
  const read = cols.map((c) => (c === '__proto__'
    ? (r: Row) => (Object.prototype.hasOwnProperty.call(r, c) ? r[c] : undefined)
    : (r: Row) => r[c]));
  return {
    write(value, out) {
      const list = value as BufferedRow[];
      out.array(list.length);
      for (const e of list) {
        out.struct(BUFFERED_ROW_FIELDS);
        out.struct(cols);
        for (let i = 0; i < read.length; i++) out.field(read[i]!(e.r));
        out.field(e.m);
        out.field(e.t);
      }
    },
  };
}

/** Width of the eviction index's time buckets. */
const BUCKET_MS = 1000;

export class JoinSideState {
  private count = 0;
  private readonly buckets = new Map<number, string[]>();
  /** Bucket ids in ascending order. */
  private order: number[] = [];
  /** Rows added and removed since the last takeEpochCounts(). */
  private added = 0;
  private removed = 0;

  /** `indexed`: whether this side is evicted at all (else no index is kept). */
  constructor(private readonly store: KeyValueStore<BufferedRow[]>, private readonly indexed: boolean) {
    for (const [key, list] of store.entries()) {
      this.count += list.length;
      if (indexed) for (const e of list) if (e.t !== null) this.index(key, e.t);
    }
  }

  /** Buffered rows. */
  get rows(): number {
    return this.count;
  }

  /** Distinct join keys buffered. */
  get keys(): number {
    return this.store.size;
  }

  /** The rows buffered under `key` (flip `m` on them, then call `changed`). */
  rowsFor(key: string): BufferedRow[] | undefined {
    return this.store.get(key);
  }

  /** Records that rows of `list` (from rowsFor(key)) changed, so the epoch's delta holds them. */
  changed(key: string, list: BufferedRow[]): void {
    this.store.put(key, list);
  }

  /**
   * Removes the rows of `key` marked matched, counting them as removed: a left semi join has
   * emitted them and never needs them again.
   */
  removeMatched(key: string): void {
    const list = this.store.get(key);
    if (!list) return;
    const kept = list.filter((e) => !e.m);
    const gone = list.length - kept.length;
    if (gone === 0) return;
    this.count -= gone;
    this.removed += gone;
    if (kept.length === 0) this.store.delete(key);
    else this.store.put(key, kept);
  }

  append(key: string, row: Row, matched: boolean, t: number | null): void {
    const entry: BufferedRow = { r: row, m: matched, t };
    const list = this.store.get(key);
    if (list) {
      list.push(entry);
      this.store.put(key, list);
    } else {
      this.store.put(key, [entry]);
    }
    this.count++;
    this.added++;
    if (this.indexed && t !== null) this.index(key, t);
  }

  /** Removes every row whose time is at or below `threshold`, passing each to `onEvicted`. */
  evict(threshold: number, onEvicted: (e: BufferedRow) => void): void {
    let done = 0;
    const visited = new Set<string>();
    for (const b of this.order) {
      if (b * BUCKET_MS > threshold) break;
      for (const key of this.buckets.get(b)!) {
        if (visited.has(key)) continue;
        visited.add(key);
        this.evictKey(key, threshold, onEvicted);
      }
      // A bucket reaching above the threshold keeps its keys: their later rows stay buffered.
      if ((b + 1) * BUCKET_MS - 1 > threshold) break;
      this.buckets.delete(b);
      done++;
    }
    if (done > 0) this.order = this.order.slice(done);
  }

  /** Rows added and removed since the last call. */
  takeEpochCounts(): { added: number; removed: number } {
    const c = { added: this.added, removed: this.removed };
    this.added = 0;
    this.removed = 0;
    return c;
  }

  private evictKey(key: string, threshold: number, onEvicted: (e: BufferedRow) => void): void {
    const list = this.store.get(key);
    if (!list) return;
    let kept = 0;
    for (const e of list) {
      if (e.t !== null && e.t <= threshold) onEvicted(e);
      else list[kept++] = e;
    }
    const gone = list.length - kept;
    if (gone === 0) return;
    this.count -= gone;
    this.removed += gone;
    if (kept === 0) {
      this.store.delete(key);
    } else {
      list.length = kept;
      this.store.put(key, list);
    }
  }

  private index(key: string, t: number): void {
    const b = Math.floor(t / BUCKET_MS);
    const keys = this.buckets.get(b);
    if (keys) {
      if (keys[keys.length - 1] !== key) keys.push(key);
      return;
    }
    this.buckets.set(b, [key]);
    const last = this.order[this.order.length - 1];
    if (last === undefined || b > last) {
      this.order.push(b);
    } else {
      let lo = 0;
      let hi = this.order.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.order[mid]! < b) lo = mid + 1;
        else hi = mid;
      }
      this.order.splice(lo, 0, b);
    }
  }
}
