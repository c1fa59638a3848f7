// Cluster mode's keyed steps besides the aggregation (issue 13), on 1, 2 and 3 worker processes
// against the run's real Kafka and Redis: the notes' stream-stream join (ad impressions left
// outer joined with their clicks within an hour, 10-minute watermarks on both streams; both
// inputs hashed by the ad into the same key groups, each key group's join state committed in its
// fenced script) and dropDuplicates with a watermark. The output equals what one process writes
// for the same epochs. The input is produced before the first epoch is planned (the workers'
// plan gate), so the epochs are the same on every run.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Row } from '../../../src/index.js';
import { Session, Trigger } from '../../../src/index.js';
import { ClusterKeys } from '../../../src/cluster/group/fencing.js';
import { brokers, createTopic, endOffsets, produce, readAll, uniqueTopic } from '../../support/kafka.js';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';
import type { QueryName } from './queries.js';
import { OUTPUT_MODE, REGIONS, queryOf } from './queries.js';
import { WorkerLife } from './cluster-life.js';

jest.setTimeout(900_000);

const KEY_GROUPS = 8;
const PER_TRIGGER = 150;
const BASE = Date.UTC(2024, 2, 1, 10, 0, 0);

const two = (x: number): string => String(x).padStart(2, '0');
const stamp = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
};

interface AdEvent { readonly adId: string; readonly time: number }

/**
 * Impressions every 30 s of 40 ads (each ad again 20 minutes later), and clicks for two in three
 * of them 0-89 minutes after it, in time order: a click matches every impression of its ad in
 * the hour before it, none, or a later one.
 */
function adsOf(n: number, seed: number): { impressions: AdEvent[]; clicks: AdEvent[] } {
  const impressions = Array.from({ length: n }, (_, i) => ({ adId: `ad-${(i + seed) % 40}`, time: BASE + i * 30_000 }));
  const clicks = impressions.flatMap((imp, i) => ((i + seed) % 3 === 0 ? [] : [{ adId: imp.adId, time: imp.time + ((i * 7919 + seed) % 90) * 60_000 }]))
    .sort((a, b) => a.time - b.time);
  return { impressions, clicks };
}

const json = (e: AdEvent): string => JSON.stringify({ adId: e.adId, time: stamp(e.time) });

let redis: Redis;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(() => { redis = new Redis(process.env['REDIS_URL']!); });
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });
afterAll(() => redis.disconnect());

async function topicOf(prefix: string): Promise<string> {
  const topic = uniqueTopic(prefix);
  for (let attempt = 1; ; attempt++) {
    try {
      await createTopic(topic, 4);
      return topic;
    } catch (e) {
      if ((e as { retriable?: boolean }).retriable !== true || attempt === 5) throw e;
    }
  }
}

async function produceAds(impressions: string, clicks: string, ads: ReturnType<typeof adsOf>): Promise<void> {
  await produce(impressions, ads.impressions.map((e, i) => ({ value: json(e), partition: i % 4 })));
  await produce(clicks, ads.clicks.map((e, i) => ({ value: json(e), partition: i % 4 })));
}

/** What one process writes (Trigger.AvailableNow, the same per-trigger limits, the query's output mode): `key value` lines, sorted. */
async function singleProcess(query: QueryName, input: string, clicks?: string): Promise<string[]> {
  const spark = Session.builder().appName('cluster-keyed-reference').config('spate.sql.shuffle.partitions', KEY_GROUPS).create();
  const out: string[] = [];
  const q = queryOf(query, spark, { brokers: brokers(), input, ...(clicks ? { clicks } : {}), maxOffsetsPerTrigger: PER_TRIGGER }).writeStream
    .outputMode(OUTPUT_MODE[query]).trigger(Trigger.AvailableNow())
    .foreachBatch(async (batch) => { for (const r of (await batch.collect()) as Row[]) out.push(`${String(r['key'])} ${String(r['value'])}`); })
    .start();
  await q.awaitTermination();
  return out.sort();
}

