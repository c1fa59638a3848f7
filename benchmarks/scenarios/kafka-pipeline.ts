// Kafka → parse JSON → filter → Kafka: spate's query (Trigger.AvailableNow) beside a plain kafkajs
// consume-and-produce loop doing the same work on the same cluster. The loop's clock starts at its
// first batch (after its consumer group joined); spate's covers the whole query, start to end.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Session, Trigger, col, fromJson, struct, toJson, types as T } from '../../src/index.js';
import type { Scenario } from '../harness.js';
import { measure } from '../harness.js';
import { createTopics, kafkaCluster } from '../kafka-cluster.js';

interface Event { id: number; amount: number; category: string }

export const kafkaPipeline: Scenario = {
  name: 'kafka-pipeline',
  description: 'Kafka → parse JSON → filter → Kafka, 200k events over 4 partitions',
  async run(scale) {
    const n = Math.round(200_000 * scale);
    const cluster = await kafkaCluster();
    const kafka = new Kafka({ brokers: cluster.brokers.split(','), clientId: 'bench', logLevel: logLevel.NOTHING });
    const suffix = randomUUID().slice(0, 8);
    const input = `bench-in-${suffix}`;
    const outHand = `bench-out-hand-${suffix}`;
    const outSpate = `bench-out-spate-${suffix}`;
    const checkpoint = join(tmpdir(), `spate-bench-kafka-${suffix}`);
    const keep = (e: Event): boolean => e.amount > 50;
    let expected = 0;
    try {
      await createTopics(cluster.brokers, [input, outHand, outSpate], 4);
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      for (let i = 0; i < n; i += 5000) {
        const messages = [];
        for (let j = i; j < Math.min(n, i + 5000); j++) {
          const e: Event = { id: j, amount: j % 100, category: `c${j % 10}` };
          if (keep(e)) expected++;
          messages.push({ key: String(j), value: JSON.stringify(e), partition: j % 4 });
        }
        await producer.send({ topic: input, messages });
      }

      // The hand-written loop: a kafkajs consumer, JSON.parse, filter, producer.send per batch.
      const window = { start: 0, end: 0 };
      const measured = await measure(async () => {
        const consumer = kafka.consumer({ groupId: `bench-${suffix}`, maxBytesPerPartition: 4 << 20 });
        await consumer.connect();
        await consumer.subscribe({ topic: input, fromBeginning: true });
        let consumed = 0;
        await new Promise<void>((resolve, reject) => {
          consumer.run({
            eachBatch: async ({ batch }) => {
              if (window.start === 0) window.start = performance.now();
              const out = [];
              for (const m of batch.messages) {
                const e = JSON.parse(m.value!.toString()) as Event;
                if (keep(e)) out.push({ key: String(e.id), value: JSON.stringify({ id: e.id, amount: e.amount, category: e.category }) });
              }
              if (out.length) await producer.send({ topic: outHand, messages: out });
              consumed += batch.messages.length;
              if (consumed >= n) { window.end = performance.now(); resolve(); }
            },
          }).catch(reject);
        });
        await consumer.disconnect();
        return n;
      });
      // From the first batch on: the consumer group's join is left out.
      const handLoop = { ...measured, ms: window.end - window.start };
      await producer.disconnect();

      const spark = Session.builder().appName('bench').create();
      const schema = T.struct([T.field('id', T.long()), T.field('amount', T.integer()), T.field('category', T.string())]);
      const spate = await measure(async () => {
        const q = spark.readStream.format('kafka').option('kafka.bootstrap.servers', cluster.brokers).option('subscribe', input)
          .option('startingOffsets', 'earliest').load()
          .select(fromJson(col('value').cast('string'), schema).alias('e')).select('e.*')
          .filter(col('amount').gt(50))
          .select(col('id').cast('string').alias('key'), toJson(struct('id', 'amount', 'category')).alias('value'))
          .writeStream.format('kafka').option('kafka.bootstrap.servers', cluster.brokers).option('topic', outSpate)
          .option('checkpointLocation', checkpoint).trigger(Trigger.AvailableNow()).start();
        await q.awaitTermination();
        const written = q.recentProgress.reduce((a, p) => a + p.sink.numOutputRows, 0);
        if (written !== expected) throw new Error(`spate wrote ${written} events, expected ${expected}`);
        return n;
      });
      return {
        scenario: this.name,
        description: this.description,
        spate,
        handLoop,
        figures: { kept: expected, cluster: cluster.description },
      };
    } finally {
      await rm(checkpoint, { recursive: true, force: true });
      await cluster.stop();
    }
  },
};

