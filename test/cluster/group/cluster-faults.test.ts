// Cluster mode under faults (issue 13), workers as real child processes (cluster-child.ts)
// against the test run's real Kafka broker and Redis, or a three-node Redis Cluster:
//   - a worker leaving with SIGTERM and one joining: key groups move whole, and no state key is
//     written but by the one commit of its key group's epoch (every write counted with MONITOR);
//   - a worker frozen (SIGSTOP) past its session and lease: its late writes are refused and
//     counted, no duplicate, and it rejoins after SIGCONT and works again;
//   - the coordinator SIGKILLed with an epoch in flight: another finishes that epoch, once;
//   - Redis Cluster: a slot holding key-group state migrated key by key, and a node restarted
//     (append-only file), during a run.
// Every wait is for a condition (a line a worker printed, a Redis value), never for a duration.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import { brokers } from '../../support/kafka.js';
import { assignUnits } from '../../../src/cluster/assignment.js';
import { RedisCluster } from '../../support/redis-cluster.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';
import type { WorkerLife } from './cluster-life.js';
import { KEY_GROUPS, WordRun, exactly, keyGroupsHeld, settled } from './cluster-run.js';
import { RedisWriteLog } from './redis-writes.js';

jest.setTimeout(900_000);

const redisUrl = (): string => process.env['REDIS_URL']!;
let redis: Redis;
const runs: WordRun[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(() => { redis = new Redis(redisUrl()); });
afterEach(async () => {
  for (const r of runs.splice(0)) {
    await r.killAll();
    if (r.store === redis) await deleteRedisPrefix(redisUrl(), r.prefix);
  }
  for (const c of cleanups.splice(0)) await c();
});
afterAll(() => redis.disconnect());

async function newRun(lineCount: number, seed: number): Promise<WordRun> {
  const run = await WordRun.create(brokers(), lineCount, seed, redisUrl(), redis);
  runs.push(run);
  return run;
}

/** A gate file a worker waits for before its first key-group commit of an epoch >= `epoch` (cluster-child.ts). */
function gateFile(): { file: string; open(content?: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'spate-cluster-gate-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'go');
  return { file, open: (content = '') => writeFileSync(file, content) };
}

/** The refusals the fencing scripts counted in Redis over every key group: state commits, or sink records. */
const refusedOf = async (run: WordRun, what: 'commits' | 'sinkRecords' = 'commits'): Promise<number> => {
  let n = 0;
  for (let g = 0; g < KEY_GROUPS; g++) n += Number((await run.store.get(what === 'commits' ? run.keys.refused(g) : run.keys.refusedSink(g))) ?? 0);
  return n;
};

/** The refusal totals a worker printed on its last REFUSED or REFUSED-SINK line (zeros without one), and its count of each kind of line. */
function printedRefusals(life: WorkerLife): { totals: [number, number]; lines: [number, number] } {
  const last = life.output.split('\n').filter((l) => l.startsWith('REFUSED ') || l.startsWith('REFUSED-SINK ')).at(-1);
  const total = (name: string): number => Number(new RegExp(`${name}=(\\d+)`).exec(last ?? '')?.[1] ?? 0);
  return { totals: [total('refusedCommits'), total('refusedSinkRecords')], lines: [life.lines('REFUSED ').length, life.lines('REFUSED-SINK ').length] };
}

describe('cluster mode under faults', () => {
  it('a worker leaving (SIGTERM) and one joining move key groups whole; no state key is written but by its epoch\'s one commit', async () => {
    const run = await newRun(1200, 303);
    const a = run.worker('a');
    const b = run.worker('b');
    await eventually(() => settled([a, b]), 'both workers holding key groups', PATIENCE_MS);
    await run.produce(0, 300);
    const committedLines = (): number => run.lives.reduce((n, l) => n + l.lines('COMMITTED ').length, 0);
    await eventually(() => committedLines() > 1, 'a commit with both workers', PATIENCE_MS);
    const writes = await RedisWriteLog.start(redisUrl(), run.prefix);
    cleanups.push(async () => writes.stop());
    // The leave, with epochs in flight (150 records per epoch, 300 more records waiting).
    await run.produce(300, 600);
    const claimedByA = a.lines('CLAIMED ').length;
    const ofB = keyGroupsHeld(b);
    expect(ofB.length).toBeGreaterThan(0);
    b.child.kill('SIGTERM');
    await b.until((x) => x.output.includes('STOPPED'), 'STOPPED');
    expect(await b.exited).toBe(0);
    const claimedSince = (): number[] => a.lines('CLAIMED ').slice(claimedByA).map((l) => Number(l.split(' ')[1]));
    await eventually(() => ofB.every((g) => claimedSince().includes(g)), "a holding b's key groups", PATIENCE_MS);
    await run.untilAllCommitted();
    const leave = writes.count();
    const joinFrom = writes.length;
    // The join, with epochs in flight again.
    const c = run.worker('c');
    await run.produce(600, 900);
    await eventually(() => settled([a, c]), 'a and c holding key groups', PATIENCE_MS);
    await run.produce(900, 1200);
    await run.untilAllCommitted();
    const join = writes.count(joinFrom);
    writes.stop();

    // Only b's key groups moved, each whole, and to a.
    expect([...claimedSince()].sort((x, y) => x - y)).toEqual(ofB);
    // c took key groups from a only, and a holds none of them any more.
    const ofC = keyGroupsHeld(c);
    expect(ofC.length).toBeGreaterThan(0);
    expect(ofC.filter((g) => keyGroupsHeld(a).includes(g))).toEqual([]);
    for (const w of [leave, join]) {
      // No state key written outside a key group's commit, and no key group's epoch committed twice.
      expect(w.strayStateWrites).toEqual([]);
      expect([...w.commits].filter(([, n]) => n > 1)).toEqual([]);
      expect(w.stateWrites).toBeGreaterThan(0);
    }
    // The leave re-did nothing: b finished its tasks of the epoch in flight before it left.
    expect(leave.refusals).toEqual([]);
    // The join's eager rebalance may hand c a key group while a runs its task: the fence refuses
    // a's commit and c runs the epoch again (counted here, reported by the test's name in the log).
    for (const g of join.refusals) expect(ofC).toContain(g);
    process.stdout.write(`move: leave ${leave.commits.size} key-group commits, ${leave.stateWrites} state writes, ${leave.refusals.length} refused; ` +
      `join ${join.commits.size} commits, ${join.stateWrites} state writes, ${join.refusals.length} refused (task run twice)\n`);
    expect(await run.counts()).toEqual(run.expected());
    await run.stopAll();
    for (const l of [a, c]) expect(l.child.exitCode).toBe(0);
  });

  it.each([
    ['commit', 808, 'its task runs: the new owner waits for that commit'],
    ['sinkRecord', 909, 'its task is between its state commit and its sink record: the new owner waits for the record'],
  ] as const)('a key group moved by a join while %s-gated (%i) %s; nothing is refused, the epoch is run and written once', async (at, seed, _what) => {
    const run = await newRun(900, seed);
    const gate = gateFile();
    // Which key group a join moves from a to c: the sticky assigner's pure function says.
    const moving = assignUnits(KEY_GROUPS, ['a', 'c'], () => 'a').indexOf('c');
    // a is held right before its commit of `moving`'s epoch, or after it, before that epoch's sink write and record.
    const a = run.worker('a', { gate: { epoch: 1, file: gate.file, group: moving, at }, taskMarkMs: PATIENCE_MS });
    await eventually(() => settled([a]), 'a holding every key group', PATIENCE_MS);
    await run.produce(0, 600);
    await a.until((x) => x.lines('GATED ').length > 0, 'GATED');
    const epoch = Number(a.lines('GATED ')[0]!.split(' ')[2]);
    expect(Number((await redis.get(run.keys.groupEpoch(moving))) ?? -1)).toBe(at === 'commit' ? epoch - 1 : epoch);
    const c = run.worker('c');
    // c is given the group and waits on the task's mark (which outlives the state commit) rather than claim it.
    await c.until((x) => x.lines(`WAITING ${moving}`).length > 0 || x.lines(`CLAIMED ${moving} `).length > 0, `c waiting for or claiming key group ${moving}`);
    expect(c.lines(`CLAIMED ${moving} `)).toEqual([]);
    gate.open();
    await c.until((x) => x.lines(`CLAIMED ${moving} `).length > 0, `c claiming key group ${moving}`);
    await run.produce(600, 900);
    await run.untilAllCommitted();
    // a ran the epoch in flight and wrote and recorded its output once; c found it recorded: no
    // state commit or sink record of any group was refused.
    expect(exactly(a, `STAGE-TWO ${moving} ${epoch}`)).toBe(1);
    expect(exactly(a, `SINK ${moving} ${epoch}`)).toBe(1);
    expect(exactly(c, `STAGE-TWO ${moving} ${epoch}`) + exactly(c, `SINK ${moving} ${epoch}`)).toBe(0);
    for (const l of [a, c]) expect([l.lines('REFUSED '), l.lines('REFUSED-SINK ')]).toEqual([[], []]);
    expect([await refusedOf(run), await refusedOf(run, 'sinkRecords')]).toEqual([0, 0]);
    expect(keyGroupsHeld(c)).toContain(moving);
    // No word twice in an epoch, counts only growing, and the plain loop's counts at the end.
    expect(await run.counts()).toEqual(run.expected());
    await run.stopAll();
  });

  it("a SIGSTOPped worker's late writes are refused and counted; no duplicate; it rejoins after SIGCONT and works again", async () => {
    const run = await newRun(1200, 202);
    await run.produce(0, 600);
    const gate = gateFile();
    // Nothing is planned until both hold key groups: were the other alone at first, it could run
    // every epoch before the frozen one joined, which would then never reach its gate.
    const planning = gateFile();
    const frozen = run.worker('a', { gate: { epoch: 1, file: gate.file }, planGate: planning.file });
    const other = run.worker('b', { planGate: planning.file });
    await eventually(() => settled([frozen, other]), 'both workers holding key groups', PATIENCE_MS);
    planning.open(String(Number.MAX_SAFE_INTEGER));
    // The frozen worker waits at its first commit of epoch >= 1 until the gate opens: it is
    // frozen there, before its commit, however fast or slow the machine.
    await frozen.until((x) => x.lines('GATED ').length > 0, 'GATED');
    const [group, epoch] = frozen.lines('GATED ')[0]!.split(' ').slice(1).map(Number) as [number, number];
    frozen.child.kill('SIGSTOP');
    // The other worker gets the key group once the frozen one's session expired, claims it and commits the epoch.
    const frozenAt = other.output.length;
    await other.until((x) => x.output.slice(frozenAt).includes(`CLAIMED ${group} `), `b claiming key group ${group}`);
    await eventually(async () => Number((await redis.get(run.keys.groupEpoch(group))) ?? -1) >= epoch, `key group ${group} committed by the other worker`, PATIENCE_MS);
    const refusedBefore = Number((await redis.get(run.keys.refused(group))) ?? 0);
    const resumedAt = frozen.output.length;
    gate.open();
    frozen.child.kill('SIGCONT');
    await frozen.until((x) => x.lines(`REFUSED ${group} ${epoch}`).length > 0, 'its late commit refused');
    // The refusal was counted in Redis, once, by the fencing script.
    expect(Number(await redis.get(run.keys.refused(group)))).toBe(refusedBefore + 1);
    // It rejoins: a new assignment after the resume gives both workers key groups again.
    await eventually(() => frozen.output.slice(resumedAt).includes('REBALANCED ') && settled([frozen, other]), 'the frozen worker back in the group', PATIENCE_MS);
    const stageTwoBefore = frozen.lines('STAGE-TWO ').length;
    await run.produce(600, 1200);
    await run.untilAllCommitted();
    // ... and works again: its commits after the rejoin were accepted.
    expect(frozen.lines('STAGE-TWO ').length).toBeGreaterThan(stageTwoBefore);
    // Every refusal the fencing scripts counted in Redis (state commits and sink records) is one a
    // worker reported, and the frozen worker's late commit is among them. (After the rejoin the other worker may be refused too:
    // the eager rebalance can hand a key group back while it runs the group's task.)
    const lines = (what: string): number => frozen.lines(what).length + other.lines(what).length;
    const refusedStageOne = Number((await redis.get(run.keys.refusedStageOne)) ?? 0);
    const refusedCoordinator = Number((await redis.get(run.keys.refusedCoordinator)) ?? 0);
    expect(await refusedOf(run)).toBe(lines('REFUSED '));
    expect(await refusedOf(run, 'sinkRecords')).toBe(lines('REFUSED-SINK '));
    // Each worker's totals (ClusterWorker.refusedCommits, refusedSinkRecords) as its lines print them.
    for (const l of [frozen, other]) expect(printedRefusals(l).totals).toEqual(printedRefusals(l).lines);
    expect(refusedStageOne).toBe(lines('REFUSED-STAGE-ONE '));
    expect(refusedCoordinator).toBe(lines('REFUSED-COORDINATOR '));
    process.stdout.write(`SIGSTOP: refused key-group commits ${frozen.lines('REFUSED ').length} of the frozen worker, ${other.lines('REFUSED ').length} of the other; ` +
      `stage-one records ${refusedStageOne}, coordinator writes ${refusedCoordinator}\n`);
    expect(await run.counts()).toEqual(run.expected());
    await run.stopAll();
    for (const l of [frozen, other]) expect(l.child.exitCode).toBe(0);
  });

  it('the coordinator SIGKILLed with an epoch in flight: another worker takes over and finishes that epoch once', async () => {
    const run = await newRun(900, 505);
    const gate = gateFile();
    const a = run.worker('a');
    const b = run.worker('b', { gate: { epoch: 1, file: gate.file } });
    await eventually(() => settled([a, b]), 'both workers holding key groups', PATIENCE_MS);
    await run.produce(0, 600);
    // b waits before its first commit of epoch >= 1: that epoch cannot be committed, it is in flight.
    await b.until((x) => x.lines('GATED ').length > 0, 'GATED');
    const epoch = Number(b.lines('GATED ')[0]!.split(' ')[2]);
    const plannedEntry = await redis.hget(run.keys.offsets, String(epoch));
    expect(plannedEntry).not.toBeNull();
    expect(Number(await redis.get(run.keys.committed))).toBeLessThan(epoch);
    // The coordinator is whoever holds the lease now (a, unless a stall let b take it).
    const holder = (await redis.get(run.keys.lease))!.split(':')[0]!;
    const coordinator = holder === 'a' ? a : b;
    const survivor = coordinator === a ? b : a;
    const survivorPlanned = exactly(survivor, `PLANNED ${epoch}`);
    await coordinator.kill('SIGKILL');
    gate.open();
    await survivor.until((x) => exactly(x, `COMMITTED ${epoch}`) === 1, `the survivor committing epoch ${epoch}`);
    await run.produce(600, 900);
    await run.untilAllCommitted();
    // The survivor took the lease and finished the epoch from the logs: it did not plan it again,
    // the offset log's entry is the one the dead coordinator wrote, the commit log has it once.
    expect(survivor.lines('LEASE ').length).toBeGreaterThan(0);
    expect(exactly(survivor, `PLANNED ${epoch}`)).toBe(survivorPlanned);
    expect(exactly(coordinator, `COMMITTED ${epoch}`)).toBe(0);
    expect(await redis.hget(run.keys.offsets, String(epoch))).toBe(plannedEntry);
    const commit = JSON.parse((await redis.hget(run.keys.commits, String(epoch)))!) as { rows: number; wroteSink: boolean };
    // The epoch's rows are in the output once: one transaction, as many rows as the commit log says.
    const byEpoch = await run.outputByEpoch();
    expect(byEpoch.get(epoch)?.length ?? 0).toBe(commit.rows);
    expect(commit.rows).toBeGreaterThan(0);
    expect(commit.wroteSink).toBe(true);
    expect(await run.counts()).toEqual(run.expected());
    await run.stopAll();
  });

  describe('on a three-node Redis Cluster', () => {
    async function clusterRun(persistent: boolean, seed: number): Promise<{ nodes: RedisCluster; client: Cluster; run: WordRun }> {
      const nodes = await RedisCluster.start({ persistent });
      const client = new Cluster([{ host: '127.0.0.1', port: Number(new URL(nodes.url).port) }]);
      cleanups.push(async () => { client.disconnect(); await nodes.stop(); });
      const run = await WordRun.create(brokers(), 1200, seed, nodes.url, client);
      runs.push(run);
      return { nodes, client, run };
    }

    const linesOf = (run: WordRun, prefix: string): number => run.lives.reduce((n, l) => n + l.lines(prefix).length, 0);

    it('a slot holding key-group state migrated key by key during the run: the output equals the single run', async () => {
      const { nodes, client, run } = await clusterRun(false, 606);
      const a = run.worker('a');
      const b = run.worker('b');
      await eventually(() => settled([a, b]), 'both workers holding key groups', PATIENCE_MS);
      await run.produce(0, 300);
      // A key group holding state (12 words over 8 key groups: not every group has one).
      let group = -1;
      await eventually(async () => {
        for (let g = 0; g < KEY_GROUPS && group < 0; g++) if ((await client.hlen(run.keys.state(g))) > 0) group = g;
        return group >= 0;
      }, 'a key group holding state', PATIENCE_MS);
      const slot = await nodes.keySlot(run.keys.state(group));
      const from = await nodes.nodeOfSlot(slot);
      const to = (from + 1) % 3;
      // Between two MIGRATE steps the slot is half moved: new input, and the workers touch the
      // slot (a commit, or a RETRY after ASK/TRYAGAIN) before the next key moves.
      let next = 300;
      const moved = await nodes.migrateSlot(slot, to, 1, async () => {
        const seen = linesOf(run, 'COMMITTED ') + linesOf(run, 'RETRY ');
        await run.produce(next, next + 100);
        next += 100;
        await eventually(() => linesOf(run, 'COMMITTED ') + linesOf(run, 'RETRY ') > seen, 'the workers touching the half-moved slot', PATIENCE_MS);
      });
      expect(moved).toBeGreaterThan(1);
      expect(await nodes.nodeOfSlot(slot)).toBe(to);
      await run.produce(next, 1200);
      await run.untilAllCommitted();
      process.stdout.write(`slot migration: ${moved} keys of slot ${slot} moved one by one; ${linesOf(run, 'RETRY ')} worker steps retried\n`);
      expect(await run.counts()).toEqual(run.expected());
      // The key group's state is on the target node now.
      const target = client.nodes('master').find((n) => n.options.port === nodes.nodes[to]!.port)!;
      expect(await target.exists(run.keys.state(group))).toBe(1);
      await run.stopAll();
    });

    it('the node holding the logs and lease restarted (SIGKILL, append-only file) during the run: the output equals the single run', async () => {
      const { nodes, client, run } = await clusterRun(true, 707);
      const a = run.worker('a');
      const b = run.worker('b');
      await eventually(() => settled([a, b]), 'both workers holding key groups', PATIENCE_MS);
      await run.produce(0, 400);
      await eventually(async () => Number((await client.get(run.keys.committed)) ?? -1) >= 1, 'two epochs committed', PATIENCE_MS);
      const node = await nodes.nodeOfSlot(await nodes.keySlot(run.keys.lease));
      const retried = linesOf(run, 'RETRY ');
      await run.produce(400, 800);
      // While the node is down, the workers' steps fail and are retried (their lease and logs are there).
      await nodes.restartNode(node, () => eventually(() => linesOf(run, 'RETRY ') > retried, 'a worker retrying against the dead node', PATIENCE_MS));
      await run.produce(800, 1200);
      await run.untilAllCommitted();
      process.stdout.write(`node restart: ${linesOf(run, 'RETRY ') - retried} worker steps retried\n`);
      expect(await run.counts()).toEqual(run.expected());
      await run.stopAll();
      for (const l of [a, b]) expect(l.child.exitCode).toBe(0);
    });
  });
});
