// The fencing scripts against the test run's Redis: a key group's commit is taken once, only
// from its newest owner; the coordinator's log writes only while it holds the lease; a
// stage-one record only once. Every refusal is counted.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClusterKeys, Fencing } from '../../../src/cluster/group/fencing.js';
import { eventually } from '../../support/helpers.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';

let redis: Redis;
let fencing: Fencing;
let prefix: string;

beforeEach(() => {
  redis = new Redis(process.env['REDIS_URL']!);
  prefix = `fencing-${randomUUID().slice(0, 8)}`;
  fencing = new Fencing(redis, new ClusterKeys(prefix));
});
afterEach(async () => {
  redis.disconnect();
  await deleteRedisPrefix(process.env['REDIS_URL']!, prefix);
});

const put = (k: string, v: string): [string, Buffer] => [k, Buffer.from(v)];

describe('key group commits', () => {
  it('take effect once, in epoch order, from the newest owner only', async () => {
    const old = (await fencing.claim('a', 3))!;
    expect(await fencing.commit(3, old, 0, Buffer.from('out0'), [put('x', '1')], [])).toBe('committed');
    expect(await fencing.commit(3, old, 0, Buffer.from('again'), [put('x', '9')], [])).toBe('already');
    expect(await fencing.commit(3, old, 2, Buffer.from('skip'), [], [])).toBe('out-of-order');
    const newer = (await fencing.claim('b', 3))!;
    expect(newer).not.toBe(old);
    // The old owner wakes up: refused and counted, nothing written.
    expect(await fencing.commit(3, old, 1, Buffer.from('late'), [put('x', 'late')], [])).toBe('refused');
    expect(await redis.get(fencing.keys.refused(3))).toBe('1');
    expect(await redis.hget(fencing.keys.state(3), 'x')).toBe('1');
    expect(await fencing.commit(3, newer, 1, Buffer.from('out1'), [put('y', '2')], ['x'])).toBe('committed');
    expect(await redis.hgetall(fencing.keys.state(3))).toEqual({ y: '2' });
    expect(await redis.get(fencing.keys.output(3, 1))).toBe('out1');
    expect(await redis.get(fencing.keys.groupEpoch(3))).toBe('1');
  });

  it("wait for the task running under the owner's token: no claim until its commit; a lost owner cannot begin; a frozen owner's mark lapses", async () => {
    const old = (await fencing.claim('a', 2))!;
    expect(await fencing.begin(2, old, 60_000)).toBe(true);
    // A rebalance gives the group to b while a runs its task: b waits rather than fence a.
    expect(await fencing.claim('b', 2)).toBeNull();
    expect(await redis.get(fencing.keys.owner(2))).toBe(old);
    expect(await fencing.commit(2, old, 0, Buffer.from('out0'), [put('x', '1')], [])).toBe('committed');
    const newer = (await fencing.claim('b', 2))!;
    expect(newer).not.toBeNull();
    // a lost the group: it cannot start another task of it.
    expect(await fencing.begin(2, old, 60_000)).toBe(false);
    // b freezes in its task: its mark lapses, c claims, and b's late commit is refused.
    expect(await fencing.begin(2, newer, 50)).toBe(true);
    await eventually(async () => (await redis.exists(fencing.keys.running(2))) === 0, 'the mark lapsing');
    const third = await fencing.claim('c', 2);
    expect(third).not.toBeNull();
    expect(await fencing.commit(2, newer, 1, Buffer.from('late'), [put('x', 'late')], [])).toBe('refused');
    expect(await redis.hget(fencing.keys.state(2), 'x')).toBe('1');
  });

  it('keep each key group on its own hash tag (one Redis Cluster slot per script)', () => {
    const k = new ClusterKeys('q');
    const tag = (key: string): string => /\{([^}]*)\}/.exec(key)![1]!;
    expect(new Set([k.owner(5), k.ownerSeq(5), k.groupEpoch(5), k.state(5), k.output(5, 9), k.refused(5), k.running(5)].map(tag))).toEqual(new Set(['q:kg5']));
    expect(new Set([k.lease, k.leaseSeq, k.offsets, k.planned, k.commits, k.committed, k.refusedCoordinator, k.stageOne(4)].map(tag))).toEqual(new Set(['q']));
  });
});

describe('the coordinator lease', () => {
  it('is held by one worker at a time; a new holder fences the old one out of the logs', async () => {
    const a = await fencing.lease('a', null, 60_000);
    expect(a).toMatch(/^a:\d+$/);
    expect(await fencing.lease('b', null, 60_000)).toBeNull();
    expect(await fencing.lease('a', a, 60_000)).toBe(a);
    expect(await fencing.coordinatorWrite(a!, 'offsets', 0, '{"epoch":0}')).toBe(true);
    // a's lease lapses (as when its process froze): b takes it with a newer token.
    await redis.del(fencing.keys.lease);
    const b = await fencing.lease('b', null, 60_000);
    expect(b).not.toBeNull();
    expect(await fencing.lease('a', a, 60_000)).toBeNull();
    expect(await fencing.coordinatorWrite(a!, 'commits', 0, '{"late":true}')).toBe(false);
    expect(await redis.get(fencing.keys.refusedCoordinator)).toBe('1');
    expect(await fencing.coordinatorWrite(b!, 'commits', 0, '{"epoch":0}')).toBe(true);
    expect(await redis.hget(fencing.keys.commits, '0')).toBe('{"epoch":0}');
    expect(await redis.get(fencing.keys.committed)).toBe('0');
  });
});

describe('stage-one records', () => {
  it('keep the first run of a task; a late duplicate is refused and counted', async () => {
    expect(await fencing.recordStageOne(4, 1, 'first')).toBe(true);
    expect(await fencing.recordStageOne(4, 1, 'second')).toBe(false);
    expect(await redis.hget(fencing.keys.stageOne(4), '1')).toBe('first');
    expect(await redis.get(fencing.keys.refusedStageOne)).toBe('1');
  });
});
