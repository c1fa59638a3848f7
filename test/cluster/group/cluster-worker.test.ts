// Cluster mode end to end (issue 13): workers as real child processes (cluster-child.ts) against
// the test run's real Kafka broker and Redis. The word count over Kafka with 1, 2 and 3 workers
// gives what one process gives; a worker SIGKILLed and restarted (the coordinator among them)
// changes nothing; a worker frozen past its key groups' hand-over (SIGSTOP) has its late commit
// refused by the fencing script, and the output holds no duplicate. Every wait is for a
// condition (a line a worker printed, a Redis value), never for a duration.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Row } from '../../../src/index.js';
import { Session, Trigger } from '../../../src/index.js';
import { ClusterKeys } from '../../../src/cluster/group/fencing.js';
import { brokers, createTopic, endOffsets, produce, readAll, uniqueTopic } from '../../support/kafka.js';
import { eventually } from '../../support/helpers.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';
import type { ClusterChildConfig } from './cluster-child.js';
import { wordCount } from './word-count-query.js';
import { WorkerLife } from './cluster-life.js';

jest.setTimeout(240_000);

const VOCABULARY = ['spark', 'kafka', 'redis', 'stream', 'batch', 'epoch', 'watermark', 'state', 'key', 'group', 'fence', 'lease'];
const KEY_GROUPS = 8;
const PER_TRIGGER = 150;

interface Run {
  readonly input: string;
  readonly output: string;
  readonly prefix: string;
  readonly location: string;
  readonly lines: string[];
  readonly lives: WorkerLife[];
}

const redisUrl = (): string => process.env['REDIS_URL']!;
let redis: Redis;
const runs: Run[] = [];

beforeAll(() => { redis = new Redis(redisUrl()); });
afterEach(async () => {
  for (const r of runs.splice(0)) {
    await Promise.all(r.lives.map((l) => l.kill('SIGKILL')));
    await deleteRedisPrefix(redisUrl(), r.prefix);
  }
});
afterAll(() => redis.disconnect());

/** Lines of words, deterministic per seed, over the input topic's 4 partitions. */
function linesOf(n: number, seed: number): string[] {
  let x = seed;
  const next = (): number => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x; };
  return Array.from({ length: n }, () => Array.from({ length: 1 + (next() % 6) }, () => VOCABULARY[next() % VOCABULARY.length]!).join(' '));
}

async function newRun(lineCount: number, seed: number, producedNow = lineCount): Promise<Run> {
  const input = uniqueTopic('cluster-in');
  const output = uniqueTopic('cluster-out');
  await createTopic(input, 4);
  await createTopic(output, 1);
  const lines = linesOf(lineCount, seed);
  await produceLines(input, lines, 0, producedNow);
  const prefix = `cluster-test-${randomUUID().slice(0, 8)}`;
  const run: Run = { input, output, prefix, location: `${redisUrl()}/0/${prefix}`, lines, lives: [] };
  runs.push(run);
  return run;
}

async function produceLines(topic: string, lines: readonly string[], from: number, until: number): Promise<void> {
  await produce(topic, lines.slice(from, until).map((value, i) => ({ value, partition: (from + i) % 4 })));
}

function worker(run: Run, workerId: string, extra: Partial<ClusterChildConfig> = {}): WorkerLife {
  const life = new WorkerLife({
    brokers: brokers(), input: run.input, output: run.output, checkpointLocation: run.location, workerId,
    keyGroups: KEY_GROUPS, maxOffsetsPerTrigger: PER_TRIGGER, sessionTimeoutMs: 3000, leaseMs: 2000, ...extra,
  });
  run.lives.push(life);
  return life;
}

/** Waits until the commit log holds an epoch that ends at the input's end offsets. */
async function untilAllCommitted(run: Run): Promise<void> {
  const keys = new ClusterKeys(run.prefix);
  const ends = await endOffsets(run.input, false);
  await eventually(async () => {
    const c = await redis.get(keys.committed);
    if (c === null) return false;
    const entry = JSON.parse((await redis.hget(keys.offsets, c))!) as { end: Record<string, number> };
    return [...ends].every(([p, e]) => entry.end[String(p)] === e);
  }, `every input offset of ${run.input} committed`, 200_000);
}

/** The word counts a plain loop computes. */
function plainCounts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** The same query in one process (Trigger.AvailableNow): the last count of each word. */
async function singleProcessCounts(run: Run): Promise<Map<string, number>> {
  const spark = Session.builder().appName('cluster-reference').config('spate.sql.shuffle.partitions', KEY_GROUPS).create();
  const last = new Map<string, number>();
  const q = wordCount(spark, { brokers: brokers(), input: run.input, maxOffsetsPerTrigger: PER_TRIGGER }).writeStream
    .outputMode('update').trigger(Trigger.AvailableNow())
    .foreachBatch(async (batch) => { for (const r of (await batch.collect()) as Row[]) last.set(String(r['key']), Number(r['value'])); })
    .start();
  await q.awaitTermination();
  return last;
}

/**
 * What the cluster wrote, read with read_committed: the last count of each word, after checking
 * that no epoch wrote a word twice and that each word's counts only grow (a replayed epoch
 * written twice would break both).
 */
