// Kafka for tests: the real broker the test command started (kafka-broker.ts), or the cluster
// KAFKA_BROKERS names. Tests create their topics with the admin client, with the partition count
// they need (newTopic, createTopic); the test producer never creates one by naming it.
import { randomUUID } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED } from '../../src/connectors/kafka/cluster.js';

export const brokers = (): string => {
  const b = process.env['KAFKA_BROKERS'];
  if (!b) throw new Error('KAFKA_BROKERS is not set: run the tests with `npm test` or `npx jest`, whose global setup starts a Kafka broker');
  return b;
};

export const uniqueTopic = (prefix = 't'): string => `${prefix}-${randomUUID().slice(0, 8)}`;

export function kafka(): Kafka {
  return new Kafka({ brokers: brokers().split(','), clientId: 'spate-test', logLevel: logLevel.NOTHING });
}

export interface TestMessage {
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly partition?: number;
  readonly headers?: IHeaders;
}

/**
 * Produces messages to an existing topic and waits for their acknowledgement by every replica.
 * The producer is idempotent: on a loaded machine a send can time out and be retried, and a plain
 * producer's retry appends the same records twice (seen as duplicated rows in a test).
 */
export async function produce(topic: string, messages: readonly TestMessage[]): Promise<void> {
  const producer = kafka().producer({
    createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) as Message[] });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A new topic of a unique name with `partitions` partitions. */
export async function newTopic(prefix = 't', partitions = 4): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopic(topic, partitions);
  return topic;
}

/**
 * Creates a topic with `partitions` partitions and waits for its leaders. kafkajs' own wait
 * (waitForLeaders) gives up when the broker's metadata does not know the new topic yet, which
 * happens on a loaded machine; this waits until every partition has a leader instead. The
 * creation itself is tried again (up to 5 times) when the broker answers a retriable error.
 */
export async function createTopic(topic: string, partitions = 4): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
        break;
      } catch (e) {
        if ((e as { retriable?: boolean }).retriable !== true || attempt === 5) throw e;
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const known = topics[0]?.partitions ?? [];
        if (known.length === partitions && known.every((p) => p.leader >= 0)) return;
      } catch (error) {
        if (attempt >= 100 || !/does not host this topic-partition|leader/i.test(String(error))) throw error;
      }
      if (attempt >= 100) throw new Error(`topic ${topic} has no leader for all of its ${partitions} partitions after ${attempt} attempts`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

export interface ReadMessage {
  readonly key: string | null;
  readonly value: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly headers: Record<string, string>;
}

/**
 * Every message of a topic, read by a kafkajs consumer of a fresh group from the beginning up to
 * the ends present when called; with `readCommitted` (the default) at isolation level
 * read_committed (up to the last stable offset), else read_uncommitted. kafkajs' consumer is
 * independent of spate's own Kafka reader, so it checks what spate wrote.
 */
export async function readAll(topic: string, readCommitted = true): Promise<ReadMessage[]> {
  const k = kafka();
  const ends = await endOffsets(topic, readCommitted);
  const remaining = new Map([...ends].filter(([, end]) => end > 0));
  const out: ReadMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = k.consumer({ groupId: `reader-${randomUUID()}`, readUncommitted: !readCommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A batch holding only control records or aborted ones reaches this event, not eachBatch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const high = remaining.get(payload.partition);
        if (high !== undefined && Number(payload.lastOffset) + 1 >= high) remaining.delete(payload.partition);
        if (remaining.size === 0) resolve();
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const headers: Record<string, string> = {};
            for (const [hk, hv] of Object.entries(m.headers ?? {})) headers[hk] = String(hv);
            out.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, partition: batch.partition, offset: Number(m.offset), headers });
          }
        },
      }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out.filter((m) => m.offset < ends.get(m.partition)!);
}

/**
 * Each partition's end: its high watermark, or under read_committed its last stable offset
 * (before any transaction still open), as a consumer of that isolation level can reach it.
 */
export async function endOffsets(topic: string, readCommitted: boolean): Promise<Map<number, number>> {
  const admin = kafka().admin();
  await admin.connect();
  const partitions = await admin.fetchTopicMetadata({ topics: [topic] }).finally(() => admin.disconnect());
  const cluster = new KafkaCluster(kafka(), readCommitted ? READ_COMMITTED : READ_UNCOMMITTED);
  await cluster.connect();
  try {
    const ends = await cluster.offsets(new Map([[topic, partitions.topics[0]!.partitions.map((p) => p.partitionId)]]), 'latest');
    return ends.get(topic)!;
  } finally {
    await cluster.disconnect();
  }
}

/** A topic's records read with spate's own static Kafka reader (no consumer group: fast). */
export async function readTopic(topic: string, readCommitted = false): Promise<ReadMessage[]> {
  const { Session } = await import('../../src/index.js');
  const spark = Session.builder().appName('read-topic').create();
  const rows = await spark.read.format('kafka').option('kafka.bootstrap.servers', brokers()).option('subscribe', topic)
    .option('kafka.isolation.level', readCommitted ? 'read_committed' : 'read_uncommitted').load().collect();
  return rows.map((r) => ({
    key: r['key'] === null ? null : (r['key'] as Buffer).toString('utf8'),
    value: r['value'] === null ? null : (r['value'] as Buffer).toString('utf8'),
    partition: r['partition'] as number,
    offset: r['offset'] as number,
    headers: {},
  }));
}
