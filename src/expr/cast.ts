// CAST semantics (Spark's non-ANSI mode): a value that cannot be converted becomes null.
import { isDate } from 'node:util/types';
import { AnalysisError } from '../errors.js';
import { utcMillis } from './functions/date-pattern.js';
import { own, put } from './own-properties.js';
import { inTimestampRange, isValidTimestamp, timestampOrNull } from './time-range.js';
import type { DataType } from './types.js';
import { typeToString } from './types.js';

export type CastFn = (v: never) => unknown;

/** The conversion from one type to another, or undefined when the value needs no change. */
export function castFunction(from: DataType, to: DataType): CastFn | undefined {
  if (from.kind === 'null') return undefined;
  if (typeToString(from) === typeToString(to)) return undefined;
  switch (to.kind) {
    case 'string': return toStringFn(from);
    case 'integer': return toIntegral(from, 2 ** 31);
    case 'long': return toIntegral(from, 2 ** 63);
    case 'double': return toDouble(from);
    case 'boolean': return toBoolean(from);
    case 'timestamp': return toTimestamp(from);
    case 'binary':
      if (from.kind === 'string') return ((v: string) => Buffer.from(v, 'utf8')) as CastFn;
      break;
    case 'array':
      if (from.kind === 'array') {
        const inner = castFunction(from.element, to.element);
        return inner ? ((v: unknown[]) => v.map((x) => (x == null ? null : inner(x as never)))) as CastFn : undefined;
      }
      break;
    case 'struct':
      if (from.kind === 'struct' && from.fields.length === to.fields.length) {
        const casts = to.fields.map((f, i) => castFunction(from.fields[i]!.type, f.type));
        const names = from.fields.map((f) => f.name);
        return ((v: Record<string, unknown>) => {
          const out: Record<string, unknown> = {};
          to.fields.forEach((f, i) => {
            const x = own(v, names[i]!);
            put(out, f.name, x == null ? null : casts[i] ? casts[i]!(x as never) : x);
          });
          return out;
        }) as CastFn;
      }
      break;
    default: break;
  }
  throw new AnalysisError(`cannot cast ${typeToString(from)} to ${typeToString(to)}`);
}

function toStringFn(from: DataType): CastFn {
  switch (from.kind) {
    case 'binary': return ((v: Buffer) => v.toString('utf8')) as CastFn;
    case 'timestamp': return ((v: Date) => (isValidTimestamp(v) ? formatTimestamp(v) : null)) as CastFn;
    case 'double': return ((v: number) => formatDouble(v)) as CastFn;
    case 'array': case 'map': case 'struct': return ((v: unknown) => typedValueToString(v, from)) as CastFn;
    default: return ((v: unknown) => valueToString(v)) as CastFn;
  }
}

function toIntegral(from: DataType, bound: number): CastFn {
  switch (from.kind) {
    case 'string': return ((v: string) => {
      const s = v.trim();
      if (!/^[+-]?\d+(\.\d*)?$/.test(s)) return null;
      const n = Math.trunc(Number(s));
      return n >= -bound && n < bound ? n : null;
    }) as CastFn;
    case 'boolean': return ((v: boolean) => (v ? 1 : 0)) as CastFn;
    case 'timestamp': return ((v: Date) => (isValidTimestamp(v) ? Math.floor(v.getTime() / 1000) : null)) as CastFn;
    case 'integer': case 'long': case 'double':
      return ((v: number) => (Number.isFinite(v) ? Math.trunc(v) : null)) as CastFn;
    default: throw new AnalysisError(`cannot cast ${typeToString(from)} to an integral type`);
  }
}

function toDouble(from: DataType): CastFn {
  switch (from.kind) {
    case 'string': return ((v: string) => {
      const s = v.trim();
      if (s === '') return null;
      const n = Number(s);
      return Number.isNaN(n) && !/^nan$/i.test(s) ? null : n;
    }) as CastFn;
    case 'boolean': return ((v: boolean) => (v ? 1 : 0)) as CastFn;
    case 'timestamp': return ((v: Date) => (isValidTimestamp(v) ? v.getTime() / 1000 : null)) as CastFn;
    case 'integer': case 'long': return ((v: number) => v) as CastFn;
    default: throw new AnalysisError(`cannot cast ${typeToString(from)} to double`);
  }
}

