// Who is in the query and who owns what, from a Kafka consumer group (kafkajs): the workers of a
// query join one group subscribed to the source topic and the repartition topic, so that the
// broker's group coordinator does membership and failure detection (session timeout, rebalance)
// and our assigner (a pure function, cluster/assignment.ts) deals the source partitions (stage-one
// tasks) and the repartition partitions (key groups) out, sticky: each member tells in its
// subscription what it holds, and a unit moves only when its owner is gone or holds too much.
// The consumer never fetches: every partition is paused; tasks read exact ranges themselves.
import type { Assigner, Consumer, Kafka, PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from 'kafkajs';
import { assignUnits } from '../assignment.js';

export interface Ownership {
  /** The group generation this assignment came with. */
  readonly generation: number;
  readonly partitions: ReadonlyMap<string, readonly number[]>;
}

interface MemberData {
  readonly worker: string;
  readonly held: Record<string, number[]>;
}

/** The sticky assigner: units of every topic over the members ordered by worker id. */
export function stickyAssigner(held: () => Record<string, number[]>, worker: string, partitionCount: (topic: string) => number): PartitionAssigner {
  return (): Assigner => ({
    name: 'SpateStickyAssigner',
    version: 1,
    protocol({ topics }) {
      const userData = Buffer.from(JSON.stringify({ worker, held: held() } satisfies MemberData));
      return { name: 'SpateStickyAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData }) };
    },
    async assign({ members, topics }) {
      const data = members.map((m) => {
        const md = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return { memberId: m.memberId, data: JSON.parse(md?.userData.toString() || '{}') as MemberData };
      }).sort((a, b) => (a.data.worker < b.data.worker ? -1 : a.data.worker > b.data.worker ? 1 : a.memberId < b.memberId ? -1 : 1));
      const ids = data.map((d) => d.memberId);
      const out = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
      for (const topic of topics) {
        const previous = new Map<number, string>();
        for (const d of data) for (const p of d.data.held?.[topic] ?? []) if (!previous.has(p)) previous.set(p, d.memberId);
        const owners = assignUnits(partitionCount(topic), ids, (u) => previous.get(u));
        owners.forEach((id, p) => { (out.get(id)![topic] ??= []).push(p); });
      }
      return ids.map((memberId) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: out.get(memberId)!, userData: Buffer.alloc(0) }),
      }));
    },
  });
}

export class Membership {
  private consumer: Consumer | null = null;
  private current: Ownership = { generation: -1, partitions: new Map() };
  /** Rebalances seen, and the time of the last (join duration as kafkajs measured it). */
  rebalances = 0;
  lastJoinMs = 0;

  constructor(private readonly kafka: Kafka, private readonly groupId: string, private readonly worker: string,
    private readonly topics: readonly string[], private readonly partitionCount: (topic: string) => number,
    private readonly sessionTimeoutMs: number, private readonly onEvent: (event: string) => void) {}

  get ownership(): Ownership {
    return this.current;
  }

  owned(topic: string): readonly number[] {
    return this.current.partitions.get(topic) ?? [];
  }

  async join(): Promise<void> {
    const held = (): Record<string, number[]> => Object.fromEntries([...this.current.partitions].map(([t, ps]) => [t, [...ps]]));
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      partitionAssigners: [stickyAssigner(held, this.worker, this.partitionCount)],
      sessionTimeout: this.sessionTimeoutMs,
      rebalanceTimeout: this.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(this.sessionTimeoutMs / 6)),
      maxWaitTimeInMs: 200,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    let generation = 0;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      generation += 1;
      this.rebalances += 1;
      this.lastJoinMs = e.payload.duration;
      this.current = { generation, partitions: new Map(Object.entries(e.payload.memberAssignment)) };
      this.onEvent(`REBALANCED ${generation} ${e.payload.duration} ${JSON.stringify(e.payload.memberAssignment)}`);
      consumer.pause(this.topics.map((topic) => ({ topic })));
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.topics], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    consumer.pause(this.topics.map((topic) => ({ topic })));
  }

  /** Leaves the group (its units move to the others at once). */
  async leave(): Promise<void> {
    this.current = { generation: this.current.generation + 1, partitions: new Map() };
    await this.consumer?.disconnect().catch(() => undefined);
    this.consumer = null;
  }
}
