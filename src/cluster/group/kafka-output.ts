// The query's Kafka sink in cluster mode, written by the coordinator with each epoch's rows
// gathered from the key groups (as Spark's driver gathers complete mode and console output):
// one transaction per epoch from a producer with a stable transactional.id, so a coordinator
// that takes over fences the one before it (InitProducerId aborts its open transaction). The
// epoch is recorded inside the same transaction, as the committed offset of a marker consumer
// group (TxnOffsetCommit), so an epoch replayed after a crash between the transaction and the
// commit log is found written and skipped. Each message carries the epoch in a header.
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import type { Row } from '../../data/row.js';
import type { StructType } from '../../expr/types.js';
import { messageWriter } from '../../connectors/kafka/sink-schema.js';
import type { ToMessage } from '../../connectors/kafka/sink-schema.js';

export const EPOCH_HEADER = 'spate.epoch';

export class KafkaOutput {
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private readonly toMessage: ToMessage;
  private readonly markerTopic: string;

  constructor(private readonly kafka: Kafka, schema: StructType, topicOption: string | undefined,
    private readonly transactionalId: string, private readonly markerGroup: string) {
    this.toMessage = messageWriter(schema, topicOption);
    if (topicOption === undefined) throw new Error("cluster mode writes to Kafka with option('topic', ...): a per-row 'topic' column is not supported yet");
    this.markerTopic = topicOption;
  }

  /** Writes `epoch`'s rows unless the epoch is already in Kafka; true when this call wrote it. */
  async write(epoch: number, rows: readonly Row[]): Promise<boolean> {
    // Connecting the producer first fences an older coordinator and ends its open transaction,
    // so the marker read next is final.
    const producer = await this.connect();
    const admin = (this.admin ??= await (async () => { const a = this.kafka.admin(); await a.connect(); return a; })());
    const marks = await admin.fetchOffsets({ groupId: this.markerGroup, topics: [this.markerTopic] });
    const mark = Number(marks[0]?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
    if (mark >= epoch + 1) return false;
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
      await tx.sendOffsets({ consumerGroupId: this.markerGroup, topics: [{ topic: this.markerTopic, partitions: [{ partition: 0, offset: String(epoch + 1) }] }] });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      await this.close();
      throw e;
    }
    return true;
  }

  private async connect(): Promise<Producer> {
    if (this.producer) return this.producer;
    const p = this.kafka.producer({ transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    this.producer = p;
    return p;
  }

  async close(): Promise<void> {
    const p = this.producer;
    const a = this.admin;
    this.producer = null;
    this.admin = null;
    await p?.disconnect().catch(() => undefined);
    await a?.disconnect().catch(() => undefined);
  }
}
