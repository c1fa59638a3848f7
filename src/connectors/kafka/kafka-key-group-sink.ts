// The transactional Kafka sink written from the worker threads of master('local[N]'), Kafka
// Streams' exactly-once per task: every output row belongs to a key group (a hash of the
// message it becomes, so the same rows make the same key groups under any thread count), the
// engine routes it to the thread owning that key group, and each key group's rows of an epoch
// go out in one transaction of a producer whose transactional.id is stable for the query and
// the key group (never for a thread: which thread owns a key group is written nowhere). The
// transaction also writes the epoch into partition `key group` of the query's marker topic
// (transactional-output.ts), so a replayed epoch is skipped per key group, and a restart under
// another thread count fences whatever the previous run left open, key group by key group.
// Epochs that a one-thread run wrote in its single transaction per epoch (the driver's
// KafkaSink, whose marker is a consumer group offset) are skipped too.
import type { Kafka } from 'kafkajs';
import { Kafka as KafkaClient } from 'kafkajs';
import type { Row } from '../../data/row.js';
import type { StructType } from '../../expr/types.js';
import { ConnectorError } from '../../errors.js';
import type { TaskEpochWriter, TaskSink } from '../contract.js';
import { kafkaConfig } from './kafka-options.js';
import type { KafkaSinkSettings } from './kafka-sink.js';
import type { ToMessage, TopicMessage } from './sink-schema.js';
import { messageWriter } from './sink-schema.js';
import { KafkaOutput, MarkerReader, markerTopicName } from './transactional-output.js';

/** The transactional ids a query's sink uses: its option, or one derived from the query id (kept in the checkpoint). */
export function transactionalIdBase(options: Readonly<Record<string, string>>, queryId: string): string {
  return options['kafka.transactional.id'] ?? `spate-${queryId}`;
}

/** The marker topic of the per-key-group transactions of a query. */
export function keyGroupMarkerTopic(base: string): string {
  return markerTopicName(`${base}.key-group-epochs`);
}

/**
 * The key group of a message: a hash of its topic, partition, key and value bytes. FNV-1a
 * alone keeps the parity of the characters in its low bit, so a message whose key recurs in its
 * value (an aggregate's key and its JSON row) would reach half the key groups: its result is
 * mixed (murmur3's finaliser) before the modulo.
 */
export function messageKeyGroup(m: TopicMessage, keyGroups: number): number {
  const bytes = (v: Buffer | string | null | undefined): string => (v === null || v === undefined ? '\u0000' : typeof v === 'string' ? v : Buffer.from(v).toString('latin1'));
  const { partition, key, value } = m.message;
  const text = `${m.topic}\u0001${partition ?? ''}\u0001${bytes(key)}\u0001${bytes(value)}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % keyGroups;
}

export class KafkaKeyGroupTaskSink implements TaskSink {
  readonly keyGroupOf: (row: Row) => number;
  private readonly toMessage: ToMessage;
  private readonly kafka: Kafka;
  private readonly markers: MarkerReader;
  private readonly outputs = new Map<number, KafkaOutput>();
  private readonly base: string;
  /** The newest epoch a one-thread run committed in its own transaction (read once). */
  private driverEpoch: Promise<number> | null = null;

  constructor(settings: KafkaSinkSettings, options: Readonly<Record<string, string>>, schema: StructType, queryId: string, keyGroups: number) {
    const toMessage = messageWriter(schema, settings.topic);
    this.toMessage = toMessage;
    this.keyGroupOf = (row) => messageKeyGroup(toMessage(row), keyGroups);
    this.kafka = new KafkaClient(kafkaConfig(options, `spate-sink-${queryId.slice(0, 8)}`));
    this.markers = new MarkerReader(this.kafka, () => keyGroups);
    this.base = transactionalIdBase(options, queryId);
  }

  writer(): TaskEpochWriter {
    const byGroup = new Map<number, Row[]>();
    return {
      write: (rows) => {
        for (const r of rows) {
          const g = this.keyGroupOf(r);
          let list = byGroup.get(g);
          if (!list) byGroup.set(g, (list = []));
          list.push(r);
        }
      },
      finish: async (epoch) => {
        if (byGroup.size === 0 || epoch <= (await (this.driverEpoch ??= this.readDriverEpoch()))) return { rows: 0 };
        const wrote = await Promise.all([...byGroup].map(async ([g, rows]) => {
          // A failed transaction was aborted and its producer closed: the next try claims the
          // id and reads the marker again, so it never writes an epoch twice.
          for (let attempt = 1; ; attempt++) {
            try {
              return (await this.output(g).write(epoch, rows)) ? rows.length : 0;
            } catch (e) {
              if (attempt < 3 && (e as { retriable?: boolean }).retriable === true) continue;
              throw new ConnectorError(`the Kafka transaction of epoch ${epoch}, key group ${g} (transactional id ${this.output(g).transactionalId}) did not commit: ${(e as Error).message}`,
                { cause: e, retriable: true });
            }
          }
        }));
        return { rows: wrote.reduce((a, b) => a + b, 0) };
      },
    };
  }

  private output(group: number): KafkaOutput {
    let out = this.outputs.get(group);
    if (!out) {
      out = new KafkaOutput(this.kafka, this.toMessage, `${this.base}-kg${group}`, { topic: keyGroupMarkerTopic(this.base), partition: group }, this.markers, false);
      this.outputs.set(group, out);
    }
    return out;
  }

  /**
   * The driver's marker (KafkaSink, one transaction per epoch under local[1]): the committed
   * offset of its marker group, on whichever topic it chose (the sink's, or the first one a
   * topic column named, which only the checkpoint records): the group commits on no other.
   */
  private async readDriverEpoch(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchOffsets({ groupId: `${this.base}-epochs` });
      let epoch = -1;
      for (const t of offsets) for (const p of t.partitions) epoch = Math.max(epoch, Number(p.offset) - 1);
      return epoch;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.outputs.values()].map((o) => o.close()));
    this.outputs.clear();
    await this.markers.close();
  }
}
