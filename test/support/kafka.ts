// Kafka for tests: the real broker the test command started (kafka-broker.ts), or the cluster
// KAFKA_BROKERS names. Tests create their topics with the admin client, with the partition count
// they need (newTopic, createTopic); the test producer never creates one by naming it.
import { randomUUID } from 'node:crypto';
import type { IHeaders, Message } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED, partitionKey } from '../../src/connectors/kafka/cluster.js';

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
 * Every message of a topic from the beginning up to the ends present when called: with
 * `readCommitted` (the default) the records of committed transactions and non-transactional ones
 * up to the last stable offset, else every record up to the high watermark. The partitions are
 * read with plain fetches at read_uncommitted, markers included, and each transaction's records
 * are kept or dropped by the commit or abort marker that ends it: an outcome derived apart from
 * the broker's aborted-transaction list that spate's reader uses. (kafkajs' consumer is not used
 * for read_committed: its filter takes that list in the order the broker gives it, by abort
 * marker, and opens one entry per record, so the records of a transaction that began before
 * another one on the partition but was aborted after it are handed out as committed.)
 */
export async function readAll(topic: string, readCommitted = true): Promise<ReadMessage[]> {
  const ends = await endOffsets(topic, readCommitted);
  const highs = readCommitted ? await endOffsets(topic, false) : ends;
  const cluster = new KafkaCluster(kafka(), READ_UNCOMMITTED);
  await cluster.connect();
  const out: ReadMessage[] = [];
  try {
    await cluster.track([topic]);
    for (const partition of ends.keys()) {
      const high = highs.get(partition)!;
      /** Per producer id: the records of its open transaction, until its marker says what became of them. */
      const open = new Map<string, ReadMessage[]>();
      for (let next = 0; next < high;) {
        const [node] = cluster.leaders(topic, [partition]).values();
        if (node === undefined) throw new Error(`no leader known for ${topic}-${partition}`);
        const fetched = (await cluster.fetch(node, [{ topic, partition, offset: next }], 1 << 20)).get(partitionKey(topic, partition));
        const before = next;
        for (const m of fetched?.messages ?? []) {
          const offset = Number(m.offset);
          if (offset < next || offset >= high) continue;
          next = offset + 1;
          const pid = m.batchContext.producerId;
          if (m.isControlRecord) {
            // A control record's key is its version and type (int16 each): type 1 commits, 0 aborts.
            const committed = m.key !== null && m.key.length >= 4 && m.key.readInt16BE(2) === 1;
            if (committed || !readCommitted) out.push(...(open.get(pid) ?? []));
            open.delete(pid);
            continue;
          }
          const message: ReadMessage = { key: m.key?.toString() ?? null, value: m.value?.toString() ?? null, partition, offset, headers: headersOf(m.headers) };
          if (!m.batchContext.inTransaction) out.push(message);
          else {
            let records = open.get(pid);
            if (!records) open.set(pid, (records = []));
            records.push(message);
          }
        }
        if (next === before) throw new Error(`reading ${topic}-${partition} made no progress at offset ${next} (high watermark ${high})`);
      }
      // Records of a transaction still open: never read_committed, read_uncommitted up to the high watermark.
      if (!readCommitted) for (const records of open.values()) out.push(...records);
    }
  } finally {
    await cluster.disconnect();
  }
  return out.filter((m) => m.offset < ends.get(m.partition)!).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

function headersOf(headers: Readonly<Record<string, Buffer | Buffer[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = String(v);
  return out;
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
