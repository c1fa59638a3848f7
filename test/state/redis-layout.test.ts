import fc from 'fast-check';
import { RedisLayout } from '../../src/state/redis-layout.js';

/** The hash tag of a key: the text between the first { and the next }. */
function tagOfKey(key: string): string {
  const open = key.indexOf('{');
  return key.slice(open, key.indexOf('}', open) + 1);
}

describe('the Redis key layout', () => {
  const layout = new RedisLayout('cp/q1');

  it('puts every key of a shuffle partition under one hash tag, whatever the operator or store', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/), fc.nat(255), fc.stringMatching(/^[a-z]{1,8}$/), fc.nat(10_000),
      (op, partition, store, version) => {
        const groups = layout.plan([{ path: `state/${op}/${partition}/${store}/${version}.delta`, data: 'x' }], new Set());
        const partitionKeys = groups.flatMap((g) => g.commands).map((c) => c.key).filter((k) => k.includes(`state/${op}/${partition}`));
        expect(new Set(partitionKeys.map(tagOfKey))).toEqual(new Set([`{cp/q1|${partition}}`]));
      },
    ));
  });

  it('keeps logs, metadata, source metadata and the lock on the root tag', () => {
    for (const dir of ['', 'offsets', 'commits', 'sources/0', 'state', 'state/aggregate-0']) expect(layout.tagOf(dir)).toBe('{cp/q1}');
    expect(tagOfKey(layout.lockKey)).toBe('{cp/q1}');
    expect(layout.filesKey('offsets')).toBe('{cp/q1}:f:offsets');
  });

  it('groups an epoch by slot with the commit marker group last, registering each directory once', () => {
    const groups = layout.plan([
      { path: 'state/agg/0/default/5.delta', data: 'a' },
      { path: 'state/agg/1/default/5.delta', data: 'b' },
      { path: 'commits/4', data: 'c' },
    ], new Set());
    expect(groups.map((g) => g.tag)).toEqual(['{cp/q1|0}', '{cp/q1|1}', '{cp/q1}']);
    const root = groups[2]!;
    expect(root.commands).toEqual(expect.arrayContaining([
      { op: 'hset', key: '{cp/q1}:f:commits', field: '4', value: 'c' },
      { op: 'sadd', key: '{cp/q1}:d:state/agg', member: '0' },
      { op: 'sadd', key: '{cp/q1}:d:state/agg', member: '1' },
      { op: 'sadd', key: '{cp/q1}:d:state', member: 'agg' },
      { op: 'sadd', key: '{cp/q1}:d:', member: 'state' },
      { op: 'sadd', key: '{cp/q1}:d:', member: 'commits' },
    ]));
    expect(root.commands.filter((c) => c.op === 'sadd' && c.member === 'state')).toHaveLength(1);
    // Directories already registered are not registered again.
    const again = layout.plan([{ path: 'commits/5', data: 'd' }], new Set(['commits']));
    expect(again).toEqual([{ tag: '{cp/q1}', commands: [{ op: 'hset', key: '{cp/q1}:f:commits', field: '5', value: 'd' }], registers: [] }]);
  });
});
