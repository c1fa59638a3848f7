// The Kafka topics and consumer group spate creates for one cluster query, named after its
// checkpoint's Redis prefix: the repartition topic (the exchange between the stages), the Kafka
// sink's epoch-marker topics, and the workers' consumer group. They outlive the workers; once
// the query is retired, deleteClusterTopics() deletes them (never while a worker runs).
import { Kafka } from 'kafkajs';
import { AnalysisError } from '../../errors.js';
import { kafkaConfig } from '../../connectors/kafka/kafka-options.js';
import { isRedisLocation, parseRedisLocation } from '../../state/redis-location.js';
import type { ClusterQuery } from './cluster-query.js';
import { clusterStages } from './cluster-query.js';
import { markerTopicName } from './kafka-output.js';

export function repartitionTopicOf(prefix: string): string {
  return `spate-${prefix.replace(/[^A-Za-z0-9._-]/g, '.')}-repartition`;
}

export function consumerGroupOf(prefix: string): string {
  return `spate-cluster-${prefix}`;
}

/** The Kafka sink's marker topics: the coordinator's (complete mode) and the tasks' (one partition per key group). */
export function sinkMarkerTopicsOf(prefix: string): { readonly gathered: string; readonly tasks: string } {
  return { gathered: markerTopicName(`spate-cluster-${prefix}-sink-epochs`), tasks: markerTopicName(`spate-cluster-${prefix}-task-sink-epochs`) };
}

/** The Kafka clients of a cluster query: its sources' cluster, and its Kafka sink's (the sources' brokers unless the sink names others). */
export function clusterKafkaOptions(q: ClusterQuery): { readonly source: Record<string, string>; readonly sink: Record<string, string> } {
  const source = clusterStages(q).source.options;
  return { source, sink: { ...q.sinkOptions, 'kafka.bootstrap.servers': q.sinkOptions['kafka.bootstrap.servers'] ?? source['kafka.bootstrap.servers'] ?? '' } };
}

/**
 * Deletes the topics and the consumer group spate made for the cluster query `q` (those that
 * exist), and returns their names. Refused while the query's consumer group has members: stop
 * every worker first. The checkpoint in Redis is left as it is.
 */
export async function deleteClusterTopics(q: ClusterQuery): Promise<string[]> {
  if (q.checkpointLocation === null || !isRedisLocation(q.checkpointLocation)) {
    throw new AnalysisError('deleteClusterTopics needs the query\'s checkpointLocation in Redis: its topics are named after it');
  }
  const { prefix } = parseRedisLocation(q.checkpointLocation);
  const options = clusterKafkaOptions(q);
  const group = consumerGroupOf(prefix);
  const deleted: string[] = [];
  const source = new Kafka(kafkaConfig(options.source, 'spate-cluster-cleanup')).admin();
  await source.connect();
  try {
    const { groups } = await source.describeGroups([group]);
    const members = groups[0]?.members.length ?? 0;
    if (members > 0) {
      throw new AnalysisError(`the query's consumer group ${group} has ${members} member(s): stop every worker of the query before deleting its topics`);
    }
    if (groups[0] && groups[0].state !== 'Dead') {
      await source.deleteGroups([group]);
      deleted.push(group);
    }
    deleted.push(...await deleteExisting(source, [repartitionTopicOf(prefix)]));
  } finally {
    await source.disconnect();
  }
  if (q.sinkFormat.toLowerCase() === 'kafka') {
    const sink = new Kafka(kafkaConfig(options.sink, 'spate-cluster-cleanup')).admin();
    await sink.connect();
    try {
      const markers = sinkMarkerTopicsOf(prefix);
      deleted.push(...await deleteExisting(sink, [markers.gathered, markers.tasks]));
    } finally {
      await sink.disconnect();
    }
  }
  return deleted;
}

async function deleteExisting(admin: ReturnType<Kafka['admin']>, topics: readonly string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length) await admin.deleteTopics({ topics: present });
  return present;
}
