// A join side's buffered rows are written through a layout of the side's columns: the same
// bytes as the generic encoding of the same rows, and read back as they were.
import fc from 'fast-check';
import { bufferedRowsLayout } from '../../../src/operators/join/join-side-state.js';
import { decodeEntryBlob, encodeEntryBlob } from '../../../src/state/entry-codec.js';

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
    const layout = bufferedRowsLayout(columns);
    fc.assert(fc.property(fc.array(fc.tuple(fc.string(), fc.option(fc.array(buffered, { maxLength: 4 }), { nil: undefined })), { maxLength: 10 }), (entries) => {
      const keys = entries.map(([k]) => k);
      const values = entries.map(([, v]) => v);
      const blob = encodeEntryBlob({ keys, values }, layout);
      expect(blob.equals(encodeEntryBlob({ keys, values }))).toBe(true);
      expect(decodeEntryBlob(blob).values).toEqual(values);
    }), { numRuns: 200 });
  });
});
