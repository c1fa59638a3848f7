// Cluster mode end to end (issue 13): workers as real child processes (cluster-child.ts) against
// the test run's real Kafka broker and Redis. The word count over Kafka with 1, 2 and 3 workers
// gives what one process gives; a worker SIGKILLed and restarted (the coordinator among them)
// changes nothing; a worker frozen past its key groups' hand-over (SIGSTOP) has its late commit
// refused by the fencing script, and the output holds no duplicate. Every wait is for a
// condition (a line a worker printed, a Redis value), never for a duration.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import type { Row } from '../../../src/index.js';
import { Session, Trigger } from '../../../src/index.js';
import { ClusterKeys } from '../../../src/cluster/group/fencing.js';
import { brokers, createTopic, endOffsets, produce, readAll, uniqueTopic } from '../../support/kafka.js';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import { RedisCluster } from '../../support/redis-cluster.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';
import type { ClusterChildConfig } from './cluster-child.js';
import type { QueryName } from './queries.js';
import { OUTPUT_MODE, queryOf } from './queries.js';
import { WorkerLife } from './cluster-life.js';

jest.setTimeout(900_000);

const VOCABULARY = ['spark', 'kafka', 'redis', 'stream', 'batch', 'epoch', 'watermark', 'state', 'key', 'group', 'fence', 'lease'];
const KEY_GROUPS = 8;
const PER_TRIGGER = 150;

interface Run {
  readonly query: QueryName;
  readonly input: string;
  readonly output: string;
  readonly prefix: string;
  readonly location: string;
  readonly lines: string[];
  readonly lives: WorkerLife[];
  /** Where the run's checkpoint is (the test run's Redis, or a Redis Cluster). */
  readonly store: { readonly url: string; readonly client: Redis | Cluster };
  /** The workers' plan gate (cluster-child.ts): the highest epoch they may plan; see openPlanning. */
  readonly planGate: string;
  readonly dir: string;
}

const redisUrl = (): string => process.env['REDIS_URL']!;
let redis: Redis;
const runs: Run[] = [];

beforeAll(() => { redis = new Redis(redisUrl()); });
afterEach(async () => {
  for (const r of runs.splice(0)) {
    await Promise.all(r.lives.map((l) => l.kill('SIGKILL')));
    if (r.store.client === redis) await deleteRedisPrefix(redisUrl(), r.prefix);
    rmSync(r.dir, { recursive: true, force: true });
  }
});
afterAll(() => redis.disconnect());

/** Lines of words, deterministic per seed, over the input topic's 4 partitions. */
function linesOf(n: number, seed: number): string[] {
  let x = seed;
  const next = (): number => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x; };
  return Array.from({ length: n }, () => Array.from({ length: 1 + (next() % 6) }, () => VOCABULARY[next() % VOCABULARY.length]!).join(' '));
}

/** Trades as JSON, 37 s of event time apart (in order, so the 30-minute watermark drops none). */
function tradesOf(n: number, seed: number): string[] {
  const base = Date.UTC(2019, 1, 5, 10, 0, 0) + seed * 1000;
  const two = (x: number): string => String(x).padStart(2, '0');
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(base + i * 37_000);
    const time = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    return JSON.stringify({ CreatedTime: time, Type: (i * 7 + seed) % 3 === 0 ? 'SELL' : 'BUY', Amount: (i * 13 + seed) % 500 + 1, BrokerCode: 'ABX' });
  });
}

