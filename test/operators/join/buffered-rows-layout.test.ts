// A join side's buffered rows are written through its store's layout of the side's columns:
// the same bytes as the generic encoding of the lists `[{ r, m, t }, ...]` the checkpoint has
// always held, and read back as they were.
import fc from 'fast-check';
import { JoinStore } from '../../../src/operators/join/join-store.js';
import { decodeEntryBlob, encodeEntryBlob } from '../../../src/state/entry-codec.js';
import type { KeyedEntries } from '../../../src/state/keyed-store.js';

const columns = ['adId', 'at', '__proto__', 'n'];
const row = fc.tuple(fc.string(), fc.date({ noInvalidDate: true }), fc.oneof(fc.string(), fc.constant(null)), fc.oneof(fc.double(), fc.constant(null)))
  .map(([adId, at, p, n]) => {
    const r: Record<string, unknown> = { adId, at };
    Object.defineProperty(r, '__proto__', { value: p, enumerable: true, writable: true, configurable: true });
    r['n'] = n;
    return r;
  });
const buffered = fc.record({ r: row, m: fc.boolean(), t: fc.oneof(fc.double(), fc.constant(null)) });

describe('the buffered rows layout', () => {
  it('writes the bytes of the generic encoding and reads back the same rows (property)', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.string(), fc.array(buffered, { minLength: 1, maxLength: 4 })), { selector: ([k]) => k, maxLength: 10 }), (entries) => {
      const store = new JoinStore('left-keyToRows', 1, columns);
      for (const [key, list] of entries) for (const e of list) store.append(key, e.r, e.m, e.t);
      const delta = store.takeDelta().get(0) ?? { keys: [], values: [] };
      const blob = encodeEntryBlob(delta as KeyedEntries<unknown>, store.recordLayout);
      const keys = entries.map(([k]) => k);
      const values = entries.map(([, v]) => v);
      expect(delta.keys).toEqual(keys);
      expect(blob.equals(encodeEntryBlob({ keys, values }))).toBe(true);
      expect(decodeEntryBlob(blob).values).toEqual(values);
    }), { numRuns: 200 });
  });
});
