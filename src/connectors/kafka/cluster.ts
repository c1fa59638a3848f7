// Direct access to the partitions of a Kafka cluster: metadata, earliest and latest offsets, and
// Fetch requests at exact offsets. kafkajs offers no consumer without a group (no assign()), so we
// use the cluster object its own consumer uses, obtained from its client factory; no group, no
// rebalancing, no committed offsets are involved. This file is the only one that touches kafkajs
// internals (kafkajs 2.2.x); everything is typed here.
import type { Kafka } from 'kafkajs';
import { ConnectorError } from '../../errors.js';
import { withRetries } from '../../state/retry.js';

export interface KafkaMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers: Readonly<Record<string, Buffer | Buffer[] | undefined>>;
  readonly isControlRecord: boolean;
  readonly batchContext: {
    readonly producerId: string;
    readonly inTransaction: boolean;
    readonly timestampType: number;
    readonly firstOffset: string;
    readonly lastOffsetDelta: number;
  };
}

export interface FetchedPartition {
  readonly partition: number;
  readonly highWatermark: string;
  readonly lastStableOffset?: string;
  readonly abortedTransactions?: readonly { readonly producerId: string; readonly firstOffset: string }[];
  readonly messages: readonly KafkaMessage[];
}

interface Broker {
  fetch(request: {
    isolationLevel: number; maxWaitTime: number; minBytes: number; maxBytes: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{ responses: { topicName: string; partitions: FetchedPartition[] }[] }>;
}

interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  metadata(args?: { topics?: string[] }): Promise<{ topicMetadata: { topic: string; partitionMetadata: { partitionId: number; leader: number }[] }[] }>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(args: { nodeId: string }): Promise<Broker>;
  fetchTopicsOffset(topics: { topic: string; partitions: { partition: number }[]; fromBeginning: boolean }[]):
    Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

export type TopicPartitions = ReadonlyMap<string, readonly number[]>;

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;
/** How long offset listing retries while a partition's leader is not known yet. */
const METADATA_RETRY_BUDGET_MS = 15_000;

export class KafkaCluster {
  private readonly cluster: InternalCluster;
  private readonly targets = new Set<string>();

  constructor(kafka: Kafka, readonly isolationLevel: number) {
    const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const create = factory === undefined ? undefined : (kafka as unknown as Record<symbol, unknown>)[factory];
    if (typeof create !== 'function') {
      throw new ConnectorError('this kafkajs version has no cluster factory; spate needs kafkajs 2.2.x (npm install kafkajs@2.2.4)');
    }
    this.cluster = (create as (o: object) => InternalCluster)({ metadataMaxAge: 300_000, allowAutoTopicCreation: false, isolationLevel });
  }

  connect(): Promise<void> {
    return this.cluster.connect();
  }

  disconnect(): Promise<void> {
    return this.cluster.disconnect();
  }

  /** Every topic of the cluster with its partition ids (internal topics left out). */
  async topics(): Promise<Map<string, number[]>> {
    const meta = await this.cluster.metadata({ topics: [] });
    const out = new Map<string, number[]>();
    for (const t of meta.topicMetadata) {
      if (t.topic.startsWith('__')) continue;
      out.set(t.topic, t.partitionMetadata.map((p) => p.partitionId).sort((a, b) => a - b));
    }
    return out;
  }

  /** Makes the partitions' leaders known (a metadata refresh when topics are new or `refresh`). */
  async track(topics: Iterable<string>, refresh = false): Promise<void> {
    const fresh = [...topics].filter((t) => !this.targets.has(t));
    for (const t of fresh) this.targets.add(t);
    if (fresh.length) await this.cluster.addMultipleTargetTopics(fresh);
    else if (refresh) await this.cluster.refreshMetadata();
  }

  /** Earliest or latest offsets (latest = high watermark, or last stable offset under read_committed). */
  async offsets(parts: TopicPartitions, which: 'earliest' | 'latest'): Promise<Map<string, Map<number, number>>> {
    await this.track(parts.keys());
    const request = [...parts].map(([topic, ps]) => ({
      topic, partitions: ps.map((partition) => ({ partition })), fromBeginning: which === 'earliest',
    }));
    // A topic created a moment ago may not have its leader known yet (NOT_LEADER_OR_FOLLOWER,
    // LEADER_NOT_AVAILABLE): look again with fresh metadata.
    let attempt = 0;
    const res = await withRetries(async () => {
      if (attempt++ > 0) await this.cluster.refreshMetadata();
      return this.cluster.fetchTopicsOffset(request);
    }, {
      budgetMs: METADATA_RETRY_BUDGET_MS,
      isTransient: (e) => (e as { retriable?: unknown }).retriable === true,
      exhausted: (e, n) => new ConnectorError(`listing the ${which} offsets of ${[...parts.keys()].join(', ')} failed ${n} times: ${(e as Error).message}`, { cause: e, retriable: true }),
    });
    const out = new Map<string, Map<number, number>>();
    for (const t of res) out.set(t.topic, new Map(t.partitions.map((p) => [p.partition, Number(p.offset)])));
    return out;
  }

  /** The leader's node id for each partition of `topic`. */
  leaders(topic: string, partitions: readonly number[]): Map<number, string> {
    const out = new Map<number, string>();
    for (const [node, ps] of Object.entries(this.cluster.findLeaderForPartitions(topic, [...partitions]))) for (const p of ps) out.set(p, node);
    return out;
  }

  async refresh(): Promise<void> {
    await this.cluster.refreshMetadata();
  }

  /** One Fetch request to one broker. */
  async fetch(nodeId: string, requests: readonly { topic: string; partition: number; offset: number }[], maxBytesPerPartition: number): Promise<Map<string, FetchedPartition>> {
    const broker = await this.cluster.findBroker({ nodeId });
    const byTopic = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
    for (const r of requests) {
      let ps = byTopic.get(r.topic);
      if (!ps) byTopic.set(r.topic, (ps = []));
      ps.push({ partition: r.partition, fetchOffset: String(r.offset), maxBytes: maxBytesPerPartition });
    }
    const { responses } = await broker.fetch({
      isolationLevel: this.isolationLevel, maxWaitTime: 100, minBytes: 1, maxBytes: maxBytesPerPartition * requests.length,
      topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
    });
    const out = new Map<string, FetchedPartition>();
    for (const t of responses) for (const p of t.partitions) out.set(partitionKey(t.topicName, p.partition), p);
    return out;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
