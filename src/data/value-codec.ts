// A self-describing binary encoding of one JavaScript value: what the chunk encoding uses for
// nested columns (arrays, maps, structs), for aggregation buffers whose shape only the
// aggregate knows, and for a value that does not match its column's declared type. Covers the
// values rows and accumulators hold (null, undefined, booleans, numbers, bigints, strings,
// Dates, Buffers, arrays, plain objects, Maps and Sets); anything else goes through
// v8.serialize, which every accumulator must survive anyway.
import { deserialize, serialize } from 'node:v8';
import { isDate, isMap, isSet, isUint8Array } from 'node:util/types';
import type { ByteReader, ByteWriter } from './bytes.js';

const enum Tag {
  Null = 0, Undefined = 1, False = 2, True = 3, Number = 4, String = 5, Date = 6, Array = 7,
  Object = 8, Binary = 9, BigInt = 10, Map = 11, Set = 12, V8 = 13,
}

export function writeValue(w: ByteWriter, v: unknown): void {
  switch (typeof v) {
    case 'number': w.u8(Tag.Number); w.f64(v); return;
    case 'string': w.u8(Tag.String); w.string(v); return;
    case 'boolean': w.u8(v ? Tag.True : Tag.False); return;
    case 'undefined': w.u8(Tag.Undefined); return;
    case 'bigint': w.u8(Tag.BigInt); w.string(v.toString()); return;
    case 'object': break;
    default: throw new TypeError(`cannot encode a ${typeof v} value in a row or state entry: only data values travel between threads`);
  }
  if (v === null) { w.u8(Tag.Null); return; }
  if (isDate(v)) { w.u8(Tag.Date); w.f64(v.getTime()); return; }
  if (Array.isArray(v)) {
    w.u8(Tag.Array);
    w.varuint(v.length);
    for (const x of v) writeValue(w, x);
    return;
  }
  if (isUint8Array(v)) { w.u8(Tag.Binary); w.raw(v); return; }
  if (isMap(v)) {
    w.u8(Tag.Map);
    w.varuint(v.size);
    for (const [k, x] of v) { writeValue(w, k); writeValue(w, x); }
    return;
  }
  if (isSet(v)) {
    w.u8(Tag.Set);
    w.varuint(v.size);
    for (const x of v) writeValue(w, x);
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(v);
    w.u8(Tag.Object);
    w.varuint(keys.length);
    for (const k of keys) { w.string(k); writeValue(w, (v as Record<string, unknown>)[k]); }
    return;
  }
  w.u8(Tag.V8);
  w.raw(serialize(v));
}

export function readValue(r: ByteReader): unknown {
  const tag = r.u8() as Tag;
  switch (tag) {
    case Tag.Null: return null;
    case Tag.Undefined: return undefined;
    case Tag.False: return false;
    case Tag.True: return true;
    case Tag.Number: return r.f64();
    case Tag.String: return r.string();
    case Tag.Date: return new Date(r.f64());
    case Tag.BigInt: return BigInt(r.string());
    case Tag.Binary: return r.raw();
    case Tag.Array: {
      const n = r.varuint();
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r);
      return out;
    }
    case Tag.Object: {
      const n = r.varuint();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        const x = readValue(r);
        // A field named __proto__ is data, never the object's prototype.
        if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
        else out[k] = x;
      }
      return out;
    }
    case Tag.Map: {
      const n = r.varuint();
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = readValue(r);
        out.set(k, readValue(r));
      }
      return out;
    }
    case Tag.Set: {
      const n = r.varuint();
      const out = new Set<unknown>();
      for (let i = 0; i < n; i++) out.add(readValue(r));
      return out;
    }
    case Tag.V8: return deserialize(r.raw());
    default: throw new Error(`corrupt encoded value: unknown tag ${String(tag)} at byte ${r.offset - 1}`);
  }
}
