// The query's Kafka sink in cluster mode, written by the coordinator with each epoch's rows
// gathered from the key groups (as Spark's driver gathers complete mode and console output):
// one transaction per epoch from a producer with a stable transactional.id, so a coordinator
// that takes over fences the one before it (InitProducerId aborts its open transaction). The
// epoch is recorded inside the same transaction, as a record of a one-partition marker topic,
// so an epoch replayed after a crash (or a lost lease) between the transaction and the commit
// log is found written and skipped. The marker is read with read_committed once no transaction
// is open on it (last stable offset = high watermark), so a transaction that committed a moment
// ago is always seen: an offset committed inside a transaction (TxnOffsetCommit) was not, right
// after a takeover, and the epoch was written twice. Each message carries the epoch in a header.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED } from '../../connectors/kafka/cluster.js';
import { readRanges } from '../../connectors/kafka/range-reader.js';
import type { Row } from '../../data/row.js';
import type { StructType } from '../../expr/types.js';
import { messageWriter } from '../../connectors/kafka/sink-schema.js';
import type { ToMessage } from '../../connectors/kafka/sink-schema.js';

export const EPOCH_HEADER = 'spate.epoch';

export class KafkaOutput {
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private readers: { committed: KafkaCluster; uncommitted: KafkaCluster } | null = null;
  private readonly toMessage: ToMessage;
  private readonly markerTopic: string;

  constructor(private readonly kafka: Kafka, schema: StructType, topicOption: string | undefined,
    private readonly transactionalId: string, marker: string) {
    this.toMessage = messageWriter(schema, topicOption);
    if (topicOption === undefined) throw new Error("cluster mode writes to Kafka with option('topic', ...): a per-row 'topic' column is not supported yet");
    this.markerTopic = marker.replace(/[^A-Za-z0-9._-]/g, '.');
  }

  /** Writes `epoch`'s rows unless the epoch is already in Kafka; true when this call wrote it. */
  async write(epoch: number, rows: readonly Row[]): Promise<boolean> {
    // Connecting the producer first fences an older coordinator and ends its open transaction,
    // so the marker read next is final.
    const producer = await this.connect();
    if ((await this.lastWrittenEpoch()) >= epoch) return false;
    const byTopic = new Map<string, Message[]>();
    for (const r of rows) {
      const { topic, message } = this.toMessage(r);
      let list = byTopic.get(topic);
      if (!list) byTopic.set(topic, (list = []));
      list.push({ ...message, headers: { ...(message.headers ?? {}), [EPOCH_HEADER]: String(epoch) } });
    }
    byTopic.set(this.markerTopic, [...(byTopic.get(this.markerTopic) ?? []), { partition: 0, value: String(epoch) }]);
    const tx = await producer.transaction();
    try {
      await tx.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      await this.close();
      throw e;
    }
    return true;
  }

  /** The newest epoch the marker topic holds as committed (-1: none), once no transaction on it is undecided. */
  private async lastWrittenEpoch(): Promise<number> {
    const topic = this.markerTopic;
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    }
    if (!this.readers) {
      const readers = { committed: new KafkaCluster(this.kafka, READ_COMMITTED), uncommitted: new KafkaCluster(this.kafka, READ_UNCOMMITTED) };
      await Promise.all([readers.committed.connect(), readers.uncommitted.connect()]);
      this.readers = readers;
    }
    const { committed, uncommitted } = this.readers;
    const parts = new Map([[topic, [0]]]);
    let stable = 0;
    // Our producer's connect ended any transaction older coordinators left open; one that is
    // committing has its markers on the way, and one of a coordinator that took over from us
    // ends by itself (our own transaction then fails as fenced).
    for (let waited = 0; ; waited += 20) {
      const [lso, high] = await Promise.all([committed.offsets(parts, 'latest'), uncommitted.offsets(parts, 'latest')]);
      stable = lso.get(topic)!.get(0)!;
      if (stable >= high.get(topic)!.get(0)!) break;
      if (waited > 120_000) throw new Error(`a transaction on ${topic} stayed open for 2 minutes: is another coordinator writing with ${this.transactionalId}?`);
      await sleep(20);
    }
    // A transaction wrote one marker record and one commit or abort marker: look back until a committed record shows.
    for (let back = 8; ; back *= 4) {
      const from = Math.max(0, stable - back);
      let last = -1;
      for await (const chunk of readRanges(committed, [{ topic, partition: 0, from, until: stable }], { includeHeaders: false, failOnDataLoss: true, maxBytesPerPartition: 1 << 20 })) {
        for (const m of chunk) last = Math.max(last, Number(String(m['value'])));
      }
      if (last >= 0 || from === 0) return last;
    }
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
    const r = this.readers;
    this.producer = null;
    this.admin = null;
    this.readers = null;
    await p?.disconnect().catch(() => undefined);
    await a?.disconnect().catch(() => undefined);
    await Promise.all([r?.committed.disconnect(), r?.uncommitted.disconnect()].map((x) => x?.catch(() => undefined)));
  }
}
