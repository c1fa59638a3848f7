// Registers `kafka` as a streaming source, a static reader (spark.read, from startingOffsets to
// endingOffsets) and a sink.
import { Kafka } from 'kafkajs';
import type { Row } from '../../data/row.js';
import { AnalysisError, ConnectorError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import { BINARY, INTEGER, LONG, STRING, TIMESTAMP, arrayOf, fieldOf, structOf } from '../../expr/types.js';
import type { SinkOptions, SourceOptions, StreamSink, TaskSinkOptions } from '../contract.js';
import { booleanOption, numberOption, registerSink, registerSource, stringOption } from '../contract.js';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED } from './cluster.js';
import { KAFKA_SINK_OPTIONS, KAFKA_SOURCE_OPTIONS, checkSinkOptions, kafkaConfig } from './kafka-options.js';
import type { KafkaSinkSettings } from './kafka-sink.js';
import { KafkaSink, KafkaTaskSink } from './kafka-sink.js';
import { KafkaKeyGroupTaskSink } from './kafka-key-group-sink.js';
import { KafkaSource, readSettings } from './kafka-source.js';
import type { PartitionRange } from './offsets.js';
import { discoverPartitions, resolveOffsets } from './partitions.js';
import { readRanges } from './range-reader.js';
import { messageWriter } from './sink-schema.js';
import { kafkaSourceSettings } from './source-options.js';

const BASE_FIELDS = [
  fieldOf('key', BINARY), fieldOf('value', BINARY), fieldOf('topic', STRING), fieldOf('partition', INTEGER),
  fieldOf('offset', LONG), fieldOf('timestamp', TIMESTAMP), fieldOf('timestampType', INTEGER),
];

/** Spark's Kafka row schema, with headers when includeHeaders is true. */
export function kafkaSchema(includeHeaders: boolean): StructType {
  return structOf(includeHeaders
    ? [...BASE_FIELDS, fieldOf('headers', arrayOf(structOf([fieldOf('key', STRING), fieldOf('value', BINARY)])))]
    : BASE_FIELDS);
}

function checkNoSchema(opts: SourceOptions): void {
  if (opts.userSchema) throw new AnalysisError('Kafka source has a fixed schema and cannot be set with a custom one: cast value with fromJson or fromAvro instead');
}

async function readStatic(opts: SourceOptions): Promise<Row[]> {
  const settings = kafkaSourceSettings(opts, false);
  const cluster = new KafkaCluster(new Kafka(kafkaConfig(opts.options, 'spate-batch')), settings.readCommitted ? READ_COMMITTED : READ_UNCOMMITTED);
  await cluster.connect();
  try {
    const parts = await discoverPartitions(cluster, settings.strategy);
    const [start, end] = await Promise.all([
      resolveOffsets(cluster, parts, settings.starting, 'startingOffsets'),
      resolveOffsets(cluster, parts, settings.ending, 'endingOffsets'),
    ]);
    const ranges = [...end].flatMap(([topic, m]) => [...m].map(([partition, until]) => ({ topic, partition, from: start.get(topic)?.get(partition) ?? until, until })));
    const rows: Row[] = [];
    for await (const chunk of readRanges(cluster, ranges, settings)) for (const r of chunk) rows.push(r);
    return rows;
  } finally {
    await cluster.disconnect().catch(() => undefined);
  }
}

registerSource('kafka', {
  options: KAFKA_SOURCE_OPTIONS,
  schema(opts) {
    checkNoSchema(opts);
    return kafkaSchema(kafkaSourceSettings(opts, opts.streaming !== false).includeHeaders);
  },
  create(opts) {
    const settings = kafkaSourceSettings(opts, true);
    return new KafkaSource(kafkaSchema(settings.includeHeaders), settings, opts.options);
  },
  readStatic,
  // A worker thread reads the partition ranges dealt to it over its own connection, opened at its first range.
  splitReader(opts) {
    const settings = kafkaSourceSettings(opts, true);
    let cluster: Promise<KafkaCluster> | null = null;
    const connect = async (): Promise<KafkaCluster> => {
      const c = new KafkaCluster(new Kafka(kafkaConfig(opts.options, 'spate-source-task')), settings.readCommitted ? READ_COMMITTED : READ_UNCOMMITTED);
      try {
        await c.connect();
      } catch (e) {
        throw new ConnectorError(`cannot connect to Kafka at ${opts.options['kafka.bootstrap.servers']}: ${(e as Error).message}; check kafka.bootstrap.servers`, { cause: e, retriable: true });
      }
      return c;
    };
    return {
      async *read(split) {
        cluster ??= connect();
        yield* readRanges(await cluster, [split as PartitionRange], readSettings(settings));
      },
      async close() {
        if (cluster) await (await cluster.catch(() => null))?.disconnect().catch(() => undefined);
      },
    };
  },
});

registerSink('kafka', {
  options: KAFKA_SINK_OPTIONS,
  create(opts: SinkOptions): StreamSink {
    return new KafkaSink(kafkaSinkSettings(opts), opts.options);
  },
  taskSink: (opts) => {
    const settings = kafkaSinkSettings(opts);
    if (settings.transactional && opts.keyGroups === undefined) throw new Error('internal: a transactional Kafka sink on a worker thread needs the query\'s key group count');
    return settings.transactional
      ? new KafkaKeyGroupTaskSink(settings, opts.options, opts.schema, opts.queryId, opts.keyGroups!)
      : new KafkaTaskSink(settings, opts.options, opts.schema, opts.queryId);
  },
});

/** The sink's settings from its options, checked (at start() and on each worker thread). */
function kafkaSinkSettings(opts: SinkOptions | TaskSinkOptions): KafkaSinkSettings {
  const o = opts.options;
  checkSinkOptions(o);
  const topic = stringOption(o, 'topic')?.trim();
  if (opts.schema) messageWriter(opts.schema, topic);
  const acks = (o['kafka.acks'] ?? 'all').toLowerCase();
  if (!['all', '-1', '0', '1'].includes(acks)) throw new AnalysisError(`kafka.acks must be all, -1, 0 or 1, got '${acks}'`);
  const compression = (o['kafka.compression.type'] ?? 'none').toLowerCase();
  if (compression !== 'none' && compression !== 'gzip') {
    throw new AnalysisError(`kafka.compression.type ${compression} is not available: kafkajs ships gzip only (use none or gzip)`);
  }
  const transactional = booleanOption(o, 'transactional', false);
  if (transactional && acks !== 'all' && acks !== '-1') throw new AnalysisError('a transactional Kafka sink needs kafka.acks=all');
  return {
    topic: topic === '' ? undefined : topic,
    transactional,
    acks: acks === 'all' ? -1 : (Number(acks) as -1 | 0 | 1),
    compression,
    maxInFlight: numberOption(o, 'maxInFlightSends', 16, (n) => Number.isInteger(n) && n > 0),
    batchMessages: numberOption(o, 'producerBatchMessages', 1000, (n) => Number.isInteger(n) && n > 0),
    transactionTimeoutMs: numberOption(o, 'kafka.transaction.timeout.ms', 60_000, (n) => Number.isInteger(n) && n > 0),
  };
}