async function clusterCounts(run: Run): Promise<Map<string, number>> {
  const messages = await readAll(run.output, true);
  const seen = new Set<string>();
  const last = new Map<string, { epoch: number; count: number }>();
  for (const m of messages) {
    const epoch = Number(m.headers['spate.epoch']);
    const id = `${m.key}@${epoch}`;
    if (seen.has(id)) throw new Error(`epoch ${epoch} wrote '${m.key}' twice`);
    seen.add(id);
    const before = last.get(m.key!);
    if (before && (before.epoch >= epoch || before.count >= Number(m.value))) {
      throw new Error(`'${m.key}': count ${m.value} in epoch ${epoch} after ${before.count} in epoch ${before.epoch}`);
    }
    last.set(m.key!, { epoch, count: Number(m.value) });
  }
  return new Map([...last].map(([k, v]) => [k, v.count]));
}

const sorted = (m: Map<string, number>): [string, number][] => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

async function stopAll(run: Run): Promise<void> {
  await Promise.all(run.lives.filter((l) => l.alive).map(async (l) => {
    l.child.kill('SIGTERM');
    await l.until((x) => x.output.includes('STOPPED'), 'STOPPED').catch(() => undefined);
    await l.exited;
  }));
}

describe('cluster mode: the word count over Kafka on worker processes', () => {
  it.each([1, 2, 3])('with %i worker(s) equals the single-process run', async (n) => {
    const run = await newRun(1200, 7 + n);
    const lives = Array.from({ length: n }, (_, i) => worker(run, `w${i}`));
    await Promise.all(lives.map((l) => l.until((x) => x.output.includes('JOINED'), 'JOINED')));
    await untilAllCommitted(run);
    const [cluster, single] = [await clusterCounts(run), await singleProcessCounts(run)];
    expect(sorted(cluster)).toEqual(sorted(single));
    expect(sorted(cluster)).toEqual(sorted(plainCounts(run.lines)));
    // Every worker took part: each claimed key groups.
    for (const l of lives) expect(l.lines('CLAIMED ').length).toBeGreaterThan(0);
    await stopAll(run);
    for (const l of lives) expect(l.child.exitCode).toBe(0);
  });

  it('a worker SIGKILLed (the coordinator among them) and restarted changes nothing', async () => {
    const run = await newRun(1600, 101, 400);
    const a = worker(run, 'a');
    const b = worker(run, 'b');
    await Promise.all([a, b].map((l) => l.until((x) => x.output.includes('JOINED'), 'JOINED')));
    const lives = { a, b };
    let kills = 0;
    // Three kills: the coordinator right after it committed an epoch; the coordinator right after
    // it planned one (the epoch in flight is finished by the next coordinator, from the logs);
    // the other worker (its source partitions and key groups move). Each restarts at once, and
    // more input follows, so that every kill lands in a running query.
    const holdsLease = (l: WorkerLife): boolean => l.alive && l.output.lastIndexOf('LEASE ') > l.output.lastIndexOf('LEASE-LOST');
    const coordinating = (): WorkerLife | undefined => Object.values(lives).find(holdsLease);
    for (let round = 0; round < 3; round++) {
      const planned = Object.values(lives).map((l) => l.lines('PLANNED ').length);
      const committed = Object.values(lives).map((l) => l.lines('COMMITTED ').length);
      const moved = (what: 'PLANNED ' | 'COMMITTED ', before: number[]): boolean =>
        Object.values(lives).some((l, i) => holdsLease(l) && l.lines(what).length > before[i]!);
      await eventually(() => (round === 1 ? moved('PLANNED ', planned) : moved('COMMITTED ', committed)), `the coordinator's next step in round ${round}`, 120_000);
      const coordinator = coordinating()!;
      const victim = round === 2 ? Object.values(lives).find((l) => l !== coordinator)! : coordinator;
      const id = victim.cfg.workerId as 'a' | 'b';
      await victim.kill('SIGKILL');
      kills += 1;
      lives[id] = worker(run, id);
      await lives[id].until((x) => x.output.includes('JOINED'), 'JOINED');
      // More input once the restarted worker is in: the next round kills mid-run again.
      await produceLines(run.input, run.lines, 400 * (round + 1), 400 * (round + 2));
    }
    await untilAllCommitted(run);
    expect(kills).toBe(3);
    expect(sorted(await clusterCounts(run))).toEqual(sorted(plainCounts(run.lines)));
    expect(sorted(await singleProcessCounts(run))).toEqual(sorted(plainCounts(run.lines)));
    await stopAll(run);
  });

  it("a SIGSTOPped worker's late commit is refused and the output has no duplicate", async () => {
    const run = await newRun(900, 202);
    const dir = mkdtempSync(join(tmpdir(), 'spate-cluster-gate-'));
    const gate = join(dir, 'go');
    try {
      const frozen = worker(run, 'a', { gate: { epoch: 1, file: gate } });
      const other = worker(run, 'b');
      await frozen.until((x) => x.lines('GATED ').length > 0, 'GATED');
      const [group, epoch] = frozen.lines('GATED ')[0]!.split(' ').slice(1).map(Number) as [number, number];
      frozen.child.kill('SIGSTOP');
      // The other worker gets the key group once the frozen one's session expired, and commits the epoch.
      const keys = new ClusterKeys(run.prefix);
      await eventually(async () => Number((await redis.get(keys.groupEpoch(group))) ?? -1) >= epoch, `key group ${group} committed by the other worker`, 120_000);
      expect(other.lines(`CLAIMED ${group}`).length).toBeGreaterThan(0);
      writeFileSync(gate, '');
      frozen.child.kill('SIGCONT');
      await frozen.until((x) => x.lines(`REFUSED ${group} ${epoch}`).length > 0, 'its late commit refused');
      expect(Number(await redis.get(keys.refused(group)))).toBeGreaterThanOrEqual(1);
      await untilAllCommitted(run);
      expect(sorted(await clusterCounts(run))).toEqual(sorted(plainCounts(run.lines)));
      await stopAll(run);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
