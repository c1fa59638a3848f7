// Value helpers shared by the function families: a canonical text key per value (for sets,
// distinct and hashing) and a few runtime errors raised by bad data rather than a bad query.
import { types } from 'node:util';
import { SpateError } from '../../errors.js';
import { compareValues } from '../codegen.js';

/**
 * Whether `v` is a Date, from any realm: a Date restored by v8.deserialize inside a vm context
 * (as under jest) fails `instanceof Date`.
 */
export const isDate = (v: unknown): v is Date => types.isDate(v);

/** compareValues, also for Dates from another realm (accumulators restored from state). */
export function compareAny(a: unknown, b: unknown): number {
  if (isDate(a) && isDate(b)) return a.getTime() - b.getTime();
  return compareValues(a, b);
}

/**
 * A string that is equal for two values exactly when SQL considers them equal: dates by time,
 * buffers by bytes, -0 as 0, NaN as NaN, arrays and structs element by element. Every part is
 * tagged and strings are JSON-quoted, so distinct values never share a key.
 */
export function canonicalKey(v: unknown): string {
  if (v === null || v === undefined) return 'N';
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'number': return Object.is(v, -0) ? '0' : String(v);
    case 'boolean': return v ? 'T' : 'F';
    case 'bigint': return `${v}n`;
    default: break;
  }
  if (isDate(v)) return `D${v.getTime()}`;
  if (Buffer.isBuffer(v)) return `X${v.toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canonicalKey).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}:${canonicalKey(x)}`).join(',')}}`;
  }
  return `?${String(v)}`;
}

export { put } from '../own-properties.js';

/** Bad data met while evaluating (an array index of 0, a null map key): Spark's runtime errors. */
export class DataError extends SpateError {}

/** Counts code points, as Spark counts characters (a surrogate pair is one character). */
export function charLength(s: string): number {
  return isBmp(s) ? s.length : Array.from(s).length;
}

/** True when the string has no surrogate pairs, so code units are characters. */
export function isBmp(s: string): boolean {
  return !/[\ud800-\udfff]/.test(s);
}

/** The string's characters (code points) as an array. */
export function chars(s: string): string[] {
  return isBmp(s) ? s.split('') : Array.from(s);
}
