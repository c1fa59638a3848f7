// startWorker(): runs this process as one worker of a cluster query (DESIGN.md section 9). Every
// worker runs the same query code; the workers of a query (same checkpoint location) share its
// source partitions and key groups through a Kafka consumer group and its state, logs and
// fencing tokens through Redis. See src/cluster/group/ for what the first cut runs.
import type { ClusterWorker, ClusterWorkerOptions } from '../cluster/group/worker.js';
import { runClusterWorker } from '../cluster/group/worker.js';
import type { DataStreamWriter } from './writer.js';

export type { ClusterWorker, ClusterWorkerOptions };

export function startWorker(writer: DataStreamWriter, options: ClusterWorkerOptions = {}): Promise<ClusterWorker> {
  return runClusterWorker(writer.clusterQuery(), options);
}
