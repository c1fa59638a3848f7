// Kafka for tests: the cluster the test command started (librdkafka's mock via kcat) or a real
// one given by KAFKA_BROKERS. Topics are auto-created by producing to them (the mock has no
// controller, so createTopics is unavailable): every helper that needs a topic produces first.
import { randomUUID } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

export const brokers = (): string => {
  const b = process.env['KAFKA_BROKERS'];
  if (!b) throw new Error('KAFKA_BROKERS is not set: run the tests with `npx jest`, whose global setup starts a Kafka cluster');
  return b;
};

/** True when the cluster is librdkafka's mock, whose transactions are not faithful (DESIGN §7). */
export const isMockCluster = (): boolean => process.env['SPATE_TEST_KAFKA_MOCK'] === '1';

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

/** Produces messages (creating the topic on first use) and waits for their acknowledgement. */
export async function produce(topic: string, messages: readonly TestMessage[]): Promise<void> {
  const producer = kafka().producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) as Message[] });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Creates topics (with the cluster's default of 4 partitions on the mock) by producing nothing useful to them. */
export async function createTopic(topic: string): Promise<void> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined);
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
 * Every message of a topic, read with a consumer of a fresh group from the beginning until the
 * end offsets present when called; `readCommitted` reads with isolation level read_committed.
 */
export async function readAll(topic: string, readCommitted = true): Promise<ReadMessage[]> {
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  const out: ReadMessage[] = [];
  const done = (): boolean => [...remaining.values()].every((v) => v <= 0);
  for (const [p, high] of remaining) remaining.set(p, high);
  if ([...remaining.values()].every((h) => h === 0)) return out;
  const consumer = k.consumer({ groupId: `reader-${randomUUID()}`, readUncommitted: !readCommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const highs = new Map(ends.map((p) => [p.partition, Number(p.high)]));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out reading ${topic}`)), 30_000);
    const seenUpTo = new Map<number, number>();
    const check = (): void => {
      if ([...highs].every(([p, h]) => (seenUpTo.get(p) ?? 0) >= h)) { clearTimeout(timer); resolve(); }
    };
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [hk, hv] of Object.entries(m.headers ?? {})) headers[hk] = String(hv);
          out.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, partition: batch.partition, offset: Number(m.offset), headers });
        }
        seenUpTo.set(batch.partition, Number(batch.lastOffset()) + 1);
        check();
      },
    }).catch(reject);
    check();
  });
  await consumer.disconnect();
  void done;
  return out;
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
