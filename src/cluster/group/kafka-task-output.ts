// The Kafka sink of a cluster query written from every worker (Kafka Streams' exactly-once per
// task): each key group has its own transactional producer, with a transactional.id stable for
// the key group, so whoever owns the key group next fences whoever owned it before, and the
// epoch is recorded inside the key group's transaction (a record in partition `group` of the
// query's marker topic, one partition per key group), so a replayed epoch is skipped.
// One id per key group rather than per worker: a worker's set of key groups changes with every
// rebalance, a key group's id does not, so fencing and the marker stay per unit of ownership.
import type { Kafka } from 'kafkajs';
import type { Row } from '../../data/row.js';
import type { ToMessage } from '../../connectors/kafka/sink-schema.js';
import type { MarkerReader } from './kafka-output.js';
import { KafkaOutput } from './kafka-output.js';
import type { TaskOutput } from './task-sink.js';
import { PerKeyGroup } from './task-sink.js';

export class KafkaTaskOutput implements TaskOutput {
  private readonly outputs: PerKeyGroup<KafkaOutput>;

  /** `markers`: the worker's marker reader (closed by its owner). */
  constructor(kafka: Kafka, toMessage: ToMessage, idPrefix: string, markerTopic: string, markers: MarkerReader) {
    this.outputs = new PerKeyGroup((group) => new KafkaOutput(kafka, toMessage, `${idPrefix}-kg${group}`, { topic: markerTopic, partition: group }, markers));
  }

  async write(group: number, epoch: number, rows: readonly Row[]): Promise<undefined> {
    await this.outputs.of(group).write(epoch, rows);
    return undefined;
  }

  retain(groups: ReadonlySet<number>): Promise<void> {
    return this.outputs.retain(groups);
  }

  close(): Promise<void> {
    return this.outputs.retain(new Set());
  }
}
