// The chunk encoding: every row comes back equal (types, nulls, undefined, nested values,
// values that do not match their column), chunks concatenate in one buffer, and the encoding
// is compact for repeated keys.
import fc from 'fast-check';
import { ByteReader, ByteWriter } from '../../src/data/bytes.js';
import { chunkCodec, schemaCodec } from '../../src/data/chunk-codec.js';
import type { Row } from '../../src/data/row.js';
import { types as T } from '../../src/index.js';

const schema = T.struct([
  T.field('s', T.string()), T.field('i', T.integer()), T.field('l', T.long()), T.field('d', T.double()),
  T.field('b', T.boolean()), T.field('t', T.timestamp()), T.field('bin', T.binary()),
  T.field('xs', T.array(T.string())), T.field('m', T.map(T.string(), T.long())),
  T.field('st', T.struct([T.field('start', T.timestamp()), T.field('end', T.timestamp())])),
]);

describe('chunk encoding', () => {
  it('gives back every column of every row, nulls and undefined kept apart', () => {
    const rows: Row[] = [
      {
        s: 'BUY', i: 3, l: 2 ** 52 + 1, d: -0.5, b: true, t: new Date('2019-02-05T10:05:00Z'), bin: Buffer.from([1, 2, 3]),
        xs: ['a', null], m: { x: 1 }, st: { start: new Date(0), end: new Date(1000) },
      },
      { s: null, i: null, l: undefined, d: NaN, b: false, t: null, bin: null, xs: null, m: null, st: null },
      { s: 'BUY', i: -7, l: 0, d: Infinity, b: null, t: new Date(-1), bin: Buffer.alloc(0), xs: [], m: {}, st: { start: null, end: null } },
    ];
    const codec = schemaCodec(schema);
    const back = codec.decode(codec.encode(rows));
    expect(back).toEqual(rows);
    expect(back[1]).toHaveProperty('l', undefined);
    expect(Object.is(back[0]!['d'], -0.5)).toBe(true);
  });

  it('keeps a value that does not match its column type as it is', () => {
    const codec = schemaCodec(schema);
    const odd: Row = { s: 42, i: 'seven', l: new Date(5), d: [1], b: 'yes', t: 17, bin: 'text', xs: 'x', m: [1], st: 3 };
    expect(codec.decode(codec.encode([odd]))).toEqual([odd]);
  });

  it('encodes aggregation buffers of any shape in a column without a type', () => {
    const codec = chunkCodec([{ name: 'key', type: T.string() }, { name: 'acc', type: null }]);
    const rows: Row[] = [
      { key: 'a', acc: { sum: 3, count: 2 } },
      { key: 'b', acc: [1, 'x', null, new Date(3)] },
      { key: 'c', acc: new Map<unknown, unknown>([['k', 1], [2, new Set([1, 2])]]) },
      { key: 'd', acc: 12n },
      { key: 'e', acc: new Uint8Array([9, 8]) },
      { key: 'f', acc: new Int32Array([1, -2]) },
    ];
    const back = codec.decode(codec.encode(rows));
    expect(back.slice(0, 4)).toEqual(rows.slice(0, 4));
    expect([...(back[4]!['acc'] as Uint8Array)]).toEqual([9, 8]);
    expect([...(back[5]!['acc'] as Int32Array)]).toEqual([1, -2]);
  });

  it('treats a field named __proto__ as data, never as the prototype', () => {
    const codec = chunkCodec([{ name: '__proto__', type: T.string() }, { name: 'o', type: null }]);
    const row = JSON.parse('{"__proto__": "x", "o": {"__proto__": {"polluted": true}}}') as Row;
    const [back] = codec.decode(codec.encode([row]));
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toBe('x');
    const o = back!['o'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('writes several chunks into one buffer and reads them back in order', () => {
    const codec = schemaCodec(T.struct([T.field('word', T.string()), T.field('n', T.long())]));
    const w = new ByteWriter(16);
    codec.write(w, [{ word: 'a', n: 1 }]);
    codec.write(w, []);
    codec.write(w, [{ word: 'b', n: 2 }, { word: 'b', n: 3 }]);
    const r = new ByteReader(w.buffer, 0, w.length);
    expect([codec.read(r), codec.read(r), codec.read(r)]).toEqual([[{ word: 'a', n: 1 }], [], [{ word: 'b', n: 2 }, { word: 'b', n: 3 }]]);
    expect(r.offset).toBe(w.length);
  });

  it('writes rows given as columns as it writes the rows, and reads them back as columns', () => {
    const codec = schemaCodec(T.struct([T.field('word', T.string()), T.field('n', T.long())]));
    const rows = [{ word: 'a', n: 1 }, { word: null, n: 2 }, { word: 'a', n: null }];
    const byRows = new ByteWriter(16);
    codec.write(byRows, rows);
    const byColumns = new ByteWriter(16);
    // A longer buffer than the rows: only the first n values are written.
    codec.writeColumns(byColumns, 3, [['a', null, 'a', 'extra'], [1, 2, null, 4]]);
    expect(new Uint8Array(byColumns.buffer, 0, byColumns.length)).toEqual(new Uint8Array(byRows.buffer, 0, byRows.length));
    const r = new ByteReader(byColumns.buffer, 0, byColumns.length);
    expect(codec.readColumns(r)).toEqual({ n: 3, cols: [['a', null, 'a'], [1, 2, null]] });
    expect(r.offset).toBe(byColumns.length);
  });

  it('writes a key repeated over a chunk once: 4,096 rows of 8 brokers take about 10 bytes a row', () => {
    const codec = schemaCodec(T.struct([T.field('BrokerCode', T.string()), T.field('Amount', T.long())]));
    const rows = Array.from({ length: 4096 }, (_, i) => ({ BrokerCode: `BROKER-${i % 8}`, Amount: i }));
    const e = codec.encode(rows);
    expect(e.byteLength / rows.length).toBeLessThan(11);
    expect(codec.decode(e)).toEqual(rows);
  });

  it('writes a struct column as columns of its fields, and any other shape in it as it is', () => {
    const window = T.struct([T.field('start', T.timestamp()), T.field('end', T.timestamp())]);
    const codec = schemaCodec(T.struct([T.field('window', window), T.field('n', T.long())]));
    class Span { constructor(readonly start: Date, readonly end: Date) {} }
    const bare = Object.assign(Object.create(null) as object, { start: new Date(1), end: new Date(2) });
    const rows: Row[] = [
      { window: { start: new Date(0), end: new Date(10_000) }, n: 1 },
      { window: { end: new Date(10_000), start: new Date(0) }, n: 2 },
      { window: { start: new Date(0), end: new Date(10_000), extra: 1 }, n: 3 },
      { window: { start: 'soon', end: null }, n: 4 },
      { window: new Span(new Date(5), new Date(6)), n: 5 },
      { window: bare, n: 6 },
      { window: null, n: 7 },
      { window: undefined, n: 8 },
    ];
    const back = codec.decode(codec.encode(rows));
    expect(back).toEqual(rows.map((r) => (r['window'] instanceof Span || r === rows[5] ? { ...r, window: { ...(r['window'] as object) } } : r)));
    // Field order is kept as written (output and JSON show it).
    expect(Object.keys(back[1]!['window'] as object)).toEqual(['end', 'start']);
    expect(back[7]).toHaveProperty('window', undefined);
    // 1,000 windows of two timestamps: 28 bytes a row in columns, 39 as a tagged object each.
    const many = Array.from({ length: 1000 }, (_, i) => ({ window: { start: new Date(i * 10), end: new Date(i * 10 + 10) }, n: i }));
    const e = codec.encode(many);
    expect(e.byteLength / many.length).toBeLessThan(30);
    expect(codec.decode(e)).toEqual(many);
  });

  it('reads back dictionaries of every code width (under 252, under 65,532 and more distinct strings)', () => {
    const codec = schemaCodec(T.struct([T.field('s', T.string()), T.field('n', T.long())]));
    for (const distinct of [10, 300, 70_000]) {
      const rows = Array.from({ length: distinct + 5 }, (_, i) => ({ s: i < 5 ? null : `s${i % distinct}`, n: i }));
      expect(codec.decode(codec.encode(rows))).toEqual(rows);
    }
  });

  it('refuses a buffer written for other columns', () => {
    const a = schemaCodec(T.struct([T.field('x', T.long())]));
    const b = schemaCodec(T.struct([T.field('x', T.long()), T.field('y', T.long())]));
    expect(() => b.decode(a.encode([{ x: 1 }]))).toThrow(/1 columns, expected 2 \(x, y\)/);
  });

  it('round-trips any rows of the schema (property)', () => {
    const opt = <V>(a: fc.Arbitrary<V>) => fc.oneof(a, fc.constant(null));
    const row = fc.record({
      s: opt(fc.string({ unit: 'binary' })), i: opt(fc.integer()), l: opt(fc.maxSafeInteger()), d: opt(fc.double()),
      b: opt(fc.boolean()), t: opt(fc.date({ noInvalidDate: true })), bin: opt(fc.uint8Array().map((u) => Buffer.from(u))),
      xs: opt(fc.array(opt(fc.string()))), m: opt(fc.dictionary(fc.string().filter((k) => k !== '__proto__'), fc.integer())),
      st: opt(fc.record({ start: opt(fc.date({ noInvalidDate: true })), end: opt(fc.date({ noInvalidDate: true })) })),
    });
    const codec = schemaCodec(schema);
    fc.assert(fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
      expect(codec.decode(codec.encode(rows))).toEqual(rows);
    }), { numRuns: 60 });
  });
});
