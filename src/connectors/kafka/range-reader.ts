// Reads exact offset ranges of Kafka partitions with Fetch requests, one in flight per leader
// broker, so the next fetch is on the wire while the last one's rows are processed. A range is
// read until its end offset whatever the records in it (transaction markers and aborted records
// take offsets but give no rows). Offsets that are gone are data loss: an error, or skipped when
// failOnDataLoss is false.
import type { Row } from '../../data/row.js';
import { withOrigin } from '../../data/row.js';
import { splitChunk } from '../contract.js';
import { ConnectorError } from '../../errors.js';
import type { FetchedPartition, KafkaCluster, KafkaMessage } from './cluster.js';
import { READ_COMMITTED, partitionKey } from './cluster.js';
import type { PartitionRange } from './offsets.js';

export interface ReadSettings {
  readonly includeHeaders: boolean;
  readonly failOnDataLoss: boolean;
  readonly maxBytesPerPartition: number;
  /** Called when offsets were lost and skipped (failOnDataLoss false). */
  readonly onDataLoss?: (message: string) => void;
}

interface Pending {
  readonly topic: string;
  readonly partition: number;
  next: number;
  readonly until: number;
  emptyRounds: number;
}

const MAX_EMPTY_ROUNDS = 50;
const MAX_RETRIES = 8;

export function dataLossMessage(topic: string, partition: number, detail: string): string {
  return `Some data may have been lost because they are not available in Kafka any more; either the data was aged out by Kafka ` +
    `or the topic may have been deleted before all the data in the topic was processed (${topic}-${partition}: ${detail}). ` +
    'If you don\'t want your streaming query to fail on such cases, set the source option "failOnDataLoss" to "false".';
}

export async function* readRanges(cluster: KafkaCluster, ranges: readonly PartitionRange[], settings: ReadSettings): AsyncIterable<Row[]> {
  const pending = new Map<string, Pending>();
  for (const r of ranges) {
    if (r.until > r.from) pending.set(partitionKey(r.topic, r.partition), { topic: r.topic, partition: r.partition, next: r.from, until: r.until, emptyRounds: 0 });
  }
  if (pending.size === 0) return;
  await cluster.track(new Set([...pending.values()].map((p) => p.topic)));
  type Outcome = { node: string; asked: Pending[]; result?: Map<string, FetchedPartition>; error?: unknown };
  const inflight = new Map<string, Promise<Outcome>>();
  const busy = new Set<string>();
  let retries = 0;

  const schedule = (): void => {
    const byNode = new Map<string, Pending[]>();
    const byTopic = new Map<string, Pending[]>();
    for (const [k, p] of pending) {
      if (busy.has(k)) continue;
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, (list = []));
      list.push(p);
    }
    for (const [topic, ps] of byTopic) {
      const leaders = cluster.leaders(topic, ps.map((p) => p.partition));
      for (const p of ps) {
        const node = leaders.get(p.partition);
        if (node === undefined) continue; // no leader known: retried after a metadata refresh
        let list = byNode.get(node);
        if (!list) byNode.set(node, (list = []));
        list.push(p);
      }
    }
    for (const [node, asked] of byNode) {
      if (inflight.has(node)) continue;
      for (const p of asked) busy.add(partitionKey(p.topic, p.partition));
      const requests = asked.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.next }));
      inflight.set(node, cluster.fetch(node, requests, settings.maxBytesPerPartition).then(
        (result) => ({ node, asked, result }),
        (error: unknown) => ({ node, asked, error }),
      ));
    }
  };

  while (pending.size > 0) {
    schedule();
    if (inflight.size === 0) {
      // Every pending partition lacks a known leader.
      if (++retries > MAX_RETRIES) throw new ConnectorError(`Kafka has no leader for ${[...pending.values()].map((p) => `${p.topic}-${p.partition}`).join(', ')}; check the cluster`, { retriable: true });
      await sleep(50 * retries);
      await cluster.refresh();
      continue;
    }
    const outcome = await Promise.race(inflight.values());
    inflight.delete(outcome.node);
    for (const p of outcome.asked) busy.delete(partitionKey(p.topic, p.partition));
    if (outcome.error !== undefined) {
      await recover(cluster, outcome.error, pending, settings, ++retries);
      continue;
    }
    retries = 0;
    // One chunk per partition, marked with it, so that event time can be followed per partition.
    const chunks: Row[][] = [];
    for (const p of outcome.asked) {
      const fetched = outcome.result!.get(partitionKey(p.topic, p.partition));
      if (!fetched) continue;
      const before = p.next;
      const rows: Row[] = [];
      p.next = collect(p, fetched, rows, cluster.isolationLevel === READ_COMMITTED, settings.includeHeaders);
      if (rows.length) chunks.push(withOrigin(splitChunk(`${p.topic}-${p.partition}`, rows), (i) => `topic ${p.topic}, partition ${p.partition}, offset ${String(rows[i]!['offset'])}`));
      if (p.next >= p.until) {
        pending.delete(partitionKey(p.topic, p.partition));
      } else if (p.next === before) {
        const end = Number(cluster.isolationLevel === READ_COMMITTED ? fetched.lastStableOffset ?? fetched.highWatermark : fetched.highWatermark);
        if (end <= p.next || ++p.emptyRounds > MAX_EMPTY_ROUNDS) {
          lost(p, `offsets ${p.next} to ${p.until - 1} are not available, the partition ends at ${end}`, pending, settings);
        }
      } else p.emptyRounds = 0;
    }
    schedule(); // the next fetches go out before these rows are processed
    for (const rows of chunks) yield rows;
  }
}

