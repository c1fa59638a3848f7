// Kafka for tests: the real broker the test command started (kafka-broker.ts), or the cluster
// KAFKA_BROKERS names. A test that needs a partition count creates its topics with the admin
// client (createTopic); a topic first named by a producer gets the broker's default of 4.
import { randomUUID } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

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

/** Produces messages to an existing topic and waits for their acknowledgement by every replica. */
export async function produce(topic: string, messages: readonly TestMessage[]): Promise<void> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) as Message[] });
    }
  } finally {
    await producer.disconnect();
  }
}

/** A new topic of a unique name with `partitions` partitions (created with the admin client). */
export async function newTopic(prefix = 't', partitions = 4, config: Readonly<Record<string, string>> = {}): Promise<string> {
  const topic = uniqueTopic(prefix);
  await createTopic(topic, partitions, config);
  return topic;
}

/** Creates a topic with `partitions` partitions (and topic-level configs) and waits for its leaders. */
export async function createTopic(topic: string, partitions = 4, config: Readonly<Record<string, string>> = {}): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
      waitForLeaders: true,
    });
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
 * the end offsets present when called; with `readCommitted` (the default) at isolation level
 * read_committed, else read_uncommitted. kafkajs is independent of spate's own Kafka reader,
 * so it checks what spate wrote. Call it once no transaction is open on the topic.
 */
export async function readAll(topic: string, readCommitted = true): Promise<ReadMessage[]> {
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(ends.filter((p) => Number(p.high) > 0).map((p) => [p.partition, Number(p.high)]));
  const out: ReadMessage[] = [];
  if (remaining.size === 0) return out;
  const consumer = k.consumer({ groupId: `reader-${randomUUID()}`, readUncommitted: !readCommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // Batches of control records or aborted records only reach no handler but this event.
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
  return out.filter((m) => m.offset < Number(ends.find((p) => p.partition === m.partition)!.high));
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
