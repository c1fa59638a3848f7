// What a withWatermark step of a stateless chain records over an epoch: the event times of the
// rows that passed it, per source split when the watermark follows partitions, and the rows it
// dropped for being too far in the future. The engine turns these into the watermark
// (query/watermark-tracker.ts) and progress.
import type { Row } from '../data/row.js';
import type { WatermarkTracking } from '../plan/logical.js';

/** Event-time figures of the rows of one split (or of the whole stream) in an epoch. */
export class SplitEventTime {
  max = -Infinity;
  min = Infinity;
  sum = 0;
  count = 0;

  reset(): void {
    this.max = -Infinity;
    this.min = Infinity;
    this.sum = 0;
    this.count = 0;
  }
}

/** The split every row counts under when the watermark does not follow partitions. */
const WHOLE_STREAM = '';

/** Event-time statistics of one withWatermark column over an epoch (for the watermark and progress). */
export class EventTimeStats {
  /** Figures per split: one entry, WHOLE_STREAM, unless tracking.perPartition. */
  readonly splits = new Map<string, SplitEventTime>();
  /** Rows with an event time above this are dropped (the epoch's trigger time plus maxFutureSkew). */
  futureLimitMs = Infinity;
  /** Rows dropped this epoch for an event time beyond futureLimitMs. */
  futureRows = 0;
  /** Where a row dropped for its future event time goes (the dead letters), when the query has a dead-letter sink. */
  onFutureRow: ((row: Row) => void) | null = null;

  constructor(
    readonly column: string,
    readonly delayMs: number,
    readonly tracking: WatermarkTracking | null = null,
    /** The indexes of the query's sources below this withWatermark. */
    readonly sources: readonly number[] = [],
  ) {}

  /** Where the rows of a chunk from `split` are counted. */
  statsFor(split: string | null): SplitEventTime {
    const key = this.tracking?.perPartition ? split ?? WHOLE_STREAM : WHOLE_STREAM;
    let s = this.splits.get(key);
    if (!s) this.splits.set(key, (s = new SplitEventTime()));
    return s;
  }

  /** Starts an epoch triggered at `batchTimestampMs`: figures cleared, the future limit set. */
  beginEpoch(batchTimestampMs: number): void {
    this.reset();
    const skew = this.tracking?.maxFutureSkewMs ?? null;
    this.futureLimitMs = skew === null ? Infinity : batchTimestampMs + skew;
  }

  reset(): void {
    for (const s of this.splits.values()) s.reset();
    this.futureRows = 0;
  }

  get max(): number {
    let m = -Infinity;
    for (const s of this.splits.values()) if (s.max > m) m = s.max;
    return m;
  }

  get min(): number {
    let m = Infinity;
    for (const s of this.splits.values()) if (s.min < m) m = s.min;
    return m;
  }

  get sum(): number {
    let n = 0;
    for (const s of this.splits.values()) n += s.sum;
    return n;
  }

  get count(): number {
    let n = 0;
    for (const s of this.splits.values()) n += s.count;
    return n;
  }
}
