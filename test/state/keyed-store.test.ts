import fc from 'fast-check';
import type { EpochDelta } from '../../src/state/keyed-store.js';
import { InMemoryKeyedStore, partitionOf } from '../../src/state/keyed-store.js';

/** A delta as [key, value] pairs. */
function pairs<V>(delta: EpochDelta<V>): Array<[string, V | undefined]> {
  return [...delta.values()].flatMap((e) => e.keys.map((k, i): [string, V | undefined] => [k, e.values[i]]));
}

describe('the in-memory keyed store', () => {
  it('tracks the keys changed in the current epoch, without the operator doing so', () => {
    const s = new InMemoryKeyedStore<number>('default', 4);
    s.put('a', 1);
    s.put('b', 2);
    s.put('a', 3);
    expect([...s.changedKeys()].sort()).toEqual(['a', 'b']);
    const delta = s.takeDelta();
    expect(pairs(delta).sort()).toEqual([['a', 3], ['b', 2]]);
    expect([...s.changedKeys()]).toEqual([]);
    s.get('a');
    s.put('a', 4);
    s.delete('b');
    const next = s.takeDelta();
    expect(pairs(next).sort()).toEqual([['a', 4], ['b', undefined]]);
  });

  it('groups the delta by shuffle partition, the same partition for the same key every time', () => {
    const s = new InMemoryKeyedStore<number>('default', 7);
    for (let i = 0; i < 100; i++) s.put(`k${i}`, i);
    const delta = s.takeDelta();
    for (const [p, entries] of delta) for (const k of entries.keys) expect(partitionOf(k, 7)).toBe(p);
    expect(pairs(delta)).toHaveLength(100);
    expect(partitionOf('hello', 200)).toBe(partitionOf('hello', 200));
  });

  it('counts rows updated and removed in the epoch', () => {
    const s = new InMemoryKeyedStore<number>('default', 2);
    s.restore([['x', 1], ['y', 2]]);
    s.put('x', 5);
    s.delete('y');
    expect(s.metrics()).toEqual({ numRowsTotal: 1, numRowsUpdated: 1, numRowsRemoved: 1 });
  });

  it('counts a key put and then removed in one epoch as updated and removed, as Spark counts its puts', () => {
    const s = new InMemoryKeyedStore<number>('default', 2);
    s.put('x', 1);
    s.put('x', 2);
    s.delete('x');
    expect(s.metrics()).toEqual({ numRowsTotal: 0, numRowsUpdated: 1, numRowsRemoved: 1 });
    s.takeDelta();
    expect(s.metrics()).toEqual({ numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 });
  });

  it('lists a key deleted and put again in one epoch once, with its last value', () => {
    const s = new InMemoryKeyedStore<number>('default', 2);
    s.put('a', 1);
    s.put('b', 1);
    s.takeDelta();
    s.delete('a');
    s.put('a', 2);
    s.put('b', 3);
    s.delete('b');
    expect([...s.changedKeys()].sort()).toEqual(['a', 'b']);
    expect(pairs(s.takeDelta()).sort()).toEqual([['a', 2], ['b', undefined]]);
  });

  it('restores entries without marking them changed, and a delete in the restored data removes a key', () => {
    const s = new InMemoryKeyedStore<number>('default', 2);
    s.load(['x', 'y', 'z'], [1, 2, 3]);
    s.load(['y', 'x'], [undefined, 10]);
    expect([...s.entries()].sort()).toEqual([['x', 10], ['z', 3]]);
    expect([...s.changedKeys()]).toEqual([]);
    expect(pairs(s.takeDelta())).toEqual([]);
  });

  it('iterates one partition at a time', () => {
    const s = new InMemoryKeyedStore<string>('default', 3);
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) s.put(k, k);
    const all = [0, 1, 2].flatMap((p) => [...s.partitionEntries(p)].map(([k]) => k));
    expect(all.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('lists every key an epoch touched exactly once, with its value at the end of the epoch, whatever mix of puts, gets and deletes', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), key: fc.integer({ min: 0, max: 6 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 30 }), { minLength: 1, maxLength: 4 }), (epochs) => {
        const s = new InMemoryKeyedStore<number>('default', 3);
        const model = new Map<string, number>();
        for (const ops of epochs) {
          const touched = new Set<string>();
          // Spark's counters: a put counts unless the key was already put since the epoch began or its last delete.
          const putSinceDelete = new Set<string>();
          let updated = 0;
          let removed = 0;
          for (const o of ops) {
            const key = `k${o.key}`;
            if (o.kind === 'put') {
              s.put(key, o.value);
              model.set(key, o.value);
              touched.add(key);
              if (!putSinceDelete.has(key)) updated++;
              putSinceDelete.add(key);
            } else if (o.kind === 'delete') {
              if (model.delete(key)) {
                touched.add(key);
                removed++;
              }
              putSinceDelete.delete(key);
              s.delete(key);
            } else {
              expect(s.get(key)).toBe(model.get(key));
              expect(s.has(key)).toBe(model.has(key));
            }
          }
          const changed = [...s.changedKeys()];
          expect(new Set(changed).size).toBe(changed.length);
          expect(changed.sort()).toEqual([...touched].sort());
          expect(s.metrics()).toEqual({ numRowsTotal: model.size, numRowsUpdated: updated, numRowsRemoved: removed });
          expect(s.size).toBe(model.size);
          expect(new Map(s.entries())).toEqual(model);
          for (const [k, v] of s.sample(4)) expect(model.get(k)).toBe(v);
          const expected = [...touched].sort().map((k): [string, number | undefined] => [k, model.get(k)]);
          expect(pairs(s.takeDelta()).sort((a, b) => (a[0] < b[0] ? -1 : 1))).toEqual(expected);
        }
      }),
    );
  });

  it('samples live entries only, moving on through the older ones from one call to the next', () => {
    const s = new InMemoryKeyedStore<number>('default', 2);
    for (let i = 0; i < 100; i++) s.put(`k${i}`, i);
    s.takeDelta();
    // The oldest keys go, as a join's eviction removes them.
    for (let i = 0; i < 40; i++) s.delete(`k${i}`);
    s.takeDelta();
    const seen = new Set<string>();
    for (let call = 0; call < 10; call++) {
      const sample = [...s.sample(4)];
      expect(sample.length).toBe(8);
      for (const [k, v] of sample) {
        expect(v).toBeGreaterThanOrEqual(40);
        expect(k).toBe(`k${v}`);
        seen.add(k);
      }
    }
    // Ten calls of eight older entries each went round the 60 live keys.
    expect(seen.size).toBe(60);
    const small = new InMemoryKeyedStore<number>('default', 2);
    small.put('a', 1);
    small.takeDelta();
    expect([...small.sample(4)]).toEqual([['a', 1]]);
  });
});
