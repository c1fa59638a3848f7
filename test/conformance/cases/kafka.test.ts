// The Kafka source, in Spark (its own spark-sql-kafka-0-10 source, kafka.py) and in spate
// (kafkajs), over one topic of a real broker: the rows Spark's Kafka schema gives, and a
// windowed sum with a watermark (09:58 in the last batch is late), three offsets per
// micro-batch. The broker is the one KAFKA_BROKERS names, or one this file starts
// (test/support/kafka-broker.ts).
import { col, count, fromJson, sum, window } from '../../../src/index.js';
import { KafkaBroker } from '../../support/kafka-broker.js';
import type { StagedTopic } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';

let broker: KafkaBroker | undefined;
beforeAll(async () => {
  if (process.env['KAFKA_BROKERS']) return;
  broker = await KafkaBroker.start();
  process.env['KAFKA_BROKERS'] = broker.bootstrap;
}, 300_000);
afterAll(async () => {
  if (!broker) return;
  delete process.env['KAFKA_BROKERS'];
  await broker.stop();
});

const message = (user: string, hhmm: string, amount: number) => ({ key: user, value: JSON.stringify({ ts: at(hhmm), amount }) });

const events: StagedTopic = {
  partitions: 1,
  maxOffsetsPerTrigger: 3,
  messages: [
    message('u1', '10:00', 1), message('u2', '10:01', 2), message('u1', '10:04', 3),
    message('u1', '10:12', 4), { key: 'u3', value: 'not json' }, message('u2', '10:15', 5),
    message('u2', '10:31', 6), { key: null, value: JSON.stringify({ ts: at('10:32'), amount: 7 }) }, message('u1', '10:33', 8),
    message('u1', '09:58', 9), message('u3', '10:45', 10), message('u2', '10:20', 11),
  ],
};

conformanceSuite('kafka', [
  {
    name: 'kafka_rows',
    title: "Kafka records read as Spark's Kafka schema: key, value, partition, offset, timestamp, timestampType",
    streams: {},
    topics: { events },
    outputMode: 'append',
    query: ({ kafka }) => kafka('events').selectExpr(
      'CAST(key AS STRING) AS user', 'CAST(value AS STRING) AS text', 'partition', 'offset', 'timestamp', 'timestampType'),
  },
  {
    name: 'kafka_windowed_sum',
    title: 'a windowed sum with a watermark over JSON values from Kafka, three offsets per batch',
    streams: {},
    topics: { events },
    outputMode: 'update',
    query: ({ kafka }) => kafka('events')
      .select(col('key').cast('string').alias('user'), fromJson(col('value').cast('string'), 'ts TIMESTAMP, amount INT').alias('e'))
      .select('user', 'e.*')
      .withWatermark('ts', '10 minutes').groupBy(window(col('ts'), '10 minutes'), col('user'))
      .agg(sum('amount').alias('total'), count('*').alias('n')),
  },
]);
