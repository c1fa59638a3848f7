// from_json decoding only the fields a query reads gives what full decoding gives for those
// fields, on valid and invalid documents alike, in every mode: the same values, the same
// records dropped (DROPMALFORMED), the same FAILFAST errors; and on documents JSON.parse
// accepts, the values JSON.parse finds.
import fc from 'fast-check';
import { MALFORMED } from '../../../src/expr/bound.js';
import type { BoundFunction } from '../../../src/expr/bound.js';
import { call, colRef } from '../../../src/expr/tree.js';
import type { StructType } from '../../../src/expr/types.js';
import { BOOLEAN, DOUBLE, INTEGER, LONG, STRING, TIMESTAMP, arrayOf, fieldOf, structOf } from '../../../src/expr/types.js';
import { bind } from '../../../src/expr/analyze.js';

const schema = structOf([
  fieldOf('id', STRING), fieldOf('kind', STRING), fieldOf('n', INTEGER), fieldOf('big', LONG), fieldOf('x', DOUBLE),
  fieldOf('ok', BOOLEAN), fieldOf('at', TIMESTAMP), fieldOf('tags', arrayOf(STRING)),
  fieldOf('inner', structOf([fieldOf('a', STRING), fieldOf('b', INTEGER)])), fieldOf('__proto__', STRING),
]);
const names = schema.fields.map((f) => f.name);
const MODES = ['PERMISSIVE', 'DROPMALFORMED', 'FAILFAST'] as const;

function fromJsonFn(mode: string, of: StructType = schema): BoundFunction {
  const e = bind(call('from_json', [colRef(['value'])], { schema: of, mode }), structOf([fieldOf('value', STRING)]));
  if (e.k !== 'call') throw new Error('expected a call');
  return e.fn;
}

type Outcome = { value: unknown } | { error: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { value: comparable(f()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Dates by their time (an invalid date equals another), so outcomes compare with toEqual. */
function comparable(v: unknown): unknown {
  if (v instanceof Date) return { date: String(v.getTime()) };
  if (Array.isArray(v)) return v.map(comparable);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
  return v;
}

/** Full decoding, then only the wanted fields (what a query reading them sees). */
function viaFull(fn: BoundFunction, text: string, wanted: readonly string[]): Outcome {
  return outcome(() => {
    const v = (fn.impl as (t: string) => unknown)(text);
    if (v === null || v === MALFORMED) return v;
    return Object.fromEntries(wanted.map((w) => [w, (v as Record<string, unknown>)[w]]));
  });
}

function viaProjection(fn: BoundFunction, text: string, wanted: readonly string[]): Outcome {
  return outcome(() => {
    const v = (fn.project!(wanted).impl as (t: string) => unknown)(text);
    if (v === null || v === MALFORMED) return v;
    // Own fields only, and exactly the wanted ones.
    expect(Object.keys(v as object).sort()).toEqual([...wanted].sort());
    return Object.fromEntries(wanted.map((w) => [w, Object.getOwnPropertyDescriptor(v, w)?.value]));
  });
}

/** A value for a field: mostly of its type, sometimes of another type or missing. */
const fieldValue = fc.oneof(
  fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null),
  fc.constantFrom('2024-01-01 10:00:00', '2024-01-01T10:00:00Z', 'NaN', 'Infinity', '12', ' 7'),
  fc.array(fc.string(), { maxLength: 3 }), fc.record({ a: fc.string(), b: fc.integer() }), fc.jsonValue(),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1),
);

/** Documents: objects over the schema's fields and others, written compactly or spaced, with escapes and duplicates. */
const validDocument = fc.tuple(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string()), fieldValue), { maxLength: 12 }),
  fc.boolean(),
).map(([pairs, spaced]) => {
  const body = pairs.map(([k, v]) => `${JSON.stringify(k)}:${spaced ? ' ' : ''}${JSON.stringify(v) ?? 'null'}`);
  return `${spaced ? ' ' : ''}{${body.join(spaced ? ',\n ' : ',')}}`;
});

