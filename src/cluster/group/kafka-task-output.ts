// The Kafka sink of a cluster query written from every worker (Kafka Streams' exactly-once per
// task): each key group has its own transactional producer, with a transactional.id stable for
// the key group, so whoever owns the key group next fences whoever owned it before, and the
// epoch is recorded inside the key group's transaction (its marker is partition `group` of the
// repartition topic, for a marker group of the query), so a replayed epoch is skipped.
// One id per key group rather than per worker: a worker's set of key groups changes with every
// rebalance, a key group's id does not, so fencing and the marker stay per unit of ownership.
import type { Kafka } from 'kafkajs';
import type { Row } from '../../data/row.js';
import type { ToMessage } from '../../connectors/kafka/sink-schema.js';
import type { LazyAdmin } from './kafka-output.js';
import { KafkaOutput } from './kafka-output.js';
import type { TaskOutput } from './task-sink.js';

export class KafkaTaskOutput implements TaskOutput {
  private readonly outputs = new Map<number, KafkaOutput>();

  /** `admin`: the worker's, for reading the markers (closed by its owner). */
  constructor(private readonly kafka: Kafka, private readonly toMessage: ToMessage, private readonly idPrefix: string,
    private readonly markerGroup: string, private readonly markerTopic: string, private readonly admin: LazyAdmin) {}

  async write(group: number, epoch: number, rows: readonly Row[]): Promise<undefined> {
    let out = this.outputs.get(group);
    if (!out) {
      out = new KafkaOutput(this.kafka, this.toMessage, `${this.idPrefix}-kg${group}`, { group: this.markerGroup, topic: this.markerTopic, partition: group }, () => this.admin.get());
      this.outputs.set(group, out);
    }
    await out.write(epoch, rows);
    return undefined;
  }

  async retain(groups: ReadonlySet<number>): Promise<void> {
    for (const [g, out] of [...this.outputs]) {
      if (groups.has(g)) continue;
      this.outputs.delete(g);
      await out.close();
    }
  }

  async close(): Promise<void> {
    await this.retain(new Set());
  }
}
