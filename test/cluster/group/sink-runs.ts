// Runs of the sink tests of cluster mode (cluster-kills-*.test.ts, cluster-sinks.test.ts):
// worker processes (cluster-child.ts) against the test run's Kafka and Redis, SIGKILLed at random
// points, and what the query must have written, epoch by epoch, from the offset log the workers
// keep in Redis: an epoch's output is a function of its planned input ranges (and, for an
// aggregation, of the epochs before), so comparing each epoch's output with a plain loop over
// exactly those ranges shows every row once, none lost, whatever the epoch boundaries were.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { PlannedEpoch as Planned } from '../../../src/cluster/group/coordinator.js';
import { ClusterKeys } from '../../../src/cluster/group/fencing.js';
import { brokers, createTopic, endOffsets, produce, readAll, uniqueTopic } from '../../support/kafka.js';
import type { ReadMessage } from '../../support/kafka.js';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';
import type { ClusterChildConfig } from './cluster-child.js';
import { WorkerLife } from './cluster-life.js';
import type { QueryName } from './queries.js';

export const KEY_GROUPS = 8;
const VOCABULARY = ['spark', 'kafka', 'redis', 'stream', 'batch', 'epoch', 'watermark', 'state', 'key', 'group', 'fence', 'lease'];

export interface SinkRun {
  readonly input: string;
  /** The output topic, or the file sink's folder. */
  readonly output: string;
  readonly prefix: string;
  readonly lines: readonly string[];
  readonly lives: WorkerLife[];
  readonly base: Omit<ClusterChildConfig, 'workerId'>;
}

export const redisUrl = (): string => process.env['REDIS_URL']!;

/** A deterministic PRNG (mulberry32): the kill points of a run follow from its seed, printed by the test. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lines of words, deterministic per seed. */
export function linesOf(n: number, seed: number): string[] {
  const next = random(seed);
  const pick = (k: number): number => Math.floor(next() * k);
  return Array.from({ length: n }, () => Array.from({ length: 1 + pick(6) }, () => VOCABULARY[pick(VOCABULARY.length)]!).join(' '));
}

/** A run's topics and checkpoint; `output` is a topic unless given (a folder). Input is produced by produceLines. */
export async function newSinkRun(query: QueryName, lines: readonly string[], perTrigger: number, extra: Partial<ClusterChildConfig> = {}): Promise<SinkRun> {
  const input = uniqueTopic('cluster-in');
  await createTopic(input, 4);
  let output = extra.output;
  if (output === undefined) {
    output = uniqueTopic('cluster-out');
    await createTopic(output, 2);
  }
  const prefix = `cluster-sink-${randomUUID().slice(0, 8)}`;
  return {
    input, output, prefix, lines, lives: [],
    base: {
      brokers: brokers(), input, output, checkpointLocation: `${redisUrl()}/0/${prefix}`, query, keyGroups: KEY_GROUPS,
      maxOffsetsPerTrigger: perTrigger, sessionTimeoutMs: 3000, leaseMs: 2000, ...extra,
    },
  };
}


/** Lines [from, until) of the run, round robin over the input's 4 partitions. */
export async function produceLines(run: SinkRun, from: number, until: number): Promise<void> {
  await produce(run.input, run.lines.slice(from, until).map((value, i) => ({ value, partition: (from + i) % 4 })));
}

export function startWorker(run: SinkRun, workerId: string): WorkerLife {
  const life = new WorkerLife({ ...run.base, workerId });
  run.lives.push(life);
  return life;
}

export async function endRun(run: SinkRun): Promise<void> {
  await Promise.all(run.lives.map((l) => l.kill('SIGKILL')));
  await deleteRedisPrefix(redisUrl(), run.prefix);
}

/** Stops every live worker with SIGTERM; each must leave the group and exit 0. */
export async function stopWorkers(run: SinkRun): Promise<(number | null)[]> {
  return Promise.all(run.lives.filter((l) => l.alive).map(async (l) => {
    l.child.kill('SIGTERM');
    return l.exited;
  }));
}

/** How many lines starting with `prefix` all workers of the run printed (the dead ones' too). */
export function printed(run: SinkRun, prefix: string): number {
  return run.lives.reduce((n, l) => n + l.lines(prefix).length, 0);
}

/** The last lines of every worker life, for a failure's message. */
export function tails(run: SinkRun): string {
  return run.lives.map((l) => `--- ${l.cfg.workerId} (${l.alive ? 'alive' : 'ended'}):\n${l.output.split('\n').slice(-15).join('\n')}`).join('\n');
}

/** What a kill waits for: the cluster doing this step `count` more times (every epoch has each of them). */
const KILL_POINTS = ['PLANNED ', 'STAGE-ONE ', 'STAGE-TWO ', 'SINK ', 'COMMITTED '];

/**
 * `kills` rounds: new input (a slice of the run's lines), then a random step of the query is
 * awaited (the coordinator planning or committing, a stage-one or stage-two task, a task's sink
 * write, 1 to 3 times) and a random worker is SIGKILLed there and restarted under its name.
 * Every round's input makes at least ceil(perRound / perTrigger) >= 3 new epochs, so the awaited
 * steps happen; no wait is for a duration. Returns what was killed where.
 */