/** Damaged documents: cut, with a character changed or inserted, or other JSON values at the root. */
const damaged = fc.oneof(
  fc.tuple(validDocument, fc.nat()).map(([d, n]) => d.slice(0, n % (d.length + 1))),
  fc.tuple(validDocument, fc.nat(), fc.constantFrom('"', "'", '\\', ',', ':', '{', '}', '[', ']', 'x', '\u0001', '\n', ' ', 'N'))
    .map(([d, n, ch]) => { const i = n % (d.length + 1); return d.slice(0, i) + ch + d.slice(i + 1); }),
  fc.tuple(validDocument, fc.nat(), fc.constantFrom('"', "'", '\\', ',', '\u0007'))
    .map(([d, n, ch]) => { const i = n % (d.length + 1); return d.slice(0, i) + ch + d.slice(i); }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom('', '   ', 'null', '{}', "{'id': 'x'}", '{"id": NaN}', '{"n": 1.0}', '{"id":"a"} x', '{"id":"\\u0041"}'),
);

const wantedFields = fc.subarray(names, { minLength: 1 });

describe('from_json decoding only the fields read', () => {
  it('gives full decoding\'s result for those fields on any document, in every mode', () => {
    const fns = Object.fromEntries(MODES.map((m) => [m, fromJsonFn(m)]));
    fc.assert(fc.property(fc.oneof(validDocument, damaged), wantedFields, fc.constantFrom(...MODES), (text, wanted, mode) => {
      const fn = fns[mode]!;
      expect(viaProjection(fn, text, wanted)).toEqual(viaFull(fn, text, wanted));
    }), { numRuns: 3000 });
  });

  it('finds the values JSON.parse finds in documents JSON.parse accepts', () => {
    const stringy = structOf([fieldOf('id', STRING), fieldOf('kind', STRING), fieldOf('n', STRING)]);
    const fn = fromJsonFn('PERMISSIVE', stringy);
    fc.assert(fc.property(fc.dictionary(fc.oneof(fc.constantFrom('id', 'kind', 'n'), fc.string()), fc.string()), (o) => {
      const text = JSON.stringify(o);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const got = (fn.project!(['id', 'kind']).impl as (t: string) => Record<string, unknown>)(text);
      expect(got).toEqual({ id: parsed['id'] ?? null, kind: parsed['kind'] ?? null });
    }), { numRuns: 1000 });
  });

  it('gives full decoding\'s result for records that share a layout, as a stream of one producer has', () => {
    // The reader learns the layout of the first plain record and matches later ones against it:
    // values with escapes, control characters or other types must still decode as in full.
    const fn = fromJsonFn('PERMISSIVE');
    const keys = fc.uniqueArray(fc.oneof(fc.constantFrom('id', 'kind', '__proto__', 'n'), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 6 });
    const value = fc.oneof({ weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii' }) }, fc.string(), fc.constantFrom('a"b', 'a\\b', 'tab\there', 'nl\n', 'é', '\u0001'), fc.integer(), fc.constant(null));
    fc.assert(fc.property(keys, fc.array(fc.array(value, { minLength: 6, maxLength: 6 }), { minLength: 1, maxLength: 40 }), wantedFields, (ks, rows, wanted) => {
      const projected = fn.project!(wanted);
      for (const vals of rows) {
        const text = `{${ks.map((k, i) => `${JSON.stringify(k)}:${JSON.stringify(vals[i])}`).join(',')}}`;
        const got = outcome(() => {
          const v = (projected.impl as (t: string) => unknown)(text);
          return v === null || v === MALFORMED ? v : Object.fromEntries(wanted.map((w) => [w, Object.getOwnPropertyDescriptor(v, w)?.value]));
        });
        expect(got).toEqual(viaFull(fn, text, wanted));
      }
    }), { numRuns: 500 });
  });

  it('is offered for struct schemas without a corrupt-record column', () => {
    expect(fromJsonFn('PERMISSIVE').project).toBeDefined();
    const withCorrupt = bind(call('from_json', [colRef(['value'])], {
      schema: structOf([fieldOf('id', STRING), fieldOf('_corrupt_record', STRING)]),
    }), structOf([fieldOf('value', STRING)]));
    expect(withCorrupt.k === 'call' && withCorrupt.fn.project).toBeFalsy();
  });
});