async function newRun(lineCount: number, seed: number, producedNow = lineCount, query: QueryName = 'words',
  store: Run['store'] = { url: redisUrl(), client: redis }): Promise<Run> {
  const input = uniqueTopic('cluster-in');
  const output = uniqueTopic('cluster-out');
  await createTopic(input, 4);
  await createTopic(output, 1);
  const lines = query === 'words' ? linesOf(lineCount, seed) : tradesOf(lineCount, seed);
  await produceLines(input, lines, 0, producedNow);
  const prefix = `cluster-test-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'spate-cluster-run-'));
  const run: Run = { query, input, output, prefix, location: `${store.url}/0/${prefix}`, lines, lives: [], store, planGate: join(dir, 'plan-through'), dir };
  runs.push(run);
  return run;
}


async function produceLines(topic: string, lines: readonly string[], from: number, until: number): Promise<void> {
  await produce(topic, lines.slice(from, until).map((value, i) => ({ value, partition: (from + i) % 4 })));
}

/**
 * Lets the workers of a run started with `planGate` plan epochs up to `epoch`. An epoch's ranges
 * are whatever the source partitions hold when the coordinator plans it, and with a watermark
 * that decides which rows come late (as in Spark); a test that wants the same epochs every run
 * produces the input first, then opens the gate. Written whole (rename), never seen half-written.
 */
function openPlanning(run: Run, epoch = Number.MAX_SAFE_INTEGER): void {
  writeFileSync(`${run.planGate}.tmp`, String(epoch));
  renameSync(`${run.planGate}.tmp`, run.planGate);
}

function worker(run: Run, workerId: string, extra: Partial<ClusterChildConfig> = {}): WorkerLife {
  const life = new WorkerLife({
    brokers: brokers(), input: run.input, output: run.output, checkpointLocation: run.location, workerId, query: run.query,
    keyGroups: KEY_GROUPS, maxOffsetsPerTrigger: PER_TRIGGER, sessionTimeoutMs: 3000, leaseMs: 2000, ...extra,
  });
  run.lives.push(life);
  return life;
}

/** Waits until the commit log holds an epoch that ends at the input's end offsets. */
async function untilAllCommitted(run: Run): Promise<void> {
  const keys = new ClusterKeys(run.prefix);
  const ends = await endOffsets(run.input, false);
  const store = run.store.client;
  await eventually(async () => {
    const c = await store.get(keys.committed);
    if (c === null) return false;
    const entry = JSON.parse((await store.hget(keys.offsets, c))!) as { end: Record<string, number> };
    return [...ends].every(([p, e]) => entry.end[String(p)] === e);
  }, `every input offset of ${run.input} committed`, 200_000);
  // A committed transaction's markers reach the output partition a moment after the commit: until
  // they do, read_committed readers stop before its records.
  await eventually(async () => {
    const [stable, high] = await Promise.all([endOffsets(run.output, true), endOffsets(run.output, false)]);
    return [...high].every(([p, e]) => stable.get(p) === e);
  }, `no open transaction on ${run.output}`, PATIENCE_MS);
}

/** The word counts a plain loop computes. */
function plainCounts(lines: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lines) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/**
 * The same query in one process (Trigger.AvailableNow) over `input` (default the run's): the
 * last value written for each key, added to `last`. With a checkpoint, a later call goes on
 * where the earlier one stopped.
 */
async function singleProcessCounts(run: Run, input = run.input, checkpoint?: string, last = new Map<string, string>()): Promise<Map<string, string>> {
  const spark = Session.builder().appName('cluster-reference').config('spate.sql.shuffle.partitions', KEY_GROUPS).create();
  let writer = queryOf(run.query, spark, { brokers: brokers(), input, maxOffsetsPerTrigger: PER_TRIGGER }).writeStream
    .outputMode(OUTPUT_MODE[run.query]).trigger(Trigger.AvailableNow());
  if (checkpoint) writer = writer.option('checkpointLocation', checkpoint);
  const q = writer
    .foreachBatch(async (batch) => {
      for (const r of (await batch.collect()) as Row[]) {
        const key = String(r['key']);
        if (run.query === 'trades' && last.has(key)) throw new Error(`append mode wrote window ${key} twice`);
        last.set(key, String(r['value']));
      }
    })
    .start();
  await q.awaitTermination();
  return last;
}

/** The closed 15-minute windows' BUY and SELL sums, by a plain loop (windows ending at or below the final watermark). */
function plainWindows(lines: readonly string[]): Map<string, string> {
  const trades = lines.map((l) => JSON.parse(l) as { CreatedTime: string; Type: string; Amount: number });
  const times = trades.map((t) => Date.parse(`${t.CreatedTime.replace(' ', 'T')}Z`));
  const watermark = Math.max(...times) - 30 * 60_000;
  const sums = new Map<number, { BUY?: number; SELL?: number }>();
  trades.forEach((t, i) => {
    const start = Math.floor(times[i]! / 900_000) * 900_000;
    const s = sums.get(start) ?? {};
    s[t.Type as 'BUY' | 'SELL'] = (s[t.Type as 'BUY' | 'SELL'] ?? 0) + t.Amount;
    sums.set(start, s);
  });
  const two = (x: number): string => String(x).padStart(2, '0');
  const name = (ms: number): string => { const d = new Date(ms); return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`; };
  return new Map([...sums].filter(([start]) => start + 900_000 <= watermark).map(([start, s]) => [name(start), JSON.stringify(s.BUY === undefined ? { SELL: s.SELL } : s.SELL === undefined ? { BUY: s.BUY } : { BUY: s.BUY, SELL: s.SELL })]));
}

