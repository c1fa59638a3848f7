// `spate run` running cluster workers (issue 13): two `spate run` child processes of
// fixtures/cluster-words.ts (ctx.startWorker) against the test run's Kafka broker and Redis.
// Both become ready; their /metrics together show every source partition and key group owned
// exactly once; SIGTERM on one drains it (exit 0) and its units move to the other, which
// finishes the run with the plain loop's word counts. A query whose coordinator may not plan
// (holdPlanning) while its source lags, or whose sink keeps failing, exits with code 3 (the
// latter after /readyz failed for the failing steps). Every wait is for a condition.
import { Redis } from 'ioredis';
import { PATIENCE_MS } from '../support/helpers.js';
import { brokers } from '../support/kafka.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';
import { WordRun } from '../cluster/group/cluster-run.js';
import type { WorkerView } from '../../src/daemon/live-feed.js';
import type { DaemonProcess } from './daemon-process.js';
import { get, metric, spawnSpate, until } from './daemon-process.js';

jest.setTimeout(900_000);

const redisUrl = (): string => process.env['REDIS_URL']!;

/** The label sets of every series of `name` in a Prometheus text exposition. */
function series(text: string, name: string): Record<string, string>[] {
  return text.split('\n').flatMap((line) => {
    const m = /^([a-zA-Z_:][\w:]*)\{(.*)\} \S+$/.exec(line);
    if (!m || m[1] !== name) return [];
    return [Object.fromEntries([...m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]))];
  });
}

interface Owned { readonly partitions: number[]; readonly keyGroups: number[] }

function ownedBy(text: string, worker: string): Owned {
  return {
    partitions: series(text, 'spate_worker_source_partition_owned').filter((l) => l['worker'] === worker).map((l) => Number(l['partition'])).sort((a, b) => a - b),
    keyGroups: series(text, 'spate_worker_key_group_owned').filter((l) => l['worker'] === worker).map((l) => Number(l['key_group'])).sort((a, b) => a - b),
  };
}

