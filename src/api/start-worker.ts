// startWorker(): runs this process as one worker of a cluster query (DESIGN.md section 9). Every
// worker runs the same query code; the workers of a query (same checkpoint location) share its
// source partitions and key groups through a Kafka consumer group and its state, logs and
// fencing tokens through Redis. See src/cluster/group/ for what the first cut runs.
import type { ClusterWorker, ClusterWorkerOptions } from '../cluster/group/worker.js';
import { runClusterWorker } from '../cluster/group/worker.js';
import { deleteClusterTopics as deleteTopicsOf } from '../cluster/group/cluster-topics.js';
import type { DataStreamWriter } from './writer.js';

export type { ClusterWorker, ClusterWorkerOptions };

/**
 * Runs this process as one worker of the query `writer` describes (cluster mode): the writer
 * needs a checkpointLocation in Redis and a Kafka, file (json, csv, text: a folder every worker
 * reaches), foreachBatch or console sink; resolves once the worker joined the query's consumer
 * group. Every worker writes its key groups' rows to the sink (Kafka: a transaction per key
 * group and epoch; files: part files listed in the epoch's manifest by the coordinator;
 * foreachBatch: one call per key-group task with its rows and the batch id, see
 * {@link DataStreamWriter.foreachBatch}); complete mode and console are written by the
 * coordinator. Call it in every process of the query; stop() leaves the group.
 *
 * @example
 * ```ts
 * const worker = await startWorker(counts.writeStream.format('kafka')
 *   .option('kafka.bootstrap.servers', 'localhost:9092').option('topic', 'word-counts')
 *   .option('checkpointLocation', 'redis://localhost:6379/0/word-count').outputMode('update'));
 * process.on('SIGTERM', () => void worker.stop());
 * ```
 */
export async function startWorker(writer: DataStreamWriter, options: ClusterWorkerOptions = {}): Promise<ClusterWorker> {
  return runClusterWorker(writer.clusterQuery(), options);
}

/**
 * Deletes what cluster mode made in Kafka for the query `writer` describes (the same writer its
 * workers start with): the repartition topic, the Kafka sink's epoch-marker topics and the
 * workers' consumer group; resolves to their names (those that existed). Call it when the query
 * is retired, after every worker stopped (refused while the consumer group has members); the
 * checkpoint in Redis is not touched.
 *
 * @example
 * ```ts
 * await deleteClusterTopics(counts.writeStream.format('kafka')
 *   .option('kafka.bootstrap.servers', 'localhost:9092').option('topic', 'word-counts')
 *   .option('checkpointLocation', 'redis://localhost:6379/0/word-count').outputMode('update'));
 * ```
 */
export async function deleteClusterTopics(writer: DataStreamWriter): Promise<string[]> {
  return deleteTopicsOf(writer.clusterQuery());
}