/** What a plain loop expects of the run's query, as key -> last value. */
function expected(run: Run): Map<string, string> {
  return run.query === 'words' ? new Map([...plainCounts(run.lines)].map(([k, v]) => [k, String(v)])) : plainWindows(run.lines);
}

/**
 * What the cluster wrote, read with read_committed: the last value of each key, after checking
 * that no epoch wrote a key twice and, for the word count (update mode), that each word's count
 * only grows; for the windows (append mode), that each window came out once.
 */
async function clusterCounts(run: Run): Promise<Map<string, string>> {
  const messages = await readAll(run.output, true);
  const seen = new Set<string>();
  const last = new Map<string, { epoch: number; value: string }>();
  for (const m of messages) {
    const epoch = Number(m.headers['spate.epoch']);
    const id = run.query === 'words' ? `${m.key}@${epoch}` : m.key!;
    if (seen.has(id)) throw new Error(`'${m.key}' written twice (epoch ${epoch}): ${JSON.stringify(messages.filter((x) => x.key === m.key))}`);
    seen.add(id);
    const before = last.get(m.key!);
    if (before && (before.epoch >= epoch || Number(before.value) >= Number(m.value))) {
      throw new Error(`'${m.key}': count ${m.value} in epoch ${epoch} after ${before.value} in epoch ${before.epoch}`);
    }
    last.set(m.key!, { epoch, value: m.value! });
  }
  return new Map([...last].map(([k, v]) => [k, v.value]));
}

/** The key groups a worker's newest assignment gives it (its last REBALANCED line). */
function keyGroupsHeld(life: WorkerLife): number[] {
  const line = life.lines('REBALANCED ').at(-1);
  if (!line) return [];
  const assignment = JSON.parse(line.split(' ').slice(3).join(' ')) as Record<string, number[]>;
  return [...(Object.entries(assignment).find(([t]) => t.endsWith('-repartition'))?.[1] ?? [])].sort((x, y) => x - y);
}

/** Whether the workers' newest assignments share all key groups out, each holding some (and claimed them). */
function settled(lives: readonly WorkerLife[]): boolean {
  const held = lives.map(keyGroupsHeld);
  return held.every((h) => h.length > 0) && held.reduce((n, h) => n + h.length, 0) === KEY_GROUPS &&
    lives.every((l, i) => held[i]!.every((g) => l.lines(`CLAIMED ${g}`).length > 0));
}

const sorted = (m: Map<string, string>): [string, string][] => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

async function stopAll(run: Run): Promise<void> {
  await Promise.all(run.lives.filter((l) => l.alive).map(async (l) => {
    l.child.kill('SIGTERM');
    await l.until((x) => x.output.includes('STOPPED'), 'STOPPED').catch(() => undefined);
    await l.exited;
  }));
}

