import fc from 'fast-check';
import type { RecordLayout } from '../../src/state/entry-codec.js';
import { decodeEntryBlob, encodeEntryBlob } from '../../src/state/entry-codec.js';

class Custom {
  constructor(readonly x: number) {}
}

// Values an operator may keep in state: JSON-like trees with Dates, binary, Maps and Sets.
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null), fc.constant(undefined), fc.boolean(), fc.double(), fc.integer(), fc.string(), fc.string({ unit: 'binary' }),
    fc.date({ noInvalidDate: true }), fc.uint8Array().map((a) => Buffer.from(a)), fc.uint8Array(), fc.bigInt(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 5 }), tie('value'), { maxKeys: 4 }),
    fc.array(fc.tuple(fc.string({ maxLength: 3 }), tie('value')), { maxLength: 3 }).map((kv) => new Map(kv)),
    fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 4 }).map((xs) => new Set(xs)),
  ),
}));

describe('the state entry codec', () => {
  it('decodes exactly what it encoded (property)', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary' }), value), { maxLength: 30 }), (entries) => {
      const keys = entries.map(([k]) => k);
      const values = entries.map(([, v]) => v);
      const decoded = decodeEntryBlob(encodeEntryBlob({ keys, values }));
      expect(decoded.keys).toEqual(keys);
      expect(decoded.values).toEqual(values);
    }), { numRuns: 300 });
  });

  it('writes a record through its layout as the very bytes of the plain object it stands for (property)', () => {
    // A columnar store hands the codec slots; the layout writes each as { k, w, a }.
    const fields = ['k', 'w', 'a'];
    const layout: RecordLayout = {
      write: (v, out) => {
        const e = v as { k: unknown[]; w: unknown; a: unknown[] };
        out.struct(fields);
        out.array(e.k.length);
        for (const x of e.k) out.field(x);
        out.field(e.w);
        out.array(e.a.length);
        for (const x of e.a) out.field(x);
      },
    };
    const entry = fc.record({ k: fc.array(value, { maxLength: 3 }), w: fc.oneof(fc.constant(null), fc.double()), a: fc.array(value, { maxLength: 3 }) });
    fc.assert(fc.property(fc.array(fc.tuple(fc.string(), fc.option(entry, { nil: undefined })), { maxLength: 20 }), (entries) => {
      const keys = entries.map(([k]) => k);
      const values = entries.map(([, v]) => v);
      const viaLayout = encodeEntryBlob({ keys, values }, layout);
      expect(viaLayout.equals(encodeEntryBlob({ keys, values }))).toBe(true);
      expect(decodeEntryBlob(viaLayout).values).toEqual(values);
    }), { numRuns: 300 });
  });

  it('keeps a grouping value equal to its key as a reference, and shares object shapes', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `customer-${i}`);
    const values = keys.map((k, i) => ({ k: [k], w: null, a: [i, i * 2.5] }));
    const blob = encodeEntryBlob({ keys, values });
    // Each key's text is stored once: well under twice the key text.
    expect(blob.length).toBeLessThan(keys.join('').length * 1.2 + 1000 * (3 * 8 + 8 + 4 * 6));
    expect(decodeEntryBlob(blob).values).toEqual(values);
  });

  it('keeps strings exactly when a lone surrogate follows UTF-8 text (the text becomes UTF-16)', () => {
    const keys = ['plain', 'caf\u00e9 \u{1F600}', 'lone \ud800 high', 'x'.repeat(100), 'lone low \udc00'];
    const values = ['\u00fc', 'after \udfff', { s: 'ok' }, 'y'.repeat(70) + '\u00e9', 'lone low \udc00'];
    const decoded = decodeEntryBlob(encodeEntryBlob({ keys, values }));
    expect(decoded.keys).toEqual(keys);
    expect(decoded.values).toEqual(values);
    const utf8Only = decodeEntryBlob(encodeEntryBlob({ keys: keys.slice(0, 2), values: values.slice(0, 1).concat(['z'.repeat(80)]) }));
    expect(utf8Only.keys).toEqual(keys.slice(0, 2));
  });

  it('reads blobs an earlier version wrote, and writes the same bytes for them (UTF-8 and UTF-16 text)', () => {
    // Written by the encoder that joined every string into one text before encoding it.
    const utf16 = 'U1BTRQEBAAADAAAACQAAAAEAAAAKAAAAGAAAAAAAAAAAAAAAAAD4PwEAAAADAAAAAQAAAAEAAAABAAAAAQAAAAIAAAAEAAAAAgAAAAIAAAAMCgYBCgQGBQBhAGsAdwBhAGMAYQBmAOkAeAD8AGsAANg=';
    const utf8 = 'U1BTRQEAAAACAAAACAAAAAEAAAAJAAAADAAAAAAAAAAAAAAAAAD4PwEAAAADAAAAAQAAAAEAAAABAAAAAQAAAAIAAAAEAAAAAgAAAAwKBgEKBAYFYWt3YWNhZsOpeMO8';
    const keys = ['a', 'caf\u00e9', 'k\ud800'];
    const values = [{ k: ['a'], w: null, a: [1.5, 'a'] }, 'x\u00fc', undefined];
    expect(decodeEntryBlob(Buffer.from(utf16, 'base64'))).toEqual({ keys, values });
    expect(decodeEntryBlob(Buffer.from(utf8, 'base64'))).toEqual({ keys: keys.slice(0, 2), values: values.slice(0, 2) });
    expect(encodeEntryBlob({ keys, values }).toString('base64')).toBe(utf16);
    expect(encodeEntryBlob({ keys: keys.slice(0, 2), values: values.slice(0, 2) }).toString('base64')).toBe(utf8);
  });

  it('keeps an own __proto__ field a field, not a prototype', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const decoded = decodeEntryBlob(encodeEntryBlob({ keys: ['k'], values: [value] })).values[0] as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a']);
    expect((decoded as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('keeps an instance of a class as v8 does: its own fields, without its prototype', () => {
    const decoded = decodeEntryBlob(encodeEntryBlob({ keys: ['a'], values: [new Custom(3)] }));
    expect(decoded.values[0]).toEqual({ x: 3 });
  });

  it('refuses a truncated or damaged blob with a RangeError saying what is wrong', () => {
    const blob = encodeEntryBlob({ keys: ['a', 'b'], values: [1, 'x'] });
    expect(() => decodeEntryBlob(blob.subarray(0, blob.length - 1))).toThrow(/the blob is \d+ bytes but its header describes \d+/);
    expect(() => decodeEntryBlob(blob.subarray(0, 10))).toThrow(/not an entry blob/);
    const damaged = Buffer.from(blob);
    damaged.writeUInt32LE(7, 8); // more entries than the columns hold
    expect(() => decodeEntryBlob(damaged)).toThrow(RangeError);
  });
});
