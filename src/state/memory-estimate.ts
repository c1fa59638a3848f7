// memoryUsedBytes in progress: an estimate of the heap a store's entries take, as Spark's
// SizeEstimator does for its state maps. A sample of entries is measured by walking each key
// and value (object and array headers, fields, strings, boxed numbers, dates, collections, with
// V8's sizes with 8-byte fields, as Node ships it) and the mean is scaled to the whole store.
import { isDate } from 'node:util/types';

/** A Map entry of the store: its hash-table slot and the slot object holding value and epoch. */
const ENTRY_BYTES = 48;
const OBJECT_HEADER = 24;
const ARRAY_HEADER = 32;
const BACKING_STORE_HEADER = 16;
const FIELD = 8;
const HEAP_NUMBER = 16;
const STRING_HEADER = 16;
const DATE_BYTES = 56;
const COLLECTION_HEADER = 80;
const COLLECTION_ENTRY = 24;

const MAX_DEPTH = 8;

/** Estimated heap bytes of one value (shared sub-objects are counted each time they are reached). */
export function estimateValueBytes(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'string': return align(STRING_HEADER + stringBytes(v));
    case 'number': return Number.isInteger(v) && Math.abs(v) < 2 ** 30 ? 0 : HEAP_NUMBER;
    case 'bigint': return 16 + 8 * Math.ceil(v.toString(16).length / 16);
    case 'object': break;
    default: return 0; // booleans, undefined, null: immediates or shared oddballs
  }
  if (v === null || depth > MAX_DEPTH) return 0;
  if (isDate(v)) return DATE_BYTES;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return 64 + v.byteLength;
  if (Array.isArray(v)) {
    let n = ARRAY_HEADER + BACKING_STORE_HEADER + FIELD * v.length;
    for (const x of v) n += estimateValueBytes(x, depth + 1);
    return align(n);
  }
  if (v instanceof Map) {
    let n = COLLECTION_HEADER + COLLECTION_ENTRY * 2 * v.size;
    for (const [k, x] of v) n += estimateValueBytes(k, depth + 1) + estimateValueBytes(x, depth + 1);
    return align(n);
  }
  if (v instanceof Set) {
    let n = COLLECTION_HEADER + COLLECTION_ENTRY * v.size;
    for (const x of v) n += estimateValueBytes(x, depth + 1);
    return align(n);
  }
  let n = OBJECT_HEADER;
  for (const key in v) {
    n += FIELD;
    n += estimateValueBytes((v as Record<string, unknown>)[key], depth + 1);
  }
  return align(n);
}

/**
 * Estimated heap bytes of `size` entries, from a sample of them: entry overhead plus the mean
 * measured size of the sampled keys and values.
 */
export function estimateEntriesBytes(size: number, sample: Iterable<[string, unknown]>): number {
  let measured = 0;
  let count = 0;
  for (const [k, v] of sample) {
    measured += estimateValueBytes(k) + estimateValueBytes(v);
    count++;
  }
  if (count === 0) return 0;
  return Math.round(size * (ENTRY_BYTES + OBJECT_HEADER + 2 * FIELD + measured / count));
}

function stringBytes(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return 2 * s.length;
  return s.length;
}

function align(n: number): number {
  return (n + 7) & ~7;
}
