// One transactional writer of Kafka output: one transaction per epoch from a producer with a
// stable transactional.id, the epoch recorded inside the same transaction as a record of a
// marker topic's partition. Used per key group by the tasks of a cluster query
// (cluster/group/kafka-task-output.ts) and by the worker threads of master('local[N]')
// (kafka-key-group-sink.ts), partition = key group, and once by a cluster coordinator when it
// gathers the output (complete mode, a one-partition marker topic). Zombies are fenced the KIP-98 way: before anything else the
// producer claims its transactional id (InitProducerId: kafkajs sends it at the first
// transaction, not at connect()), which aborts a transaction an older holder left open,
// completes one it was committing, and makes every later write of that holder fail; only then
// the marker is read, with read_committed once no transaction is open on it (last stable offset
// = high watermark), so an epoch written by an older holder is always seen and skipped. (An
// offset committed inside the transaction, TxnOffsetCommit, was read as not yet written right
// after a takeover, and the epoch was written twice.) Each message carries the epoch in a header.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED } from './cluster.js';
import { readRanges } from './range-reader.js';
import { createServedTopic } from './topic-setup.js';
import type { Row } from '../../data/row.js';
import type { ToMessage } from './sink-schema.js';

export const EPOCH_HEADER = 'spate.epoch';

/** Where a transactional id's epochs are recorded: a record per epoch in `topic`/`partition`. */
export interface EpochMarker {
  readonly topic: string;
  readonly partition: number;
}

/** A Kafka topic name made of the characters Kafka allows. */
export function markerTopicName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '.');
}

export class KafkaOutput {
  private producer: Producer | null = null;
  /** The newest epoch Kafka has from this transactional id (read once the id is claimed). */
  private written = -1;

  /** `epochHeader`: whether each message carries its epoch in an EPOCH_HEADER header. */
  constructor(private readonly kafka: Kafka, private readonly toMessage: ToMessage, readonly transactionalId: string,
    private readonly marker: EpochMarker, private readonly markers: MarkerReader, private readonly epochHeader = true) {}

