// A join side's columnar store against the plain keyed store of lists it replaced (model
// based): after any sequence of appends, matches, evictions and removals, epoch by epoch, it
// holds the same rows, reports the same metrics and writes the same checkpoint delta, byte for
// byte, whether its delta is taken as entries (takeDelta, encoded through its record layout) or
// written straight from its columns (takeEncodableDelta), packed or partition by partition; a
// restore of those deltas gives back the same rows.
import fc from 'fast-check';
import type { Row } from '../../../src/data/row.js';
import type { BufferedRow } from '../../../src/operators/join/join-store.js';
import { JoinStore } from '../../../src/operators/join/join-store.js';
import { decodeEntryBlob, encodeEntryBlob, encodeEntryParts, encodeWrittenEntries } from '../../../src/state/entry-codec.js';
import type { EpochDelta, KeyedEntries } from '../../../src/state/keyed-store.js';
import { InMemoryKeyedStore } from '../../../src/state/keyed-store.js';
import { decodePacked, encodePacked, encodePackedEntries } from '../../../src/state/packed-state.js';

const COLUMNS = ['id', 'at'];
const PARTITIONS = 3;

type Op =
  | { k: 'append'; key: string; t: number | null; m: boolean }
  | { k: 'match'; key: string; i: number }
  | { k: 'evict'; key: string; threshold: number }
  | { k: 'removeMatched'; key: string }
  | { k: 'epoch' };

const keyArb = fc.constantFrom('a', 'b', 'c');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('append' as const), key: keyArb, t: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }), m: fc.boolean() }), weight: 5 },
  fc.record({ k: fc.constant('match' as const), key: keyArb, i: fc.nat(3) }),
  { arbitrary: fc.record({ k: fc.constant('evict' as const), key: keyArb, threshold: fc.integer({ min: 0, max: 9 }) }), weight: 2 },
  fc.record({ k: fc.constant('removeMatched' as const), key: keyArb }),
  fc.record({ k: fc.constant('epoch' as const) }),
);

/** The former store of a join side: join key → list of buffered rows, in a plain keyed store. */
class Model {
  readonly store = new InMemoryKeyedStore<BufferedRow[]>('left-keyToRows', PARTITIONS);

  append(key: string, r: Row, m: boolean, t: number | null): void {
    const list = this.store.get(key);
    if (list) {
      list.push({ r, m, t });
      this.store.put(key, list);
    } else {
      this.store.put(key, [{ r, m, t }]);
    }
  }

  /** Removes the rows `remove` picks, as the join did (delete when none is left). */
  remove(key: string, remove: (e: BufferedRow) => boolean): number {
    const list = this.store.get(key);
    if (!list) return 0;
    const kept = list.filter((e) => !remove(e));
    const gone = list.length - kept.length;
    if (gone === 0) return 0;
    if (kept.length === 0) this.store.delete(key);
    else this.store.put(key, kept);
    return gone;
  }
}

function rows(store: JoinStore, key: string): BufferedRow[] {
  const slot = store.find(key);
  if (slot < 0) return [];
  const out: BufferedRow[] = [];
  for (let i = 0; i < store.count(slot); i++) out.push({ r: store.rowAt(slot, i), m: store.matchedAt(slot, i), t: timeOf(store, slot, i) });
  return out;
}

function timeOf(store: JoinStore, slot: number, i: number): number | null {
  return store.entryOf(slot)[i]!.t;
}

function blob(delta: EpochDelta<unknown>, layout?: JoinStore['recordLayout']): Buffer {
  const parts = [...delta.entries()].sort(([a], [b]) => a - b).map(([, e]) => e as KeyedEntries<unknown>);
  return encodeEntryParts(parts, layout);
}

