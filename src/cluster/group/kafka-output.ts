// One writer of a cluster query's Kafka output: one transaction per epoch from a producer with a
// stable transactional.id, the epoch recorded inside the same transaction as the committed
// offset (epoch + 1) of a marker partition for a consumer group nobody consumes with
// (TxnOffsetCommit). Used per key group by the tasks (kafka-task-output.ts) and once by the
// coordinator when it gathers the output (complete mode). Zombies are fenced the KIP-98 way:
// before anything else the producer claims its transactional id (InitProducerId), which aborts
// a transaction an older holder left open, completes one it was committing, and makes every
// later write of that holder fail; only then it reads the marker, which is final by then, so
// an epoch replayed after a crash between the transaction and its record in Redis is skipped.
// Each message carries the epoch in a header.
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import type { Row } from '../../data/row.js';
import type { ToMessage } from '../../connectors/kafka/sink-schema.js';

export const EPOCH_HEADER = 'spate.epoch';

/** Where a transactional id's epochs are recorded: group `group`'s committed offset of `topic`/`partition`. */
export interface EpochMarker {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export class KafkaOutput {
  private producer: Producer | null = null;
  /** The newest epoch Kafka has from this transactional id (read once the id is claimed). */
  private written = -1;

  constructor(private readonly kafka: Kafka, private readonly toMessage: ToMessage, readonly transactionalId: string,
    private readonly marker: EpochMarker, private readonly admin: () => Promise<Admin>) {}

  /** Writes `epoch`'s rows unless the epoch is already in Kafka; true when this call wrote it. */
  async write(epoch: number, rows: readonly Row[]): Promise<boolean> {
    const producer = await this.claim();
    if (this.written >= epoch) return false;
    const byTopic = new Map<string, Message[]>();
    for (const r of rows) {
      const { topic, message } = this.toMessage(r);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({ ...message, headers: { ...(message.headers ?? {}), [EPOCH_HEADER]: String(epoch) } });
    }
    const tx = await producer.transaction();
    try {
      if (byTopic.size) await tx.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      const { group, topic, partition } = this.marker;
      await tx.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition, offset: String(epoch + 1) }] }] });
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
      // kafkajs sends InitProducerId for the transactional id at the first transaction, not at connect().
      await (await p.transaction()).abort();
      const { group, topic, partition } = this.marker;
      const marks = await (await this.admin()).fetchOffsets({ groupId: group, topics: [topic] });
      this.written = Number(marks[0]?.partitions.find((x) => x.partition === partition)?.offset ?? -1) - 1;
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

/** One admin client connected at first use and shared (the markers' reads); connected again after a failed connect. */
export class LazyAdmin {
  private admin: Promise<Admin> | null = null;

  constructor(private readonly kafka: Kafka) {}

  get(): Promise<Admin> {
    if (this.admin) return this.admin;
    const p = (async () => {
      const a = this.kafka.admin();
      await a.connect();
      return a;
    })();
    this.admin = p;
    p.catch(() => { if (this.admin === p) this.admin = null; });
    return p;
  }

  async close(): Promise<void> {
    const p = this.admin;
    this.admin = null;
    if (p) await (await p.catch(() => null))?.disconnect().catch(() => undefined);
  }
}
