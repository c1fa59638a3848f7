// The coordinator of a cluster query: whichever worker holds the Redis lease (a fencing token
// that grows with every new holder). It keeps Spark's epochs: plans the next epoch (each source
// partition's end offset, under maxOffsetsPerTrigger) into the offset log, waits until every
// key group committed it, writes the gathered output to the sink, then writes the commit log.
// It keeps nothing in memory that the logs do not hold, so a worker that takes the lease over
// resumes from the logs exactly as a restart does: an epoch planned and not committed is
// finished (its key groups' commits are idempotent, the sink skips an epoch it already has).
import type { RedisClient } from './redis-client.js';
import type { KafkaCluster } from '../../connectors/kafka/cluster.js';
import { limitOffsets } from '../../connectors/kafka/offsets.js';
import type { Row } from '../../data/row.js';
import type { Fencing } from './fencing.js';
import type { KafkaOutput } from './kafka-output.js';
import { committedOutput } from './key-group-task.js';
import type { StageOneRecord } from './stage-one.js';

/**
 * A source partition's name in the logs: its number for input 0 (the only one without a join),
 * `<input>/<partition>` for a join's right input.
 */
export function unitKey(input: number, partition: number): string {
  return input === 0 ? String(partition) : `${input}/${partition}`;
}

/** One input's source as the coordinator plans it. */
export interface CoordinatedInput {
  readonly topic: string;
  readonly partitions: readonly number[];
  readonly starting: 'earliest' | 'latest';
  readonly maxOffsetsPerTrigger: number | null;
  /** The input's withWatermark delay, or null. */
  readonly watermarkDelayMs: number | null;
}

/** One epoch of the offset log: the range of every source partition (by unitKey), and the batch time. */
export interface PlannedEpoch {
  readonly epoch: number;
  readonly start: Record<string, number>;
  readonly end: Record<string, number>;
  readonly batchTimestampMs: number;
  /** The watermark this epoch evicts by, and the one it judges late rows by (the previous epoch's). */
  readonly watermarkMs: number;
  readonly lateWatermarkMs: number;
}

/** One epoch of the commit log. */
export interface CommittedEpoch {
  readonly epoch: number;
  readonly rows: number;
  readonly wroteSink: boolean;
  /** Per input, the largest event time its withWatermark saw through this epoch (null: none yet, or no withWatermark). */
  readonly maxEventTimesMs: readonly (number | null)[];
}

export interface CoordinatorSpec {
  readonly redis: RedisClient;
  readonly fencing: Fencing;
  readonly cluster: KafkaCluster;
  readonly inputs: readonly CoordinatedInput[];
  readonly keyGroups: number;
  /** Whether a moved watermark runs an epoch without new data (an aggregation that evicts: append and update mode). */
  readonly noDataEpochs: boolean;
  readonly output: KafkaOutput;
  readonly worker: string;
  readonly leaseMs: number;
  readonly onEvent: (event: string) => void;
  /** Testing: while it returns true for an epoch, that epoch is not planned (a test lines its input up first). */
  readonly holdPlanning?: (epoch: number) => boolean;
  /** Deletes the repartition topic's records below these offsets (an epoch's input, once committed). */
  readonly trimExchange: (below: ReadonlyMap<number, number>) => Promise<void>;
}

export async function readEpoch(redis: RedisClient, fencing: Fencing, epoch: number): Promise<PlannedEpoch | null> {
  const json = await redis.hget(fencing.keys.offsets, String(epoch));
  return json === null ? null : (JSON.parse(json) as PlannedEpoch);
}

export async function readCommit(redis: RedisClient, fencing: Fencing, epoch: number): Promise<CommittedEpoch | null> {
  const json = await redis.hget(fencing.keys.commits, String(epoch));
  return json === null ? null : (JSON.parse(json) as CommittedEpoch);
}