  /** Writes `epoch`'s rows unless the epoch is already in Kafka; true when this call wrote it. */
  async write(epoch: number, rows: readonly Row[]): Promise<boolean> {
    const producer = await this.claim();
    if (this.written >= epoch) return false;
    const byTopic = new Map<string, Message[]>();
    for (const r of rows) {
      const { topic, message } = this.toMessage(r);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push(this.epochHeader ? { ...message, headers: { ...(message.headers ?? {}), [EPOCH_HEADER]: String(epoch) } } : message);
    }
    const { topic, partition } = this.marker;
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, value: String(epoch) }]);
    const tx = await producer.transaction();
    try {
      await tx.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([t, messages]) => ({ topic: t, messages })) });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      await this.close(); // claimed again (and the marker read again) on the next try
      throw e;
    }
    this.written = epoch;
    return true;
  }

  /** The producer, holding the transactional id; the marker read after the claim. */
  private async claim(): Promise<Producer> {
    if (this.producer) return this.producer;
    const p = this.kafka.producer({ transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    try {
      await (await p.transaction()).abort();
      this.written = await this.markers.lastEpoch(this.marker, this.transactionalId);
    } catch (e) {
      await p.disconnect().catch(() => undefined);
      throw e;
    }
    this.producer = p;
    return p;
  }

  async close(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    await p?.disconnect().catch(() => undefined);
  }
}

/** Reads the epoch markers (one per worker, shared by its outputs); creates a marker topic at its first read. */
export class MarkerReader {
  private admin: Promise<Admin> | null = null;
  private readers: Promise<{ committed: KafkaCluster; uncommitted: KafkaCluster }> | null = null;
  private readonly created = new Map<string, Promise<unknown>>();

  /** `partitions`: how many partitions a marker topic needs (one per writer). */
  constructor(private readonly kafka: Kafka, private readonly partitions: (topic: string) => number) {}

  /** The newest epoch the marker partition holds as committed (-1: none), once no transaction on it is undecided. */
  async lastEpoch({ topic, partition }: EpochMarker, transactionalId: string): Promise<number> {
    // Made once and shared by concurrent callers (the writers of one thread claim their ids together).
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    const admin = await this.admin;
    let created = this.created.get(topic);
    if (!created) this.created.set(topic, (created = createServedTopic(admin, topic, this.partitions(topic))));
    await created;
    this.readers ??= (async () => {
      const readers = { committed: new KafkaCluster(this.kafka, READ_COMMITTED), uncommitted: new KafkaCluster(this.kafka, READ_UNCOMMITTED) };
      await Promise.all([readers.committed.connect(), readers.uncommitted.connect()]);
      return readers;
    })();
    const { committed, uncommitted } = await this.readers;
    const parts = new Map([[topic, [partition]]]);
    let stable = 0;
    // The claim ended any transaction older holders left open; one that was committing has its
    // markers on the way, and one of a holder that took over from us ends by itself (our own
    // transaction then fails as fenced).
    for (let waited = 0; ; waited += 20) {
      const [lso, high] = await Promise.all([committed.offsets(parts, 'latest'), uncommitted.offsets(parts, 'latest')]);
      stable = lso.get(topic)!.get(partition)!;
      if (stable >= high.get(topic)!.get(partition)!) break;
      if (waited > 120_000) throw new Error(`a transaction on ${topic}/${partition} stayed open for 2 minutes: is another process writing with ${transactionalId}?`);
      await sleep(20);
    }
    // A transaction wrote one marker record and one commit or abort marker: look back until a committed record shows.
    for (let back = 8; ; back *= 4) {
      const from = Math.max(0, stable - back);
      let last = -1;
      for await (const chunk of readRanges(committed, [{ topic, partition, from, until: stable }], { includeHeaders: false, failOnDataLoss: true, maxBytesPerPartition: 1 << 20 })) {
        for (const m of chunk) last = Math.max(last, Number(String(m['value'])));
      }
      if (last >= 0 || from === 0) return last;
    }
  }

  async close(): Promise<void> {
    const a = await this.admin?.catch(() => null);
    const r = await this.readers?.catch(() => null);
    this.admin = null;
    this.readers = null;
    this.created.clear();
    await a?.disconnect().catch(() => undefined);
    await Promise.all([r?.committed.disconnect(), r?.uncommitted.disconnect()].map((x) => x?.catch(() => undefined)));
  }
}

/**
 * The newest epoch any writer may have recorded in marker topic `topic` (read_uncommitted: an
 * aborted transaction's record counts too, so this errs high), and its partition count; null
 * when the topic does not exist. Tells a one-thread run which epochs per-key-group writers may
 * have written (kafka-sink.ts), so that it writes those through them, skipping what they have.
 */
export async function newestMarkedEpoch(kafka: Kafka, topic: string): Promise<{ epoch: number; partitions: number } | null> {
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number[];
  try {
    if (!(await admin.listTopics()).includes(topic)) return null;
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    partitions = meta.topics[0]!.partitions.map((p) => p.partitionId);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const reader = new KafkaCluster(kafka, READ_UNCOMMITTED);
  await reader.connect();
  try {
    const high = (await reader.offsets(new Map([[topic, partitions]]), 'latest')).get(topic)!;
    // Each transaction leaves its record and a commit or abort marker: the last few offsets hold the newest record.
    const ranges = partitions.map((partition) => ({ topic, partition, from: Math.max(0, high.get(partition)! - 8), until: high.get(partition)! }));
    let epoch = -1;
    for await (const chunk of readRanges(reader, ranges, { includeHeaders: false, failOnDataLoss: true, maxBytesPerPartition: 1 << 20 })) {
      for (const m of chunk) epoch = Math.max(epoch, Number(String(m['value'])));
    }
    return { epoch, partitions: partitions.length };
  } finally {
    await reader.disconnect().catch(() => undefined);
  }
}
