// Who writes a cluster query's sink. Every key group's task writes its own part (task-sink.ts)
// for the Kafka sink (a transactional producer per key group), the file sinks (part files per
// key group, the manifest from the coordinator) and foreachBatch (called per task with that
// task's rows and the batch id). Complete mode (each epoch is the whole result table) and the
// console gather the key groups' outputs on the coordinator, which writes them as one epoch.
import type { Kafka } from 'kafkajs';
import type { Row } from '../../data/row.js';
import { AnalysisError } from '../../errors.js';
import { booleanOption, numberOption } from '../../connectors/contract.js';
import { consoleBatch } from '../../connectors/console/console-sink.js';
import type { BatchFunction } from '../../connectors/foreach/foreach-batch-sink.js';
import { messageWriter } from '../../connectors/kafka/sink-schema.js';
import type { ClusterQuery } from './cluster-query.js';
import type { EpochOutput } from './epoch-output.js';
import { GatheredOutput, TaskEpochOutput } from './epoch-output.js';
import type { Fencing } from './fencing.js';
import { FileTaskOutput, manifestCommit } from './file-task-output.js';
import { KafkaOutput, MarkerReader } from './kafka-output.js';
import { sinkMarkerTopicsOf } from './cluster-topics.js';
import { KafkaTaskOutput } from './kafka-task-output.js';
import type { RedisClient } from './redis-client.js';
import type { TaskOutput } from './task-sink.js';

export interface ClusterSink {
  /** The coordinator's half. */
  readonly epochOutput: EpochOutput;
  /** The tasks' half, or null when the coordinator gathers the output. */
  readonly taskOutput: TaskOutput | null;
  close(): Promise<void>;
}

export interface ClusterSinkEnv {
  readonly redis: RedisClient;
  readonly fencing: Fencing;
  /** A Kafka client for the sink (its own options, the source's brokers by default). */
  readonly kafka: Kafka;
  /** The checkpoint's Redis prefix: transactional ids and marker groups are named after it. */
  readonly prefix: string;
}

export function clusterSink(q: ClusterQuery, env: ClusterSinkEnv): ClusterSink {
  const { redis, fencing } = env;
  const format = q.sinkFormat.toLowerCase();
  const schema = q.plan.schema;
  const gathered = (write: (epoch: number, rows: Row[]) => Promise<boolean>, close: () => Promise<void> = async () => undefined): ClusterSink =>
    ({ epochOutput: new GatheredOutput(redis, fencing, q.keyGroups, write), taskOutput: null, close });
  const fromTasks = (taskOutput: TaskOutput, commit: ((epoch: number, details: unknown[]) => Promise<boolean>) | null = null): ClusterSink =>
    ({ epochOutput: new TaskEpochOutput(redis, fencing, q.keyGroups, commit), taskOutput, close: () => taskOutput.close() });

  if (format === 'kafka') {
    const topic = q.sinkOptions['topic'];
    if (topic === undefined) throw new AnalysisError("cluster mode writes to Kafka with option('topic', ...): a per-row 'topic' column is not supported yet");
    const toMessage = messageWriter(schema, topic);
    const { gathered: gatheredMarker, tasks: taskMarker } = sinkMarkerTopicsOf(env.prefix);
    const markers = new MarkerReader(env.kafka, (t) => (t === taskMarker ? q.keyGroups : 1));
    if (q.outputMode === 'complete') {
      const out = new KafkaOutput(env.kafka, toMessage, `spate-cluster-${env.prefix}`, { topic: gatheredMarker, partition: 0 }, markers);
      return gathered((epoch, rows) => out.write(epoch, rows), async () => { await out.close(); await markers.close(); });
    }
    const tasks = new KafkaTaskOutput(env.kafka, toMessage, `spate-cluster-${env.prefix}`, taskMarker, markers);
    return { ...fromTasks(tasks), close: async () => { await tasks.close(); await markers.close(); } };
  }
  if (format === 'foreachbatch') {
    const fn = q.instance as BatchFunction;
    if (q.outputMode === 'complete') return gathered(async (epoch, rows) => { await fn(rows, schema, epoch); return true; });
    return fromTasks({
      // Called for the tasks that have rows (a task's key groups may have none in an epoch).
      write: async (_group, epoch, rows) => { if (rows.length) await fn([...rows], schema, epoch); return undefined; },
      retain: async () => undefined,
      close: async () => undefined,
    });
  }
  if (format === 'console') {
    const numRows = numberOption(q.sinkOptions, 'numRows', 20, (n) => Number.isInteger(n) && n > 0);
    const truncate = booleanOption(q.sinkOptions, 'truncate', true);
    return gathered(async (epoch, rows) => {
      process.stdout.write(consoleBatch(epoch, schema, rows, numRows, truncate));
      return true;
    });
  }
  // json, csv, text (cluster-query.ts admits no other)
  if (!q.path) throw new AnalysisError(`'path' is not specified: writeStream.format('${q.sinkFormat}').option('path', '/output/folder') (a folder every worker reaches)`);
  const files = new FileTaskOutput({ format: q.sinkFormat, options: q.sinkOptions, path: q.path, queryName: q.queryName, queryId: env.prefix, schema, thread: 0 });
  return fromTasks(files, manifestCommit(q.path));
}