/** Rows of the fetched messages in [p.next, p.until); returns the new next offset. */
function collect(p: Pending, fetched: FetchedPartition, out: Row[], readCommitted: boolean, includeHeaders: boolean): number {
  let next = p.next;
  let batchEnd = next;
  const aborted = readCommitted ? abortedFilter(fetched) : null;
  for (const m of fetched.messages) {
    const end = Number(m.batchContext.firstOffset) + m.batchContext.lastOffsetDelta + 1;
    if (end > batchEnd) batchEnd = end;
    const offset = Number(m.offset);
    if (offset < p.next) continue; // a fetch returns whole record batches
    if (offset >= p.until) break;
    next = offset + 1;
    if (m.isControlRecord) { aborted?.(m); continue; }
    if (aborted && aborted(m)) continue;
    out.push(toRow(p.topic, p.partition, offset, m, includeHeaders));
  }
  // A batch whose records at these offsets were compacted away still ends where its header says.
  if (next === p.next && batchEnd > next) next = Math.min(batchEnd, p.until);
  return next;
}

/** read_committed: tells whether a message belongs to an aborted transaction (fed every message in order). */
function abortedFilter(fetched: FetchedPartition): (m: KafkaMessage) => boolean {
  const list = [...(fetched.abortedTransactions ?? [])].sort((a, b) => Number(a.firstOffset) - Number(b.firstOffset));
  const open = new Set<string>();
  let i = 0;
  return (m) => {
    const offset = Number(m.offset);
    while (i < list.length && Number(list[i]!.firstOffset) <= offset) open.add(list[i++]!.producerId);
    const pid = m.batchContext.producerId;
    if (m.isControlRecord) { open.delete(pid); return true; }
    return m.batchContext.inTransaction && open.has(pid);
  };
}

function toRow(topic: string, partition: number, offset: number, m: KafkaMessage, includeHeaders: boolean): Row {
  const row: Row = {
    key: m.key, value: m.value, topic, partition, offset,
    timestamp: new Date(Number(m.timestamp)), timestampType: m.batchContext.timestampType,
  };
  if (includeHeaders) {
    const headers: { key: string; value: Buffer | null }[] = [];
    for (const [key, v] of Object.entries(m.headers)) {
      if (Array.isArray(v)) for (const x of v) headers.push({ key, value: x ?? null });
      else headers.push({ key, value: v ?? null });
    }
    row['headers'] = headers;
  }
  return row;
}

function lost(p: Pending, detail: string, pending: Map<string, Pending>, settings: ReadSettings): void {
  const message = dataLossMessage(p.topic, p.partition, detail);
  if (settings.failOnDataLoss) throw new ConnectorError(message);
  settings.onDataLoss?.(message);
  pending.delete(partitionKey(p.topic, p.partition));
}

async function recover(cluster: KafkaCluster, error: unknown, pending: Map<string, Pending>, settings: ReadSettings, attempt: number): Promise<void> {
  const e = error as { name?: string; topic?: string; partition?: number; retriable?: boolean; message?: string };
  if (e.name === 'KafkaJSOffsetOutOfRange' && e.topic !== undefined && e.partition !== undefined) {
    const p = pending.get(partitionKey(e.topic, e.partition));
    if (!p) return;
    const earliest = (await cluster.offsets(new Map([[p.topic, [p.partition]]]), 'earliest')).get(p.topic)?.get(p.partition) ?? p.until;
    if (earliest <= p.next) throw new ConnectorError(dataLossMessage(p.topic, p.partition, `offset ${p.next} is out of range`), { cause: error });
    const message = dataLossMessage(p.topic, p.partition, `offsets ${p.next} to ${Math.min(earliest, p.until) - 1} were deleted; the partition now starts at ${earliest}`);
    if (settings.failOnDataLoss) throw new ConnectorError(message, { cause: error });
    settings.onDataLoss?.(message);
    p.next = earliest;
    if (p.next >= p.until) pending.delete(partitionKey(p.topic, p.partition));
    return;
  }
  if (attempt > MAX_RETRIES) {
    throw new ConnectorError(`reading from Kafka failed ${attempt} times in a row: ${e.message ?? String(error)}`, { cause: error, retriable: true });
  }
  await sleep(Math.min(2000, 50 * 2 ** attempt));
  await cluster.refresh().catch(() => undefined);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
