// One side's buffered rows in a stream-stream join: the side's JoinStore (join key → the rows
// received with that key, each with whether it matched and the time it is evicted by), row
// counts, and an in-memory index of slots by eviction time, rebuilt from the store when the
// operator opens, which finds what a watermark evicts without scanning the whole state. The
// store is the truth: the runtime persists the keys changed each epoch, partitioned by join key,
// and restores them.
import type { Row } from '../../data/row.js';
import type { JoinStore } from './join-store.js';

/** Width of the eviction index's time buckets. */
const BUCKET_MS = 1000;

export class JoinSideState {
  private count = 0;
  /**
   * Slots with a row of each time bucket. A slot freed and reused since holds another key's
   * rows: visiting it evicts only rows due anyway, so a stale entry costs a visit, nothing more.
   */
  private readonly buckets = new Map<number, number[]>();
  /** Bucket ids in ascending order. */
  private order: number[] = [];
  /** Rows added and removed since the last takeEpochCounts(). */
  private added = 0;
  private removed = 0;

  /** `indexed`: whether this side is evicted at all (else no index is kept). */
  constructor(readonly store: JoinStore, private readonly indexed: boolean) {
    store.forEachRow((slot, t) => {
      this.count++;
      if (indexed && t !== null) this.index(slot, t);
    });
  }

  /** Buffered rows. */
  get rows(): number {
    return this.count;
  }

  /** Distinct join keys buffered. */
  get keys(): number {
    return this.store.size;
  }

  /**
   * Removes the rows of `slot` marked matched, counting them as removed: a left semi join has
   * emitted them and never needs them again.
   */
  removeMatched(slot: number): void {
    const gone = this.store.removeRows(slot, isMatched);
    this.count -= gone;
    this.removed += gone;
  }

  append(key: string, row: Row, matched: boolean, t: number | null): void {
    const slot = this.store.append(key, row, matched, t);
    this.count++;
    this.added++;
    if (this.indexed && t !== null) this.index(slot, t);
  }

  /** Removes every row whose time is at or below `threshold`, passing each to `onEvicted`. */
  evict(threshold: number, onEvicted: (row: Row, matched: boolean) => void): void {
    let done = 0;
    const due = (_row: Row, _matched: boolean, t: number | null): boolean => t !== null && t <= threshold;
    for (const b of this.order) {
      if (b * BUCKET_MS > threshold) break;
      for (const slot of this.buckets.get(b)!) {
        const gone = this.store.removeRows(slot, due, onEvicted);
        this.count -= gone;
        this.removed += gone;
      }
      // A bucket reaching above the threshold keeps its slots: their later rows stay buffered.
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

  private index(slot: number, t: number): void {
    const b = Math.floor(t / BUCKET_MS);
    const slots = this.buckets.get(b);
    if (slots) {
      if (slots[slots.length - 1] !== slot) slots.push(slot);
      return;
    }
    this.buckets.set(b, [slot]);
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

const isMatched = (_row: Row, matched: boolean): boolean => matched;