function toBoolean(from: DataType): CastFn {
  switch (from.kind) {
    case 'string': return ((v: string) => {
      const s = v.trim().toLowerCase();
      if (s === 'true' || s === 't' || s === 'yes' || s === 'y' || s === '1') return true;
      if (s === 'false' || s === 'f' || s === 'no' || s === 'n' || s === '0') return false;
      return null;
    }) as CastFn;
    case 'integer': case 'long': case 'double': return ((v: number) => v !== 0) as CastFn;
    default: throw new AnalysisError(`cannot cast ${typeToString(from)} to boolean`);
  }
}

function toTimestamp(from: DataType): CastFn {
  switch (from.kind) {
    case 'string': return ((v: string) => timestampOrNull(parseTimestampMs(v))) as CastFn;
    case 'integer': case 'long': case 'double': return ((v: number) => timestampOrNull(Math.round(v * 1000))) as CastFn;
    default: throw new AnalysisError(`cannot cast ${typeToString(from)} to timestamp`);
  }
}

const TS_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Parses Spark's default timestamp forms (`2019-02-05 10:05:00`, ISO-8601, a date) as UTC; null when invalid or out of range. */
export function parseTimestampMs(text: string): number | null {
  const m = TS_RE.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = h ? Number(h) : 0;
  const minute = mi ? Number(mi) : 0;
  const second = s ? Number(s) : 0;
  // utcMillis, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  let ms = utcMillis(Number(y), month, day, hour, minute, second, frac ? Number(frac.slice(0, 3).padEnd(3, '0')) : 0);
  if (ms === null) return null;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return inTimestampRange(ms) ? ms : null;
}

/** `2019-02-05 10:05:00` (UTC), with milliseconds only when non-zero, as Spark prints them. */
export function formatTimestamp(d: Date): string {
  const iso = d.toISOString();
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${String(ms).padStart(3, '0').replace(/0+$/, '')}`;
}

/**
 * A double as Java's Double.toString writes it, which is how Spark casts and shows one: at least
 * one fraction digit (`1560.0`), scientific notation below 10^-3 and from 10^7 (`1.0E7`,
 * `1.5E-4`), the shortest digits that read back as the same number.
 */
export function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** Spark's string form of a value of type `t` (cast to string, show, the console sink). */
export function typedValueToString(v: unknown, t: DataType): string {
  if (v === null || v === undefined) return 'null';
  switch (t.kind) {
    case 'double': return typeof v === 'number' ? formatDouble(v) : valueToString(v);
    case 'array': return Array.isArray(v) ? `[${v.map((x) => typedValueToString(x, t.element)).join(', ')}]` : valueToString(v);
    case 'map': {
      const entries = v instanceof Map ? [...v] : typeof v === 'object' ? Object.entries(v as object) : null;
      return entries ? `{${entries.map(([k, x]) => `${typedValueToString(k, t.key)} -> ${typedValueToString(x, t.value)}`).join(', ')}}` : valueToString(v);
    }
    case 'struct': return typeof v === 'object'
      ? `{${t.fields.map((f) => typedValueToString((v as Record<string, unknown>)[f.name], f.type)).join(', ')}}`
      : valueToString(v);
    default: return valueToString(v);
  }
}

/** Spark's string form of any value: structs as `{a, b}`, arrays as `[a, b]`, maps as `{k -> v}`. */
export function valueToString(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (isDate(v)) return isValidTimestamp(v) ? formatTimestamp(v) : 'null';
  if (Buffer.isBuffer(v)) return `[${[...v].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ')}]`;
  if (Array.isArray(v)) return `[${v.map(valueToString).join(', ')}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${valueToString(k)} -> ${valueToString(x)}`).join(', ')}}`;
  if (typeof v === 'object') return `{${Object.values(v as object).map(valueToString).join(', ')}}`;
  return String(v);
}
