// Spark's WatermarkTracker, and two things Spark lacks. As Spark: each withWatermark's watermark
// is max(its previous value, the max event time it has seen minus the delay), a stream that has
// seen no row counts as 0, and the query's watermark is the min (or max, by
// multipleWatermarkPolicy) over streams, never moving back. Beyond Spark:
//   - idleTimeout: a stream (or, with perPartition, a partition) that has had no row for that
//     long in processing time stops holding the query's watermark back, and holds it again as
//     soon as rows return. When every stream is idle, none holds the others back: the most
//     advanced one sets the watermark.
//   - perPartition: event time is followed per source split (a Kafka partition); the stream's
//     watermark is its slowest active partition's, so one fast partition cannot make the rows of
//     a slower one late.
// Idleness is judged on the query's clock, at each commit and again when a trigger finds no new
// data, so a stream going quiet closes windows without waiting for other data. The watermark
// an epoch runs with is written to the offset log before it runs, so a replay uses the same.
import type { EventTimeStats } from '../operators/event-time-stats.js';

interface SplitTrack {
  watermarkMs: number;
  /** The batch timestamp of the last epoch in which the split had a row. */
  lastActiveMs: number;
}

/** One split's (partition's) watermark at a moment. */
export interface SplitWatermark {
  /** `<source index>` for a source without partitions, else `<source index>/<partition>`. */
  readonly split: string;
  readonly watermarkMs: number;
  readonly idle: boolean;
}

/** One withWatermark's watermark at a moment. */
export interface StreamWatermark {
  readonly stats: EventTimeStats;
  readonly watermarkMs: number;
  /** Idle: it had no row for its idleTimeout (every partition of it idle). */
  readonly idle: boolean;
  /** Its splits, when it follows partitions. */
  readonly splits: readonly SplitWatermark[];
}

export class WatermarkTracker {
  private readonly streams: { readonly stats: EventTimeStats; readonly splits: Map<string, SplitTrack> }[];

  constructor(
    stats: readonly EventTimeStats[],
    private readonly policy: 'min' | 'max',
    /** When this run started: a stream that has had no row since is idle once its timeout passed. */
    private readonly startedAtMs: number,
  ) {
    this.streams = stats.map((s) => ({ stats: s, splits: new Map() }));
  }

  /**
   * Folds in the event times of an epoch triggered at `batchTimestampMs` (its rows, and what a
   * source declared with eventTimeReached: `reached(sourceIndex)`).
   */
  observe(batchTimestampMs: number, reached: (sourceIndex: number) => number | null = () => null): void {
    for (const stream of this.streams) {
      const { stats, splits } = stream;
      for (const [key, figures] of stats.splits) {
        if (figures.count > 0) advance(splits, key, figures.max - stats.delayMs, batchTimestampMs);
      }
      for (const source of stats.sources) {
        const t = reached(source);
        if (t === null) continue;
        for (const key of this.keysOfSource(stream, source)) advance(splits, key, t - stats.delayMs, batchTimestampMs);
      }
    }
  }

  /** Every withWatermark's watermark and idleness at processing time `nowMs`. */
  streamsAt(nowMs: number): StreamWatermark[] {
    return this.streams.map(({ stats, splits }) => {
      const timeout = stats.tracking?.idleTimeoutMs ?? null;
      const isIdle = (lastActiveMs: number): boolean => timeout !== null && nowMs - lastActiveMs >= timeout;
      const all: SplitWatermark[] = [...splits].map(([split, t]) => ({ split, watermarkMs: t.watermarkMs, idle: isIdle(t.lastActiveMs) }));
      const active = all.filter((s) => !s.idle);
      const watermarkMs = all.length === 0 ? 0
        : active.length > 0 ? Math.min(...active.map((s) => s.watermarkMs))
        : Math.max(...all.map((s) => s.watermarkMs));
      const idle = all.length === 0 ? isIdle(this.startedAtMs) : active.length === 0;
      return { stats, watermarkMs, idle, splits: stats.tracking?.perPartition ? all : [] };
    });
  }

  /** The query's watermark at processing time `nowMs`; never below `currentMs`. */
  watermarkAt(nowMs: number, currentMs: number): number {
    const streams = this.streamsAt(nowMs);
    if (streams.length === 0) return currentMs;
    const active = streams.filter((s) => !s.idle).map((s) => s.watermarkMs);
    // Every stream idle: none holds the others back.
    const chosen = active.length === 0 ? Math.max(...streams.map((s) => s.watermarkMs))
      : this.policy === 'min' ? Math.min(...active) : Math.max(...active);
    return Math.max(currentMs, chosen);
  }

  /** The splits of one source a declared event time applies to: all it has (or the source as one split). */
  private keysOfSource(stream: { readonly stats: EventTimeStats; readonly splits: Map<string, SplitTrack> }, source: number): string[] {
    if (!stream.stats.tracking?.perPartition) return [''];
    const own = [...stream.splits.keys()].filter((k) => k === `${source}` || k.startsWith(`${source}/`));
    return own.length ? own : [`${source}`];
  }
}

function advance(splits: Map<string, SplitTrack>, key: string, candidateMs: number, atMs: number): void {
  const t = splits.get(key);
  if (!t) splits.set(key, { watermarkMs: candidateMs, lastActiveMs: atMs });
  else {
    if (candidateMs > t.watermarkMs) t.watermarkMs = candidateMs;
    t.lastActiveMs = atMs;
  }
}
