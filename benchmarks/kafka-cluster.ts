// A Kafka for benchmarks: KAFKA_BROKERS when set, else a real single-node Apache Kafka started
// for the scenario (the tests' broker, tuned for throughput rather than start-up), stopped when
// the scenario ends.
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_VERSION, KafkaBroker } from '../test/support/kafka-broker.js';

export interface BenchCluster {
  readonly brokers: string;
  /** What the figures were measured against, for the results. */
  readonly description: string;
  /** The broker's process id when it was started here (for its CPU time). */
  readonly pid?: number;
  stop(): Promise<void>;
}

export async function kafkaCluster(): Promise<BenchCluster> {
  const given = process.env['KAFKA_BROKERS'];
  if (given) return { brokers: given, description: `KAFKA_BROKERS (${given})`, stop: async () => undefined };
  const broker = await KafkaBroker.start({ tuning: 'throughput', log: (line) => process.stderr.write(`${line}\n`) });
  return {
    brokers: broker.bootstrap,
    description: `Apache Kafka ${KAFKA_VERSION}, one local KRaft node`,
    pid: broker.pid,
    stop: () => broker.stop(),
  };
}

/** Creates topics with `partitions` partitions each; again on a retriable answer (a loaded broker's metadata racing the creation). */
export async function createTopics(brokers: string, topics: readonly string[], partitions: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const admin = new Kafka({ brokers: brokers.split(','), clientId: 'bench-admin', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: partitions })), waitForLeaders: true });
      return;
    } catch (e) {
      if ((e as { retriable?: boolean }).retriable !== true || attempt === 5) throw e;
    } finally {
      await admin.disconnect();
    }
  }
}