/** The joined pairs a plain loop finds: every click of an ad within the hour after an impression of it. */
function plainPairs(ads: ReturnType<typeof adsOf>): string[] {
  const out: string[] = [];
  for (const i of ads.impressions) {
    for (const c of ads.clicks) {
      if (c.adId === i.adId && c.time >= i.time && c.time <= i.time + 3_600_000) out.push(`${i.adId} ${JSON.stringify({ impression: stamp(i.time), click: stamp(c.time) })}`);
    }
  }
  return out.sort();
}

/**
 * Runs `query` on `n` worker processes over `input` (and `clicks`) once `produceInput` filled
 * them: what they wrote (`key value` lines, sorted), what one process writes, and the workers.
 */
async function clusterRun(query: QueryName, n: number, produceInput: (input: string, clicks: string) => Promise<void>): Promise<{ cluster: string[]; single: string[]; lives: WorkerLife[] }> {
  const [input, clicks, output] = [await topicOf('keyed-in'), await topicOf('keyed-in2'), uniqueTopic('keyed-out')];
  await createTopic(output, 1);
  const prefix = `cluster-keyed-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'spate-cluster-keyed-'));
  const gate = join(dir, 'plan-through');
  const lives = Array.from({ length: n }, (_, i) => new WorkerLife({
    brokers: brokers(), input, ...(query === 'ads' ? { clicks } : {}), output, checkpointLocation: `${process.env['REDIS_URL']}/0/${prefix}`, workerId: `w${i}`,
    query, keyGroups: KEY_GROUPS, maxOffsetsPerTrigger: PER_TRIGGER, sessionTimeoutMs: 3000, leaseMs: 2000, planGate: gate,
  }));
  cleanups.push(async () => {
    await Promise.all(lives.map((l) => l.kill('SIGKILL')));
    await deleteRedisPrefix(process.env['REDIS_URL']!, prefix);
    rmSync(dir, { recursive: true, force: true });
  });
  // Every worker holds key groups, then all input is there, then the epochs are planned.
  await eventually(() => lives.every((l) => l.lines('CLAIMED ').length > 0), `${n} workers holding key groups`, PATIENCE_MS)
    .catch((e: Error) => { throw new Error(`${e.message}; what the workers printed:\n${lives.map((l) => `${l.cfg.workerId} (${l.alive ? 'alive' : `ended ${l.child.exitCode ?? l.child.signalCode}`}):\n${l.output.slice(-2000)}`).join('\n')}`); });
  await produceInput(input, clicks);
  writeFileSync(`${gate}.tmp`, String(Number.MAX_SAFE_INTEGER));
  renameSync(`${gate}.tmp`, gate);

  const single = await singleProcess(query, input, query === 'ads' ? clicks : undefined);
  // Done when an epoch planned at the inputs' ends is committed and no newer one is planned
  // (the watermark stopped moving), and its output transaction is decided.
  const keys = new ClusterKeys(prefix);
  const ends = new Map([...(await endOffsets(input, false))].map(([p, e]) => [String(p), e]));
  if (query === 'ads') for (const [p, e] of await endOffsets(clicks, false)) ends.set(`1/${p}`, e);
  await eventually(async () => {
    const [planned, committed] = await Promise.all([redis.get(keys.planned), redis.get(keys.committed)]);
    if (committed === null || planned !== committed) return false;
    const entry = JSON.parse((await redis.hget(keys.offsets, committed))!) as { end: Record<string, number> };
    const [stable, high] = await Promise.all([endOffsets(output, true), endOffsets(output, false)]);
    return [...ends].every(([u, e]) => entry.end[u] === e) && [...high].every(([p, e]) => stable.get(p) === e) &&
      (await readAll(output, true)).length >= single.length;
  }, 'every input offset committed and the output written', 200_000);
  const cluster = (await readAll(output, true)).map((m) => `${m.key} ${m.value}`).sort();
  return { cluster, single, lives };
}

async function stopAll(lives: readonly WorkerLife[]): Promise<void> {
  await Promise.all(lives.map(async (l) => { l.child.kill('SIGTERM'); await l.exited; }));
  for (const l of lives) expect(l.child.exitCode).toBe(0);
}

describe('cluster mode: the stream-stream join of ad impressions and clicks', () => {
  it.each([1, 2, 3])('with %i worker(s) equals the single-process run', async (n) => {
    const ads = adsOf(600, n);
    const { cluster, single, lives } = await clusterRun('ads', n, (impressions, clicks) => produceAds(impressions, clicks, ads));
    expect(cluster).toEqual(single);
    // The joined pairs are the plain loop's; impressions without a click in the hour came out null-padded (to_json leaves the null out).
    const pairs = plainPairs(ads);
    expect(cluster.filter((l) => l.includes('"click"'))).toEqual(pairs);
    expect(cluster.filter((l) => !l.includes('"click"')).length).toBeGreaterThan(0);
    expect(pairs.length).toBeGreaterThan(100);
    // Each worker ran key groups' join tasks.
    for (const l of lives) expect(l.lines('STAGE-TWO ').length).toBeGreaterThan(0);
    await stopAll(lives);
  });
});

describe('cluster mode: dropDuplicates with a watermark', () => {
  it.each([1, 2, 3])('with %i worker(s) equals the single-process run', async (n) => {
    // 500 events 20 s apart over 30 ids; some sent again a few events later (40 or 80 s of event time, within the watermark's delay).
    const events = Array.from({ length: 500 }, (_, i) => ({ adId: `ev-${(i + n) % 30}`, time: BASE + i * 20_000 }));
    const sent = events.flatMap((e, i) => [e, ...(i % 3 === 0 && i >= 2 ? [events[i - 2]!] : []), ...(i % 5 === 0 && i >= 4 ? [events[i - 4]!] : [])]);
    const { cluster, single, lives } = await clusterRun('events', n, (input) => produce(input, sent.map((e, i) => ({ value: json(e), partition: i % 4 }))));
    expect(cluster).toEqual(single);
    expect(cluster).toEqual(events.map((e) => `${e.adId} ${stamp(e.time)}`).sort());
    expect(sent.length).toBeGreaterThan(events.length + 100);
    for (const l of lives) expect(l.lines('STAGE-TWO ').length).toBeGreaterThan(0);
    await stopAll(lives);
  });
});

describe('cluster mode: a stream-static join before dropDuplicates', () => {
  it.each([1, 2])('with %i worker(s) equals the single-process run', async (n) => {
    // The events of the dropDuplicates test, joined with the static regions by id in stage one.
    const events = Array.from({ length: 400 }, (_, i) => ({ adId: `ev-${(i + n) % 30}`, time: BASE + i * 20_000 }));
    const sent = events.flatMap((e, i) => [e, ...(i % 3 === 0 && i >= 2 ? [events[i - 2]!] : [])]);
    const { cluster, single, lives } = await clusterRun('regions', n, (input) => produce(input, sent.map((e, i) => ({ value: json(e), partition: i % 4 }))));
    expect(cluster).toEqual(single);
    // The plain loop: each event whose id has a region, once, with it.
    const region = new Map(REGIONS.map((r) => [r.regionId, r.region]));
    const plain = events.filter((e) => region.has(e.adId)).map((e) => `${e.adId} ${JSON.stringify({ region: region.get(e.adId), time: stamp(e.time) })}`).sort();
    expect(cluster).toEqual(plain);
    expect(plain.length).toBeLessThan(events.length);
    for (const l of lives) expect(l.lines('STAGE-TWO ').length).toBeGreaterThan(0);
    await stopAll(lives);
  });
});

describe('cluster mode: session windows', () => {
  it.each([1, 2])('with %i worker(s) equals the single-process run', async (n) => {
    // 12 ids; each id's events come in bursts (1 to 3 minutes apart) with quiet spells of 8 to 12
    // minutes between bursts, so sessions (5-minute gap) merge within a burst and close between
    // them; the events of all ids interleave in time order, and a few arrive again later (same event: counted twice, as in one process).
    const events: AdEvent[] = [];
    for (let id = 0; id < 12; id++) {
      let t = BASE + id * 7_000;
      for (let i = 0; i < 40; i++) {
        events.push({ adId: `s-${id}`, time: t });
        t += (i + id) % 5 === 4 ? (8 + ((i * 3 + id) % 5)) * 60_000 : (1 + ((i + id) % 3)) * 60_000;
      }
    }
    events.sort((a, b) => a.time - b.time);
    const sent = events.flatMap((e, i) => [e, ...(i % 7 === 0 && i >= 3 ? [events[i - 3]!] : [])]);
    const { cluster, single, lives } = await clusterRun('sessions', n, (input) => produce(input, sent.map((e, i) => ({ value: json(e), partition: i % 4 }))));
    expect(cluster).toEqual(single);
    // Sessions merged (more events than sessions) and several per id closed.
    const counts = cluster.map((l) => (JSON.parse(l.slice(l.indexOf(' ') + 1)) as { n: number }).n);
    expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(sent.length);
    expect(counts.some((c) => c > 1)).toBe(true);
    expect(cluster.length).toBeGreaterThan(12 * 2);
    for (const l of lives) expect(l.lines('STAGE-TWO ').length).toBeGreaterThan(0);
    await stopAll(lives);
  });
});

describe('cluster mode: flatMapGroupsWithState with an event-time timeout', () => {
  it.each([1, 2])('with %i worker(s) equals the single-process run', async (n) => {
    // 40 blocks of 10 events a minute apart, each block the visit of one of 10 ids (the ids in
    // turn, with a few blocks going to the previous block's id: a visit spanning two blocks); an
    // id comes back after 10 blocks, past the 15-minute timeout. Visits close by the function's
    // own gap check or by the timeout when the watermark passes them, as the epochs fall.
    const events: AdEvent[] = [];
    for (let b = 0; b < 40; b++) {
      const id = b % 7 === 6 ? (b - 1) % 10 : b % 10;
      for (let i = 0; i < 10; i++) events.push({ adId: `v-${id}`, time: BASE + (b * 10 + i) * 60_000 + id * 1_000 });
    }
    const { cluster, single, lives } = await clusterRun('visits', n, (input) => produce(input, events.map((e, i) => ({ value: json(e), partition: i % 4 }))));
    expect(cluster).toEqual(single);
    // Visits timed out and were emitted, several per id, each holding several events.
    expect(cluster.length).toBeGreaterThan(20);
    const counts = cluster.map((l) => (JSON.parse(l.slice(l.indexOf(' ') + 1)) as { n: number }).n);
    expect(counts.every((c) => c >= 1)).toBe(true);
    expect(counts.some((c) => c > 1)).toBe(true);
    for (const l of lives) expect(l.lines('STAGE-TWO ').length).toBeGreaterThan(0);
    await stopAll(lives);
  });
});

describe('cluster mode: mapGroupsWithState without a timeout', () => {
  it.each([1, 2])('with %i worker(s) equals the single-process run', async (n) => {
    // 400 events over 25 ids: each epoch (150 records) writes the running count of each id it saw.
    const events = Array.from({ length: 400 }, (_, i) => ({ adId: `t-${(i * 7 + n) % 25}`, time: BASE + i * 1_000 }));
    const { cluster, single, lives } = await clusterRun('tallies', n, (input) => produce(input, events.map((e, i) => ({ value: json(e), partition: i % 4 }))));
    expect(cluster).toEqual(single);
    // Each id's last count is its number of events (the plain loop), and it was written more than once (one line per epoch it had rows in).
    const last = new Map<string, number>();
    for (const l of cluster) {
      const [id, count] = l.split(' ') as [string, string];
      last.set(id, Math.max(last.get(id) ?? 0, Number(count)));
    }
    const plain = new Map<string, number>();
    for (const e of events) plain.set(e.adId, (plain.get(e.adId) ?? 0) + 1);
    expect([...last].sort()).toEqual([...plain].sort());
    expect(cluster.length).toBeGreaterThan(plain.size);
    for (const l of lives) expect(l.lines('STAGE-TWO ').length).toBeGreaterThan(0);
    await stopAll(lives);
  });
});