export async function killRounds(run: SinkRun, workerIds: readonly string[], kills: number, seed: number): Promise<string[]> {
  const next = random(seed);
  const perRound = Math.floor(run.lines.length / kills);
  if (perRound <= 2 * run.base.maxOffsetsPerTrigger) throw new Error(`${run.lines.length} lines make fewer than 3 epochs per round: use more`);
  const lives = new Map(workerIds.map((id) => [id, startWorker(run, id)]));
  await Promise.all([...lives.values()].map((l) => l.until((x) => x.output.includes('JOINED'), 'JOINED')));
  const done: string[] = [];
  for (let round = 0; round < kills; round++) {
    const point = KILL_POINTS[Math.floor(next() * KILL_POINTS.length)]!;
    const times = 1 + Math.floor(next() * 3);
    const id = workerIds[Math.floor(next() * workerIds.length)]!;
    const before = printed(run, point);
    await produceLines(run, round * perRound, (round + 1) * perRound);
    await eventually(() => printed(run, point) >= before + times, `round ${round}: ${times} more ${point.trim()}`, PATIENCE_MS)
      .catch((e: unknown) => { throw new Error(`${(e as Error).message}\n${tails(run)}`); });
    await lives.get(id)!.kill('SIGKILL');
    done.push(`${id}@${point.trim()}+${times}`);
    // Restarted at once; the next round does not wait for it to join (a kill may land in its start-up).
    lives.set(id, startWorker(run, id));
  }
  await produceLines(run, kills * perRound, run.lines.length);
  return done;
}

/** Waits until the commit log holds an epoch ending at the input's end offsets; the committed epochs, checked to tile the input. */
export async function untilInputCommitted(run: SinkRun, redis: Redis): Promise<Planned[]> {
  const keys = new ClusterKeys(run.prefix);
  const ends = await endOffsets(run.input, false);
  let committed = -1;
  await eventually(async () => {
    const c = await redis.get(keys.committed);
    if (c === null) return false;
    const entry = JSON.parse((await redis.hget(keys.offsets, c))!) as Planned;
    committed = Number(c);
    return [...ends].every(([p, e]) => entry.end[String(p)] === e);
  }, `every input offset of ${run.input} committed`, 240_000).catch((e: unknown) => { throw new Error(`${(e as Error).message}\n${tails(run)}`); });
  const all = await redis.hgetall(keys.offsets);
  const epochs = Array.from({ length: committed + 1 }, (_, e) => JSON.parse(all[String(e)]!) as Planned);
  epochs.forEach((p, e) => {
    for (const part of [0, 1, 2, 3]) {
      const start = e === 0 ? 0 : epochs[e - 1]!.end[String(part)];
      if (p.start[String(part)] !== start) throw new Error(`epoch ${e} starts partition ${part} at ${p.start[String(part)]}, not at ${start}`);
    }
  });
  return epochs;
}

/** Waits until no transaction is open on the output topic (its markers reach the partitions a moment after a commit). */
export async function untilOutputStable(topic: string): Promise<void> {
  await eventually(async () => {
    const [stable, high] = await Promise.all([endOffsets(topic, true), endOffsets(topic, false)]);
    return [...high].every(([p, e]) => stable.get(p) === e);
  }, `no open transaction on ${topic}`, PATIENCE_MS);
}

/** The input records, as partition -> values by offset. */
export async function inputRecords(run: SinkRun): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const m of await readAll(run.input, false)) {
    let list = out.get(m.partition);
    if (!list) out.set(m.partition, (list = []));
    list[m.offset] = m.value!;
  }
  return out;
}

/** The input records of one planned epoch, as [partition, offset, value]. */
export function epochInput(records: Map<number, string[]>, p: Planned): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (const [part, values] of records) {
    for (let o = p.start[String(part)]!; o < p.end[String(part)]!; o++) out.push([part, o, values[o]!]);
  }
  return out;
}

/** The word count's output each epoch must have written (update mode): each word of its input, with its count so far. */
export function wordCountEpochs(records: Map<number, string[]>, epochs: readonly Planned[], complete = false): Map<number, string[]> {
  const counts = new Map<string, number>();
  const out = new Map<number, string[]>();
  for (const p of epochs) {
    const touched = new Set<string>();
    for (const [, , line] of epochInput(records, p)) {
      for (const w of line.split(' ')) {
        counts.set(w, (counts.get(w) ?? 0) + 1);
        touched.add(w);
      }
    }
    const keys = complete ? [...counts.keys()] : [...touched];
    out.set(p.epoch, keys.map((w) => `${w}=${counts.get(w)}`).sort());
  }
  return out;
}

/** Messages read with read_committed, as epoch (their header) -> sorted `key=value`. */
export function byEpoch(messages: readonly ReadMessage[]): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const m of messages) {
    const epoch = Number(m.headers['spate.epoch']);
    let list = out.get(epoch);
    if (!list) out.set(epoch, (list = []));
    list.push(`${m.key}=${m.value}`);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/** Drops the epochs that wrote nothing (their expected output is empty too). */
export function nonEmpty(m: Map<number, string[]>): [number, string[]][] {
  return [...m].filter(([, v]) => v.length > 0).sort(([a], [b]) => a - b);
}