export async function logPointers(redis: RedisClient, fencing: Fencing): Promise<{ planned: number; committed: number }> {
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
    const records = Object.values(await s.redis.hgetall(s.fencing.keys.stageOne(epoch))).map((j) => JSON.parse(j) as StageOneRecord);
    const previous = epoch > 0 ? await readCommit(s.redis, s.fencing, epoch - 1) : null;
    const maxEventTimesMs = s.inputs.map((_, i) => {
      const times = [previous?.maxEventTimesMs[i] ?? null, ...records.filter((r) => r.input === i).map((r) => r.maxEventTimeMs)].filter((t): t is number => t !== null);
      return times.length ? Math.max(...times) : null;
    });
    const entry: CommittedEpoch = { epoch, rows: rows.length, wroteSink: wrote, maxEventTimesMs };
    const ok = await s.fencing.coordinatorWrite(this.lease!, 'commits', epoch, JSON.stringify(entry));
    if (!ok) {
      s.onEvent(`REFUSED-COORDINATOR ${epoch}`);
      this.lease = null;
      return false;
    }
    this.lastCommitStepMs = Date.now() - t0;
    const at = this.plannedAt.get(epoch);
    if (at !== undefined) this.lastEpochMs = Date.now() - at;
    this.plannedAt.delete(epoch);
    // The epoch's scratch: outputs, stage-one records and repartition records of committed epochs are never read again.
    const below = new Map<number, number>();
    for (const r of records) for (const [g, o] of Object.entries(r.out)) below.set(Number(g), Math.max(below.get(Number(g)) ?? 0, o + 1));
    if (below.size) await s.trimExchange(below).catch((e: unknown) => s.onEvent(`TRIM-FAILED ${(e as Error).message}`));
    await Promise.all([
      s.redis.del(s.fencing.keys.stageOne(epoch)),
      ...Array.from({ length: s.keyGroups }, (_, g) => s.redis.del(s.fencing.keys.output(g, epoch))),
    ]);
    s.onEvent(`COMMITTED ${epoch} ${rows.length} ${at === undefined ? '-' : this.lastEpochMs} ${this.lastCommitStepMs}`);
    return true;
  }

  private async plan(last: number): Promise<boolean> {
    const { s } = this;
    if (s.holdPlanning?.(last + 1)) return false;
    const previous = last >= 0 ? await readEpoch(s.redis, s.fencing, last) : null;
    const start = new Map<string, number>();
    const end = new Map<string, number>();
    for (const [i, input] of s.inputs.entries()) {
      const topics = new Map([[input.topic, [...input.partitions]]]);
      const latest = (await s.cluster.offsets(topics, 'latest')).get(input.topic)!;
      const first = previous ? null : input.starting === 'earliest' ? (await s.cluster.offsets(topics, 'earliest')).get(input.topic)! : latest;
      const from = new Map(input.partitions.map((p) => [unitKey(i, p), previous ? previous.end[unitKey(i, p)] ?? 0 : first!.get(p) ?? 0]));
      const available = new Map(input.partitions.map((p) => [unitKey(i, p), Math.max(latest.get(p) ?? 0, from.get(unitKey(i, p))!)]));
      // Spark's maxOffsetsPerTrigger is each source's own.
      const until = input.maxOffsetsPerTrigger === null ? available : limitOffsets(from, available, input.maxOffsetsPerTrigger);
      for (const [k, o] of from) start.set(k, o);
      for (const [k, o] of until) end.set(k, o);
    }
    // Spark's watermark: per withWatermark the largest event time seen through the last epoch
    // minus its delay (0 while it has seen no row), the query's the least of them ('min'
    // policy), never moving back.
    const seen = last >= 0 ? (await readCommit(s.redis, s.fencing, last))?.maxEventTimesMs ?? null : null;
    const lastWatermark = previous?.watermarkMs ?? 0;
    const perInput = s.inputs.flatMap((input, i) => (input.watermarkDelayMs === null ? [] : [seen?.[i] == null ? 0 : seen[i]! - input.watermarkDelayMs]));
    const watermarkMs = perInput.length === 0 ? lastWatermark : Math.max(lastWatermark, Math.min(...perInput));
    // The first epoch records where the query starts even when it reads nothing.
    // An epoch without new data runs when the watermark moved and the keyed step evicts by it.
    const noData = previous !== null && [...end].every(([p, e]) => e === start.get(p));
    if (noData && !(s.noDataEpochs && watermarkMs > lastWatermark)) return false;
    const epoch = last + 1;
    const entry: PlannedEpoch = {
      epoch, start: Object.fromEntries(start), end: Object.fromEntries(end), batchTimestampMs: Date.now(), watermarkMs, lateWatermarkMs: lastWatermark,
    };
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
