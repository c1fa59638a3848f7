// A key group's sink record (task-sink.ts) against the test run's Redis: taken only after the
// key group's state commit of the epoch, once, from its newest owner only (a refusal counted
// apart from refused state commits); it ends the task (clears the running mark a new owner waits on);
// the coordinator finds an epoch's records only once every key group has one. Its keys stay on
// the key group's hash tag (one Redis Cluster slot).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ClusterKeys, Fencing } from '../../../src/cluster/group/fencing.js';
import { recordSink, sinkRecords } from '../../../src/cluster/group/task-sink.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';

let redis: Redis;
let fencing: Fencing;
let prefix: string;

beforeEach(() => {
  redis = new Redis(process.env['REDIS_URL']!);
  prefix = `task-sink-${randomUUID().slice(0, 8)}`;
  fencing = new Fencing(redis, new ClusterKeys(prefix));
});
afterEach(async () => {
  redis.disconnect();
  await deleteRedisPrefix(process.env['REDIS_URL']!, prefix);
});

it('a sink record follows the state commit, is taken once, and only from the newest owner', async () => {
  const old = (await fencing.claim('a', 2))!;
  expect(await recordSink(redis, fencing, 2, old, 0, { rows: 3 })).toBe('not-committed');
  expect(await fencing.commit(2, old, 0, Buffer.from('out'), [], [])).toBe('committed');
  expect(await recordSink(redis, fencing, 2, old, 0, { rows: 3, detail: ['f1'] })).toBe('recorded');
  expect(await recordSink(redis, fencing, 2, old, 0, { rows: 3, detail: ['f2'] })).toBe('already');
  expect(JSON.parse((await redis.get(fencing.keys.sinkRecord(2, 0)))!)).toEqual({ rows: 3, detail: ['f1'] });
  // The key group moves after the state commit of epoch 1: the old owner's record is refused and counted.
  expect(await fencing.commit(2, old, 1, Buffer.from('out'), [], [])).toBe('committed');
  const newer = (await fencing.claim('b', 2))!;
  expect(await recordSink(redis, fencing, 2, old, 1, { rows: 1 })).toBe('refused');
  // Counted apart from refused state commits.
  expect(await redis.get(fencing.keys.refusedSink(2))).toBe('1');
  expect(await redis.get(fencing.keys.refused(2))).toBeNull();
  expect(await recordSink(redis, fencing, 2, newer, 1, { rows: 1 })).toBe('recorded');
  expect(await redis.get(fencing.keys.sunk(2))).toBe('1');
});

it("a task's running mark lasts until its sink record: a new owner cannot claim between the state commit and the record", async () => {
  const old = (await fencing.claim('a', 4))!;
  expect(await fencing.begin(4, old, 60_000)).toBe(true);
  // The state commit of a task whose sink record follows keeps the mark.
  expect(await fencing.commit(4, old, 0, Buffer.from('out'), [], [], false)).toBe('committed');
  expect(await fencing.claim('b', 4)).toBeNull();
  expect(await recordSink(redis, fencing, 4, old, 0, { rows: 1 })).toBe('recorded');
  expect(await redis.exists(fencing.keys.running(4))).toBe(0);
  const newer = (await fencing.claim('b', 4))!;
  expect(newer).not.toBeNull();
  // A refused record (the old owner, late) leaves the new owner's mark alone.
  expect(await fencing.begin(4, newer, 60_000)).toBe(true);
  expect(await recordSink(redis, fencing, 4, old, 0, { rows: 1 })).toBe('refused');
  expect(await redis.get(fencing.keys.running(4))).toBe(newer);
  // A record of an epoch already in the sink still ends the task.
  expect(await recordSink(redis, fencing, 4, newer, 0, { rows: 1 })).toBe('already');
  expect(await redis.exists(fencing.keys.running(4))).toBe(0);
});

it('the coordinator sees an epoch\'s records once every key group recorded', async () => {
  const tokens = await Promise.all([0, 1].map((g) => fencing.claim('a', g)));
  for (const g of [0, 1]) expect(await fencing.commit(g, tokens[g]!, 0, Buffer.from('out'), [], [])).toBe('committed');
  await recordSink(redis, fencing, 0, tokens[0]!, 0, { rows: 2 });
  expect(await sinkRecords(redis, fencing, 2, 0)).toBeNull();
  await recordSink(redis, fencing, 1, tokens[1]!, 0, { rows: 5 });
  expect(await sinkRecords(redis, fencing, 2, 0)).toEqual([{ rows: 2 }, { rows: 5 }]);
});

it('keeps its keys on the key group\'s hash tag', () => {
  const k = new ClusterKeys('q');
  const tag = (key: string): string => /\{([^}]*)\}/.exec(key)![1]!;
  expect(new Set([k.owner(5), k.groupEpoch(5), k.sunk(5), k.sinkRecord(5, 9), k.refusedSink(5), k.running(5)].map(tag))).toEqual(new Set(['q:kg5']));
});
