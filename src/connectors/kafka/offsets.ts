// Kafka source offsets as Spark writes them in the offset log: {"topic":{"0":123,"1":456}}, the
// next offset to read per partition. Keys are kept sorted so equal offsets have equal JSON.

export type KafkaOffsets = Readonly<Record<string, Readonly<Record<string, number>>>>;

export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  /** First offset to read. */
  readonly from: number;
  /** First offset not to read. */
  readonly until: number;
}

export function offsetOf(o: KafkaOffsets, topic: string, partition: number): number | undefined {
  return o[topic]?.[String(partition)];
}

/** Builds offsets from (topic, partition, offset) triples, sorted. */
export function offsetsFrom(entries: Iterable<readonly [string, number, number]>): KafkaOffsets {
  const byTopic = new Map<string, Map<number, number>>();
  for (const [t, p, o] of entries) {
    let m = byTopic.get(t);
    if (!m) byTopic.set(t, (m = new Map()));
    m.set(p, o);
  }
  const out: Record<string, Record<string, number>> = {};
  for (const t of [...byTopic.keys()].sort()) {
    const parts: Record<string, number> = {};
    for (const p of [...byTopic.get(t)!.keys()].sort((a, b) => a - b)) parts[String(p)] = byTopic.get(t)!.get(p)!;
    out[t] = parts;
  }
  return out;
}

export function entriesOf(o: KafkaOffsets): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (const [t, parts] of Object.entries(o)) for (const [p, off] of Object.entries(parts)) out.push([t, Number(p), off]);
  return out;
}

/**
 * Spark's rate limit: `limit` offsets split over the partitions in proportion to how far each is
 * behind; a partition's share is rounded down, or up when below one, and never passes its end.
 */
export function limitOffsets(start: ReadonlyMap<string, number>, end: ReadonlyMap<string, number>, limit: number): Map<string, number> {
  const lags = [...end].map(([k, e]) => [k, Math.max(0, e - (start.get(k) ?? e))] as const);
  const total = lags.reduce((a, [, l]) => a + l, 0);
  const out = new Map(end);
  if (total <= limit) return out;
  for (const [k, lag] of lags) {
    const begin = start.get(k) ?? end.get(k)!;
    const share = (limit * lag) / total;
    const step = share < 1 ? Math.ceil(share) : Math.floor(share);
    out.set(k, Math.min(end.get(k)!, begin + step));
  }
  return out;
}