describe('the join store', () => {
  it('holds, counts and checkpoints the same as a keyed store of row lists (model based)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const store = new JoinStore('left-keyToRows', PARTITIONS, COLUMNS);
      // The same changes, its deltas written straight from its columns.
      const direct = new JoinStore('left-keyToRows', PARTITIONS, COLUMNS);
      const model = new Model();
      const blobs: Buffer[] = [];
      const packed: Buffer[] = [];
      let n = 0;
      const endEpoch = (): void => {
        expect(store.metrics()).toEqual(model.store.metrics());
        expect(direct.metrics()).toEqual(model.store.metrics());
        const delta = store.takeDelta();
        const mine = blob(delta, store.recordLayout);
        const theirs = blob(model.store.takeDelta());
        expect(mine.equals(theirs)).toBe(true);
        blobs.push(mine);
        const written = direct.takeEncodableDelta();
        expect(written.partitions).toEqual([...delta.keys()].sort((a, b) => a - b));
        if (delta.size > 0) {
          const file = encodePackedEntries(written);
          expect(file.equals(encodePacked(delta, store.recordLayout))).toBe(true);
          packed.push(file);
        }
        written.partitions.forEach((p, i) => {
          expect(written.counts[i]).toBe(delta.get(p)!.keys.length);
          expect(encodeWrittenEntries((out) => written.write(i, out)).equals(encodeEntryBlob(delta.get(p)!, store.recordLayout))).toBe(true);
        });
      };
      for (const op of ops) {
        switch (op.k) {
          case 'append': {
            const r = { id: op.key, at: new Date(n++) };
            store.append(op.key, r, op.m, op.t);
            direct.append(op.key, r, op.m, op.t);
            model.append(op.key, r, op.m, op.t);
            break;
          }
          case 'match': {
            const slot = store.find(op.key);
            const list = model.store.get(op.key);
            if (slot < 0 || store.count(slot) === 0) {
              expect(list).toBeUndefined();
              break;
            }
            const i = op.i % store.count(slot);
            store.setMatched(slot, i);
            store.touch(slot);
            const twin = direct.find(op.key);
            direct.setMatched(twin, i);
            direct.touch(twin);
            list![i]!.m = true;
            model.store.put(op.key, list!);
            break;
          }
          case 'evict': {
            const slot = store.find(op.key);
            const due = (t: number | null) => t !== null && t <= op.threshold;
            const evicted: unknown[] = [];
            const gone = slot < 0 ? 0 : store.removeRows(slot, (_r, _m, t) => due(t), (r, m) => evicted.push([r, m]));
            const expected: unknown[] = [];
            expect(gone).toBe(model.remove(op.key, (e) => { if (due(e.t)) expected.push([e.r, e.m]); return due(e.t); }));
            const twin = direct.find(op.key);
            expect(twin < 0 ? 0 : direct.removeRows(twin, (_r, _m, t) => due(t))).toBe(gone);
            expect(evicted).toEqual(expected);
            break;
          }
          case 'removeMatched': {
            const slot = store.find(op.key);
            const gone = slot < 0 ? 0 : store.removeRows(slot, (_r, m) => m);
            expect(gone).toBe(model.remove(op.key, (e) => e.m));
            const twin = direct.find(op.key);
            expect(twin < 0 ? 0 : direct.removeRows(twin, (_r, m) => m)).toBe(gone);
            break;
          }
          case 'epoch':
            endEpoch();
            break;
        }
        expect(store.size).toBe(model.store.size);
        expect(direct.size).toBe(model.store.size);
        for (const key of ['a', 'b', 'c', 'd', 'e']) {
          expect(rows(store, key)).toEqual(model.store.get(key) ?? []);
          expect(rows(direct, key)).toEqual(model.store.get(key) ?? []);
        }
      }
      endEpoch();
      // A restore from the deltas, in version order, holds the same rows, none marked changed.
      const restored = new JoinStore('left-keyToRows', PARTITIONS, COLUMNS);
      for (const b of blobs) {
        const { keys, values } = decodeEntryBlob(b);
        restored.load(keys, values);
      }
      expect(restored.size).toBe(model.store.size);
      for (const key of ['a', 'b', 'c', 'd', 'e']) {
        expect(rows(restored, key).map((e) => ({ ...e, r: { ...e.r } }))).toEqual((model.store.get(key) ?? []).map((e) => ({ ...e, r: { ...e.r } })));
      }
      expect(restored.takeDelta().size).toBe(0);
      // And from the packed files the direct path wrote.
      const fromPacked = new JoinStore('left-keyToRows', PARTITIONS, COLUMNS);
      for (const file of packed) {
        const { keys, values } = decodePacked(file);
        fromPacked.load(keys, values);
      }
      expect(fromPacked.size).toBe(model.store.size);
      for (const key of ['a', 'b', 'c', 'd', 'e']) expect(rows(fromPacked, key)).toEqual(rows(restored, key));
      expect(fromPacked.takeEncodableDelta().partitions).toEqual([]);
    }), { numRuns: 300 });
  });

  it('hands a delta slot to cluster mode as the list the checkpoint holds', () => {
    const store = new JoinStore('right-keyToRows', 1, COLUMNS);
    const r1 = { id: 'x', at: new Date(1) };
    const r2 = { id: 'x', at: new Date(2) };
    store.append('x', r1, false, 1);
    store.append('y', r2, true, null);
    store.append('x', r2, true, 2);
    const delta = store.takeDelta().get(0)!;
    expect(delta.keys).toEqual(['x', 'y']);
    expect(delta.values.map((v) => store.deltaEntry(v))).toEqual([
      [{ r: r1, m: false, t: 1 }, { r: r2, m: true, t: 2 }],
      [{ r: r2, m: true, t: null }],
    ]);
  });
});