describe('cluster mode: the word count over Kafka on worker processes', () => {
  it.each([1, 2, 3])('with %i worker(s) equals the single-process run', async (n) => {
    const run = await newRun(1200, 7 + n, 0);
    const lives = Array.from({ length: n }, (_, i) => worker(run, `w${i}`, { planGate: run.planGate }));
    // Input only once every worker holds key groups, so that all of them share the work; the
    // epochs are planned once it is all there, so they are the same on every run.
    await eventually(() => settled(lives), `${n} workers holding key groups`, PATIENCE_MS);
    await produceLines(run.input, run.lines, 0, run.lines.length);
    openPlanning(run);
    await untilAllCommitted(run);
    const [cluster, single] = [await clusterCounts(run), await singleProcessCounts(run)];
    expect(sorted(cluster)).toEqual(sorted(single));
    expect(sorted(cluster)).toEqual(sorted(expected(run)));
    await stopAll(run);
    for (const l of lives) expect(l.child.exitCode).toBe(0);
  });

  it.each([1, 2, 3])('the trades windows with a watermark (append mode) with %i worker(s) equal the single-process run', async (n) => {
    const run = await newRun(600, 11 + n, 0, 'trades');
    const lives = Array.from({ length: n }, (_, i) => worker(run, `w${i}`, { planGate: run.planGate }));
    await eventually(() => settled(lives), `${n} workers holding key groups`, PATIENCE_MS);
    // Every partition's input is there before the first epoch is planned: an epoch planned while
    // the producer's request was half-appended (one partition's records visible, the others' not
    // yet) would read that partition to its end, move the watermark past the others' rows, and
    // drop those as late, as Spark would with that arrival (see the next test).
    await produceLines(run.input, run.lines, 0, run.lines.length);
    openPlanning(run);
    await untilAllCommitted(run);
    // The last epoch's watermark closes the windows: wait for the no-data epoch it runs.
    const keys = new ClusterKeys(run.prefix);
    const want = expected(run);
    await eventually(async () => (await clusterCounts(run)).size >= want.size, 'the closed windows written', PATIENCE_MS);
    const [cluster, single] = [await clusterCounts(run), await singleProcessCounts(run)];
    expect(want.size).toBeGreaterThan(10);
    expect(sorted(cluster)).toEqual(sorted(single));
    expect(sorted(cluster)).toEqual(sorted(want));
    expect(await redis.hlen(keys.commits)).toBeGreaterThan(0);
    await stopAll(run);
    for (const l of lives) expect(l.child.exitCode).toBe(0);
  });

  it("one partition's input ahead of the others: their rows come late and are dropped as in the single-process run fed the same way", async () => {
    const run = await newRun(600, 29, 0, 'trades');
    const lives = [worker(run, 'w0', { planGate: run.planGate }), worker(run, 'w1', { planGate: run.planGate })];
    await eventually(() => settled(lives), '2 workers holding key groups', PATIENCE_MS);
    const byPartition = (first: boolean): { value: string; partition: number }[] =>
      run.lines.map((value, i) => ({ value, partition: i % 4 })).filter((m) => (m.partition === 0) === first);
    const keys = new ClusterKeys(run.prefix);
    const committed = async (): Promise<number> => Number((await redis.get(keys.committed)) ?? -1);
    // Epoch 0 reads partition 0 to its end (its last trade is at 16:10), so the watermark moves
    // to 15:40; epoch 1 has no new data and closes the windows that ended by then.
    await produce(run.input, byPartition(true));
    openPlanning(run, 1);
    await eventually(async () => (await committed()) >= 1, 'epochs 0 and 1 committed', PATIENCE_MS);
    // The other partitions' rows come now: the next epoch's are judged by 15:40 and dropped.
    await produce(run.input, byPartition(false));
    openPlanning(run);
    await untilAllCommitted(run);
    const [e0, e1] = [JSON.parse((await redis.hget(keys.offsets, '0'))!), JSON.parse((await redis.hget(keys.offsets, '1'))!)] as { end: Record<string, number> }[];
    expect(e0!.end).toEqual({ 0: 150, 1: 0, 2: 0, 3: 0 });
    expect(e1!.end).toEqual(e0!.end);

    // One process over a topic fed the same way: one AvailableNow run after partition 0's input
    // (an epoch and a no-data epoch), one after the rest, on the same checkpoint.
    const input = uniqueTopic('cluster-in-single');
    await createTopic(input, 4);
    const checkpoint = join(run.dir, 'single');
    const single = new Map<string, string>();
    await produce(input, byPartition(true));
    await singleProcessCounts(run, input, checkpoint, single);
    await produce(input, byPartition(false));
    await singleProcessCounts(run, input, checkpoint, single);

    await eventually(async () => (await clusterCounts(run)).size >= single.size, 'the closed windows written', PATIENCE_MS);
    const cluster = await clusterCounts(run);
    expect(sorted(cluster)).toEqual(sorted(single));
    // Rows were dropped as late: the windows differ from those of all the rows.
    expect(sorted(cluster)).not.toEqual(sorted(expected(run)));
    await stopAll(run);
  });

  it('on a three-node Redis Cluster (logs on one slot, each key group on its own) equals the single-process run', async () => {
    const nodes = await RedisCluster.start();
    const client = new Cluster([{ host: '127.0.0.1', port: Number(new URL(nodes.url).port) }]);
    try {
      const run = await newRun(900, 404, 900, 'words', { url: nodes.url, client });
      worker(run, 'a');
      worker(run, 'b');
      await untilAllCommitted(run);
      expect(sorted(await clusterCounts(run))).toEqual(sorted(expected(run)));
      // The key groups' state is spread over the nodes.
      const holding = await Promise.all(client.nodes('master').map(async (n) => (await n.keys(`{${run.prefix}:kg*}:state`)).length));
      expect(holding.filter((k) => k > 0).length).toBeGreaterThan(1);
      await stopAll(run);
    } finally {
      client.disconnect();
      await nodes.stop();
    }
  });

  it('a worker SIGKILLed (the coordinator among them) and restarted changes nothing', async () => {
    const run = await newRun(1600, 101, 0);
    const a = worker(run, 'a');
    const b = worker(run, 'b');
    await Promise.all([a, b].map((l) => l.until((x) => x.output.includes('JOINED'), 'JOINED')));
    const lives = { a, b };
    let kills = 0;
    // Three kills: the coordinator right after it committed an epoch; the coordinator right after
    // it planned one (the epoch in flight is finished by the next coordinator, from the logs);
    // the other worker (its source partitions and key groups move). Each restarts at once; each
    // round brings new input, so that every kill lands in a running query.
    const holdsLease = (l: WorkerLife): boolean => l.alive && l.output.lastIndexOf('LEASE ') > l.output.lastIndexOf('LEASE-LOST');
    const coordinating = (): WorkerLife | undefined => Object.values(lives).find(holdsLease);
    for (let round = 0; round < 3; round++) {
      const planned = Object.values(lives).map((l) => l.lines('PLANNED ').length);
      const committed = Object.values(lives).map((l) => l.lines('COMMITTED ').length);
      // Input for this round, after the counts above: the coordinator's next step is this round's.
      await produceLines(run.input, run.lines, 400 * round, 400 * (round + 1));
      const moved = (what: 'PLANNED ' | 'COMMITTED ', before: number[]): boolean =>
        Object.values(lives).some((l, i) => holdsLease(l) && l.lines(what).length > before[i]!);
      await eventually(() => (round === 1 ? moved('PLANNED ', planned) : moved('COMMITTED ', committed)), `the coordinator's next step in round ${round}`, PATIENCE_MS);
      const coordinator = coordinating()!;
      const victim = round === 2 ? Object.values(lives).find((l) => l !== coordinator)! : coordinator;
      const id = victim.cfg.workerId as 'a' | 'b';
      await victim.kill('SIGKILL');
      kills += 1;
      lives[id] = worker(run, id);
      await lives[id].until((x) => x.output.includes('JOINED'), 'JOINED');
    }
    await produceLines(run.input, run.lines, 1200, 1600);
    await untilAllCommitted(run);
    expect(kills).toBe(3);
    expect(sorted(await clusterCounts(run))).toEqual(sorted(expected(run)));
    expect(sorted(await singleProcessCounts(run))).toEqual(sorted(expected(run)));
    await stopAll(run);
  });

  it('a worker leaving with SIGTERM and one joining move key groups whole; the leave re-does nothing; results unchanged', async () => {
    const run = await newRun(1200, 303, 0);
    const a = worker(run, 'a');
    const b = worker(run, 'b');
    await eventually(() => settled([a, b]), 'both workers holding key groups', PATIENCE_MS);
    await produceLines(run.input, run.lines, 0, 400);
    const committed = (): number => run.lives.reduce((n, l) => n + l.lines('COMMITTED ').length, 0);
    const keys = new ClusterKeys(run.prefix);
    const refusals = async (): Promise<number> => {
      let n = 0;
      for (let g = 0; g < KEY_GROUPS; g++) n += Number((await redis.get(keys.refused(g))) ?? 0);
      return n;
    };
    await eventually(() => committed() > 1 && settled([a, b]), 'a commit with both workers', PATIENCE_MS);
    const refusedBefore = await refusals();
    const claimedByA = a.lines('CLAIMED ').length;
    b.child.kill('SIGTERM');
    await b.until((x) => x.output.includes('STOPPED'), 'STOPPED');
    expect(await b.exited).toBe(0);
    // b left the group: its key groups go to a at once (no session timeout to wait for).
    const ofB = keyGroupsHeld(b);
    expect(ofB.length).toBeGreaterThan(0);
    await produceLines(run.input, run.lines, 400, 800);
    const claimedSince = (): number[] => a.lines('CLAIMED ').slice(claimedByA).map((l) => Number(l.split(' ')[1]));
    await eventually(() => ofB.every((g) => claimedSince().includes(g)), "a holding b's key groups", PATIENCE_MS);
    // Only b's key groups moved, each whole.
    expect([...claimedSince()].sort((x, y) => x - y)).toEqual(ofB);
    // b finished its tasks before it left: no commit was refused, nothing was re-done.
    expect(await refusals()).toBe(refusedBefore);
    const c = worker(run, 'c');
    await eventually(() => c.lines('CLAIMED ').length > 0, 'the new worker claiming key groups', PATIENCE_MS);
    await produceLines(run.input, run.lines, 800, 1200);
    await untilAllCommitted(run);
    // (A join may cost a refused key-group commit: the eager rebalance hands a key group to c
    // while a may still be running its task; the fence refuses a's commit and c runs it.)
    expect(sorted(await clusterCounts(run))).toEqual(sorted(expected(run)));
    await stopAll(run);
  });

  it("a SIGSTOPped worker's late commit is refused and the output has no duplicate", async () => {
    const run = await newRun(900, 202);
    const dir = mkdtempSync(join(tmpdir(), 'spate-cluster-gate-'));
    const gate = join(dir, 'go');
    try {
      // Nothing is planned until both hold key groups: were the other alone at first, it could run
      // every epoch before the frozen one joined, which would then never reach its gate.
      const frozen = worker(run, 'a', { gate: { epoch: 1, file: gate }, planGate: run.planGate });
      const other = worker(run, 'b', { planGate: run.planGate });
      await eventually(() => settled([frozen, other]), 'both workers holding key groups', PATIENCE_MS);
      openPlanning(run);
      await frozen.until((x) => x.lines('GATED ').length > 0, 'GATED');
      const [group, epoch] = frozen.lines('GATED ')[0]!.split(' ').slice(1).map(Number) as [number, number];
      frozen.child.kill('SIGSTOP');
      const frozenAt = other.output.length;
      // The other worker gets the key group once the frozen one's session expired, and commits the epoch.
      const keys = new ClusterKeys(run.prefix);
      await eventually(async () => Number((await redis.get(keys.groupEpoch(group))) ?? -1) >= epoch, `key group ${group} committed by the other worker`, PATIENCE_MS);
      expect(other.output.slice(frozenAt)).toContain(`CLAIMED ${group} `);
      writeFileSync(gate, '');
      frozen.child.kill('SIGCONT');
      await frozen.until((x) => x.lines(`REFUSED ${group} ${epoch}`).length > 0, 'its late commit refused');
      expect(Number(await redis.get(keys.refused(group)))).toBeGreaterThanOrEqual(1);
      await untilAllCommitted(run);
      expect(sorted(await clusterCounts(run))).toEqual(sorted(expected(run)));
      await stopAll(run);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
