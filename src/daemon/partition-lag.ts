// Per-partition lag of a source, from its progress offsets when they have the per-partition shape
// {"topic":{"0":123}} (Kafka): records = latest offset - end offset of the batch. Seconds are how
// long the partition has had records waiting: since a batch last read it to its end.
import type { SourceProgress } from '../query/progress.js';

export interface PartitionLag {
  readonly source: string;
  readonly topic: string;
  readonly partition: string;
  readonly records: number;
}

type PartitionOffsets = Record<string, Record<string, number>>;

function isPartitionOffsets(o: unknown): o is PartitionOffsets {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return false;
  return Object.values(o).every((p) => p !== null && typeof p === 'object' && !Array.isArray(p) &&
    Object.values(p as object).every((n) => typeof n === 'number'));
}

export function partitionLags(sources: readonly SourceProgress[]): PartitionLag[] {
  return sources.flatMap((s) => {
    if (!isPartitionOffsets(s.endOffset) || !isPartitionOffsets(s.latestOffset)) return [];
    const end = s.endOffset;
    return Object.entries(s.latestOffset).flatMap(([topic, parts]) => Object.entries(parts).map(([partition, latest]) => ({
      source: s.description, topic, partition, records: Math.max(0, latest - (end[topic]?.[partition] ?? latest)),
    })));
  });
}

/** Remembers when each partition was last read to its end, to give its lag in seconds. */
export class LagClock {
  private readonly caughtUpAt = new Map<string, number>();

  constructor(private readonly startedMs: number) {}

  /** Records a batch's lags, seen at `atMs`. */
  observe(query: string, lags: readonly PartitionLag[], atMs: number): void {
    for (const l of lags) if (l.records === 0) this.caughtUpAt.set(keyOf(query, l), atMs);
  }

  /** Seconds the partition has had records waiting, at `nowMs`. */
  seconds(query: string, lag: PartitionLag, nowMs: number): number {
    if (lag.records === 0) return 0;
    return Math.max(0, nowMs - (this.caughtUpAt.get(keyOf(query, lag)) ?? this.startedMs)) / 1000;
  }
}

function keyOf(query: string, l: PartitionLag): string {
  return JSON.stringify([query, l.source, l.topic, l.partition]);
}
