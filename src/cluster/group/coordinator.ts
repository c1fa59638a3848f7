// The coordinator of a cluster query: whichever worker holds the Redis lease (a fencing token
// that grows with every new holder). It keeps Spark's epochs: plans the next epoch (each source
// partition's end offset, under maxOffsetsPerTrigger) into the offset log, waits until every
// key group committed it, writes the gathered output to the sink, then writes the commit log.
// It keeps nothing in memory that the logs do not hold, so a worker that takes the lease over
// resumes from the logs exactly as a restart does: an epoch planned and not committed is
// finished (its key groups' commits are idempotent, the sink skips an epoch it already has).
import type { Redis } from 'ioredis';
import type { KafkaCluster } from '../../connectors/kafka/cluster.js';
import { limitOffsets } from '../../connectors/kafka/offsets.js';
import type { Row } from '../../data/row.js';
import type { Fencing } from './fencing.js';
import type { KafkaOutput } from './kafka-output.js';
import { committedOutput } from './key-group-task.js';

/** One epoch of the offset log: the range of every source partition, and the batch time. */
export interface PlannedEpoch {
  readonly epoch: number;
  readonly start: Record<string, number>;
  readonly end: Record<string, number>;
  readonly batchTimestampMs: number;
}

export interface CoordinatorSpec {
  readonly redis: Redis;
  readonly fencing: Fencing;
  readonly cluster: KafkaCluster;
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly keyGroups: number;
  readonly starting: 'earliest' | 'latest';
  readonly maxOffsetsPerTrigger: number | null;
  readonly output: KafkaOutput;
  readonly worker: string;
  readonly leaseMs: number;
  readonly onEvent: (event: string) => void;
}

export async function readEpoch(redis: Redis, fencing: Fencing, epoch: number): Promise<PlannedEpoch | null> {
  const json = await redis.hget(fencing.keys.offsets, String(epoch));
  return json === null ? null : (JSON.parse(json) as PlannedEpoch);
}

export async function logPointers(redis: Redis, fencing: Fencing): Promise<{ planned: number; committed: number }> {
  const [p, c] = await Promise.all([redis.get(fencing.keys.planned), redis.get(fencing.keys.committed)]);
  return { planned: p === null ? -1 : Number(p), committed: c === null ? -1 : Number(c) };
}

export class Coordinator {
  private lease: string | null = null;
  private leaseTakenAt = 0;
  /** Coordination figures of the last epoch committed here: ms from plan to commit log, and of the commit step. */
  lastEpochMs = 0;
  lastCommitStepMs = 0;
  private plannedAt = new Map<number, number>();

  constructor(private readonly s: CoordinatorSpec) {}

  get holdsLease(): boolean {
    return this.lease !== null;
  }

  /** One step: renew or take the lease, then plan or finish an epoch. True when it did something. */
  async step(): Promise<boolean> {
    const { s } = this;
    const now = Date.now();
    if (this.lease === null || now - this.leaseTakenAt > s.leaseMs / 3) {
      const before = this.lease;
      this.lease = await s.fencing.lease(s.worker, this.lease, s.leaseMs);
      this.leaseTakenAt = now;
      if (this.lease !== before) s.onEvent(this.lease ? `LEASE ${this.lease}` : 'LEASE-LOST');
    }
    if (!this.lease) return false;
    const { planned, committed } = await logPointers(s.redis, s.fencing);
    if (planned > committed) return this.finish(planned);
    return this.plan(planned);
  }

  private async finish(epoch: number): Promise<boolean> {
    const { s } = this;
    const epochs = await Promise.all(Array.from({ length: s.keyGroups }, (_, g) => s.redis.get(s.fencing.keys.groupEpoch(g))));
    if (epochs.some((e) => e === null || Number(e) < epoch)) return false;
    const t0 = Date.now();
    const rows: Row[] = [];
    for (let g = 0; g < s.keyGroups; g++) for (const r of await committedOutput(s.redis, s.fencing, g, epoch)) rows.push(r);
    const wrote = await s.output.write(epoch, rows);
    const ok = await s.fencing.coordinatorWrite(this.lease!, 'commits', epoch, JSON.stringify({ epoch, rows: rows.length, wroteSink: wrote }));
    if (!ok) {
      s.onEvent(`REFUSED-COORDINATOR ${epoch}`);
      this.lease = null;
      return false;
    }
    this.lastCommitStepMs = Date.now() - t0;
    const at = this.plannedAt.get(epoch);
    if (at !== undefined) this.lastEpochMs = Date.now() - at;
    this.plannedAt.delete(epoch);
    // The epoch's scratch: outputs and stage-one records of committed epochs are never read again.
    await Promise.all([
      s.redis.del(s.fencing.keys.stageOne(epoch)),
      ...Array.from({ length: s.keyGroups }, (_, g) => s.redis.del(s.fencing.keys.output(g, epoch))),
    ]);
    s.onEvent(`COMMITTED ${epoch} ${rows.length}`);
    return true;
  }

  private async plan(last: number): Promise<boolean> {
    const { s } = this;
    const previous = last >= 0 ? await readEpoch(s.redis, s.fencing, last) : null;
    const latest = (await s.cluster.offsets(new Map([[s.topic, [...s.partitions]]]), 'latest')).get(s.topic)!;
    let start: Map<string, number>;
    if (previous) {
      start = new Map(Object.entries(previous.end));
    } else {
      const from = s.starting === 'earliest' ? (await s.cluster.offsets(new Map([[s.topic, [...s.partitions]]]), 'earliest')).get(s.topic)! : latest;
      start = new Map(s.partitions.map((p) => [String(p), from.get(p) ?? 0]));
    }
    const available = new Map(s.partitions.map((p) => [String(p), Math.max(latest.get(p) ?? 0, start.get(String(p)) ?? 0)]));
    const end = s.maxOffsetsPerTrigger === null ? available : limitOffsets(start, available, s.maxOffsetsPerTrigger);
    // The first epoch records where the query starts even when it reads nothing.
    if (previous && [...end].every(([p, e]) => e === start.get(p))) return false;
    const epoch = last + 1;
    const entry: PlannedEpoch = { epoch, start: Object.fromEntries(start), end: Object.fromEntries(end), batchTimestampMs: Date.now() };
    const ok = await s.fencing.coordinatorWrite(this.lease!, 'offsets', epoch, JSON.stringify(entry));
    if (!ok) {
      s.onEvent(`REFUSED-COORDINATOR ${epoch}`);
      this.lease = null;
      return false;
    }
    this.plannedAt.set(epoch, Date.now());
    s.onEvent(`PLANNED ${epoch}`);
    return true;
  }
}