/** Polls of `until` (100 ms apart) that fit the patience budget: for waits on rebalances and commits. */
const PATIENT_TRIES = PATIENCE_MS / 100;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('spate run with cluster workers', () => {
  let redis: Redis;
  const runs: WordRun[] = [];
  const running: DaemonProcess[] = [];

  beforeAll(() => { redis = new Redis(redisUrl()); });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((d) => d.stop()));
    for (const r of runs.splice(0)) await deleteRedisPrefix(redisUrl(), r.prefix);
  });
  afterAll(() => redis.disconnect());

  async function newRun(lines: number, seed: number): Promise<WordRun> {
    const run = await WordRun.create(brokers(), lines, seed, redisUrl(), redis);
    runs.push(run);
    return run;
  }

  function worker(run: WordRun, id: string, extra: readonly string[] = []): DaemonProcess {
    const d = spawnSpate(['run', 'test/daemon/fixtures/cluster-words.ts', '--port', '0', '--set', 'spate.sql.shuffle.partitions=8',
      '--set', `app.brokers=${run.brokers}`, '--set', `app.input=${run.input}`, '--set', `app.output=${run.output}`,
      '--set', `app.checkpoint=${run.location}`, '--set', `app.worker=${id}`, ...extra]);
    running.push(d);
    return d;
  }

  it('two workers share the units once each, SIGTERM drains one (exit 0) and the other finishes the word count', async () => {
    const run = await newRun(600, 11);
    await run.produce(0, 300);
    const a = worker(run, 'a', ['--progress-interval', '500ms']);
    const b = worker(run, 'b', ['--progress-interval', '0']);
    const [ua, ub] = await Promise.all([a.url, b.url]);
    await Promise.all([ua, ub].map((u) => until('readiness', () => get(u, '/readyz'), (r) => r.status === 200, PATIENT_TRIES)));

    const ownership = async (): Promise<[Owned, Owned]> => {
      const [ta, tb] = await Promise.all([get(ua, '/metrics'), get(ub, '/metrics')]);
      return [ownedBy(ta.text, 'a'), ownedBy(tb.text, 'b')];
    };
    const [oa, ob] = await until('every source partition and key group owned once across the two workers', ownership, ([x, y]) =>
      x.partitions.length > 0 && y.partitions.length > 0 &&
      JSON.stringify([...x.partitions, ...y.partitions].sort((p, q) => p - q)) === JSON.stringify(range(4)) &&
      JSON.stringify([...x.keyGroups, ...y.keyGroups].sort((p, q) => p - q)) === JSON.stringify(range(8)), PATIENT_TRIES);
    expect(oa.keyGroups.filter((g) => ob.keyGroups.includes(g))).toEqual([]);

    await run.untilAllCommitted();
    // The rows each worker's tasks read, by source partition, add up to what was produced.
    const read = async (): Promise<number> => {
      const texts = await Promise.all([get(ua, '/metrics'), get(ub, '/metrics')]);
      return texts.flatMap((t) => series(t.text, 'spate_task_input_rows_total').filter((l) => l['stage'] === 'source')
        .map((l) => metric(t.text, 'spate_task_input_rows_total', l) ?? 0)).reduce((n, x) => n + x, 0);
    };
    expect(await until('the rows read reported', read, (n) => n === 300)).toBe(300);
    // The live page's feed of a's status (/api/workers): the units its /metrics show, its rows read.
    const [live] = await until('a\'s live view with every row read', async () => JSON.parse((await get(ua, '/api/workers')).text) as WorkerView[],
      (v) => v.length === 1 && (v[0]!.status?.sourcePartitions ?? []).reduce((n, p) => n + p.rowsRead, 0) > 0 && v[0]!.status!.committedEpoch >= 0, PATIENT_TRIES);
    expect(live).toMatchObject({ key: 'words/a', query: 'words', workerId: 'a', stopped: false });
    expect(live!.status!.keyGroups.map((g) => g.group)).toEqual(oa.keyGroups);
    expect(live!.status!.sourcePartitions.filter((p) => p.owned).map((p) => p.partition)).toEqual(oa.partitions);
    // A progress line logged after the epochs above committed, under the ownership seen above.
    const since = a.lines.length;
    const progress = await a.waitFor((l) => l.msg === 'progress of cluster worker a of words' && a.lines.indexOf(l) >= since, 'a progress line of worker a');
    expect(progress).toMatchObject({ query: 'words', worker: 'a', sourcePartitions: oa.partitions.map((p) => `${run.input}/${p}`), keyGroups: oa.keyGroups });
    expect(progress['rebalances']).toBeGreaterThanOrEqual(1);

    await run.produce(300, 600);
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(a.lines.some((l) => l.msg === 'cluster worker a of query words stopped (it left its group)')).toBe(true);
    await until('b owns every unit', async () => ownedBy((await get(ub, '/metrics')).text, 'b'),
      (o) => JSON.stringify(o.partitions) === JSON.stringify(range(4)) && JSON.stringify(o.keyGroups) === JSON.stringify(range(8)), PATIENT_TRIES);
    await run.untilAllCommitted();
    expect(await run.counts()).toEqual(run.expected());
    const tb = (await get(ub, '/metrics')).text;
    // b went through its own join and a's leave (and a's join, if a joined second).
    expect(metric(tb, 'spate_worker_rebalances_total', { query: 'words', worker: 'b' })).toBeGreaterThanOrEqual(2);
    // Exposed (how many depends on whether a task outlived its mark during a rebalance: not asserted).
    expect(typeof metric(tb, 'spate_worker_refused_commits_total', { query: 'words', worker: 'b' })).toBe('number');

    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  });

  it('a worker that cannot start (its checkpoint is not in Redis) is a usage error: exit 2 with the reason', async () => {
    const run = await newRun(10, 3);
    const d = spawnSpate(['run', 'test/daemon/fixtures/cluster-words.ts', '--port', '0', '--set', `app.brokers=${run.brokers}`,
      '--set', `app.input=${run.input}`, '--set', `app.output=${run.output}`, '--set', 'app.checkpoint=/tmp/not-redis', '--set', 'app.worker=x']);
    running.push(d);
    expect(await d.exit).toBe(2);
    expect(d.stderr()).toMatch(/threw from its default export: cluster mode needs a checkpointLocation in Redis/);
  });

  it('exits with code 3 when no epoch is committed while the source lags (the coordinator may not plan)', async () => {
    const run = await newRun(300, 5);
    await run.produce(0, 300);
    // Epoch 0 (150 records) commits; epoch 1 is never planned, and 150 records wait.
    // (On a loaded machine epoch 0 itself may take longer than the stall timeout: that stall, with
    // nothing committed yet, recovers at epoch 0's commit; the grace outlasts it.)
    const d = worker(run, 'solo', ['--progress-interval', '0', '--stall-timeout', '2s', '--stall-grace', '30s', '--set', 'app.holdPlanningFrom=1']);
    const url = await d.url;
    const stalled = await d.waitFor((l) => l.msg.startsWith('cluster query words stalled') && l['committedEpoch'] === 0, 'the stall after epoch 0');
    // The lag is what epoch 0 (maxOffsetsPerTrigger 150, shared out over the partitions) left.
    const epoch0 = JSON.parse((await redis.hget(run.keys.offsets, '0'))!) as { end: Record<string, number> };
    const left = 300 - Object.values(epoch0.end).reduce((n, o) => n + o, 0);
    expect(left).toBeGreaterThan(0);
    expect(stalled).toMatchObject({ query: 'words', worker: 'solo', committedEpoch: 0, plannedEpoch: 0, lagRecords: left });
    const ready = await get(url, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: false, workers: [{ query: 'words', worker: 'solo', stalled: true }] });
    expect(await d.exit).toBe(3);
  });

  it('a sink that keeps failing makes the worker unready, then the query stalls: exit 3 with the failure in the log', async () => {
    const run = await newRun(100, 9);
    await run.produce(0, 100);
    const d = worker(run, 'broken', ['--progress-interval', '0', '--stall-timeout', '3s', '--stall-grace', '15s', '--set', 'app.sink=failing']);
    const url = await d.url;
    const ready = await until('the worker unready for its failing steps', () => get(url, '/readyz'), (r) => r.status === 503 &&
      ((JSON.parse(r.text) as { workers?: { failingSteps: number | null }[] }).workers?.[0]?.failingSteps ?? 0) >= 3);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: false, workers: [{ query: 'words', worker: 'broken', ready: false }] });
    const stalled = await d.waitFor((l) => l.msg.startsWith('cluster query words stalled'), 'the stall');
    expect(stalled['lastFailure']).toMatch(/^tasks: the sink refused batch 0/);
    expect(stalled['committedEpoch']).toBe(-1);
    expect(await d.exit).toBe(3);
  });
});
