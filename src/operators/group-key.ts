// Grouping keys as state-store keys. A string key is itself (the common case, and the fast
// one); any other value, or several values, are encoded as tagged JSON. Raw strings never
// start with the tag characters, so the encodings cannot collide.
import { isDate } from 'node:util/types';

const NULL_KEY = '\u0000';
const ENCODED = '\u0001';

/** The store key of a single grouping value. */
export function singleKey(v: unknown): string {
  if (typeof v === 'string') return v.length > 0 && v.charCodeAt(0) < 3 ? ENCODED + JSON.stringify(v) : v;
  if (v === null || v === undefined) return NULL_KEY;
  return ENCODED + JSON.stringify(canonical(v));
}

/** The store key of several grouping values. */
export function compositeKey(values: readonly unknown[]): string {
  return ENCODED + JSON.stringify(values.map(canonical));
}

/** The store key of a list of grouping values: "" for none, else as singleKey or compositeKey. */
export function groupKey(values: readonly unknown[]): string {
  if (values.length === 0) return '';
  return values.length === 1 ? singleKey(values[0]) : compositeKey(values);
}

/** The grouping values a store key holds: one value, or the list of `count` values (inspection). */
export function decodeKey(key: string, count: number): unknown {
  if (count === 0) return [];
  if (count === 1) {
    if (key === NULL_KEY) return null;
    return key.startsWith(ENCODED) ? revive(JSON.parse(key.slice(1))) : key;
  }
  return revive(JSON.parse(key.slice(1)));
}

/** Undoes `canonical`: tagged times and bytes back to Dates and Buffers. */
function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (typeof o['$t'] === 'number' && Object.keys(o).length === 1) return new Date(o['$t']);
  if (typeof o['$b'] === 'string' && Object.keys(o).length === 1) return Buffer.from(o['$b'], 'base64');
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
}

function canonical(v: unknown): unknown {
  if (v === undefined) return null;
  if (isDate(v)) return { $t: v.getTime() };
  if (Buffer.isBuffer(v)) return { $b: v.toString('base64') };
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = canonical(x);
    return o;
  }
  return v;
}
