// from_json with projection pushed into decoding: when a query reads only some fields of the
// struct from_json returns, the record is decoded into those fields alone. Every other field is
// still read and checked (its syntax, and its conversion to its declared type), so a record is
// malformed exactly when full decoding says so; only the objects and strings of the fields
// nobody reads are never made.
//
// Two readers, fastest first. Records of one producer mostly share a layout (the same keys in the
// same order, compact): the layout of the last records, learned from one, is a regular
// expression that matches a record whose values are all plain strings and captures the wanted
// ones, in one native match. Other records go through a scanner for the common record (an
// object with double-quoted keys, each key once). Anything else (escapes in a key, a duplicated
// field, a syntax error, a value that does not fit its type, another root) makes the reader
// answer NOT_SIMPLE, and the caller decodes that record fully, so the results, malformed
// records and FAILFAST messages are those of full decoding by construction. Hand-written for
// speed on the per-row path, after json-value.ts's reader.
import type { JsonValue } from './json-value.js';
import { Reader } from './json-value.js';

/** The record needs full decoding. */
export const NOT_SIMPLE: unique symbol = Symbol('spate.json.notSimple');

export interface ProjectedField {
  readonly name: string;
  /** A JSON string's text is the value itself (a string field): read without a parsed value. */
  readonly isString: boolean;
  /** The conversion full decoding applies (throws when the value does not fit). */
  readonly convert: (v: JsonValue) => unknown;
}

const QUOTE = 34; // "
const BACKSLASH = 92;
// eslint-disable-next-line no-control-regex -- a raw control character is what this looks for
const CONTROL_CHARACTER = /[\u0000-\u001f]/;

/**
 * Builds the record object from the values by field index: one object literal of a fixed shape
 * (generated from the field names, quoted; a field named __proto__ stays an own field).
 */
/** A small integer from a string's length and its first, middle and last characters. */
function signature(text: string, from: number, to: number): number {
  const len = to - from;
  if (len === 0) return 0;
  return ((len & 0xff) << 22) ^ (text.charCodeAt(from) << 14) ^ (text.charCodeAt(from + (len >> 1)) << 7) ^ text.charCodeAt(to - 1);
}

type Build = (values: readonly unknown[], seenIn: Uint32Array, record: number) => Record<string, unknown>;

function recordBuilder(names: readonly string[], at: readonly number[]): Build {
  // A field not seen in this record (seenIn[i] !== record) is null.
  const fields = names.map((n, i) => `${n === '__proto__' ? `[${JSON.stringify(n)}]` : JSON.stringify(n)}: s[${at[i]}] === g ? v[${at[i]}] : null`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- built from field names, each quoted as a string literal
  return new Function('v', 's', 'g', `return { ${fields.join(', ')} };`) as Build;
}

/**
 * A reader of records into the `wanted` fields of `fields` (the struct's fields, in order):
 * returns the record as an object of the wanted fields (null when absent), or NOT_SIMPLE.
 */
export function projectedRecordReader(fields: readonly ProjectedField[], wanted: readonly string[]): (text: string) => Record<string, unknown> | typeof NOT_SIMPLE {
  const n = fields.length;
  const names = fields.map((f) => f.name);
  const lengths = names.map((x) => x.length);
  const fieldIndex = new Map(names.map((name, i) => [name, i]));
  const want = Uint8Array.from(fields, (f) => (wanted.includes(f.name) ? 1 : 0));
  const isString = Uint8Array.from(fields, (f) => (f.isString ? 1 : 0));
  const order = fields.map((_, i) => i).filter((i) => want[i] === 1);
  /** The record each field was last seen in (records are numbered as they are read). */
  const seenIn = new Uint32Array(n);
  let record = 0;
  const values = new Array<unknown>(n).fill(null);
  const reader = new Reader('');
  const build = recordBuilder(order.map((i) => names[i]!), order);

  // Field names by a signature of their length and first, middle and last characters: a key is
  // then matched with one comparison (names sharing a signature are tried in turn).
  const bySignature = new Map<number, number[]>();
  names.forEach((name, i) => {
    const sig = signature(name, 0, name.length);
    const list = bySignature.get(sig);
    if (list) list.push(i);
    else bySignature.set(sig, [i]);
  });

  /** The field whose name is text[from, to), or -1. */
  const fieldAt = (text: string, from: number, to: number): number => {
    const candidates = bySignature.get(signature(text, from, to));
    if (candidates === undefined) return -1;
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k]!;
      if (lengths[i] === to - from && text.startsWith(names[i]!, from)) return i;
    }
    return -1;
  };

  /**
   * The end of a double-quoted string starting at `at` (its closing quote), or -1 when it has an
   * escape or a control character. In a clean text (none anywhere) the next quote ends it.
   */
  const simpleStringEnd = (text: string, at: number, clean: boolean): number => {
    if (clean) return text.indexOf('"', at + 1);
    for (let i = at + 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) return i;
      if (c === BACKSLASH || c < 0x20) return -1;
    }
    return -1;
  };

  const skipSpace = (text: string, at: number): number => {
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return at;
      at++;
    }
    return at;
  };

  const nextRecord = (): void => {
    // Record numbers start at 1 (0 is "never seen") and wrap around long before any clash.
    record = record === 0xffffffff ? 1 : record + 1;
    if (record === 1) seenIn.fill(0);
  };

  const general = (text: string): Record<string, unknown> | typeof NOT_SIMPLE => {
    // Most records have neither escapes nor control characters: two native scans say so, and
    // then strings end at the next quote.
    const clean = text.indexOf('\\') === -1 && !CONTROL_CHARACTER.test(text);
    let at = skipSpace(text, 0);
    if (text.charCodeAt(at) !== 123 /* { */) return NOT_SIMPLE;
    at = skipSpace(text, at + 1);
    if (text.charCodeAt(at) === 125 /* } */) {
      at++;
    } else {
      for (;;) {
        at = skipSpace(text, at);
        if (text.charCodeAt(at) !== QUOTE) return NOT_SIMPLE;
        const keyEnd = simpleStringEnd(text, at, clean);
        if (keyEnd < 0) return NOT_SIMPLE;
        const f = fieldAt(text, at + 1, keyEnd);
        at = skipSpace(text, keyEnd + 1);
        if (text.charCodeAt(at) !== 58 /* : */) return NOT_SIMPLE;
        at = skipSpace(text, at + 1);
        if (f >= 0) {
          // A field given twice: full decoding keeps the last one; leave that to it.
          if (seenIn[f] === record) return NOT_SIMPLE;
          seenIn[f] = record;
        }
        const valueEnd = f >= 0 && isString[f] === 1 && text.charCodeAt(at) === QUOTE ? simpleStringEnd(text, at, clean) : -1;
        if (valueEnd >= 0) {
          if (want[f] === 1) values[f] = text.substring(at + 1, valueEnd);
          at = valueEnd + 1;
        } else {
          // Any other value: parsed and converted as full decoding does (its result kept only if wanted).
          reader.reset(text, at);
          let v: JsonValue;
          try {
            v = reader.value(1);
          } catch {
            return NOT_SIMPLE;
          }
          at = reader.pos;
          if (f >= 0) {
            let converted: unknown;
            try {
              converted = v === null ? null : fields[f]!.convert(v);
            } catch {
              return NOT_SIMPLE;
            }
            if (want[f] === 1) values[f] = converted;
          }
        }
        at = skipSpace(text, at);
        const c = text.charCodeAt(at++);
        if (c === 125 /* } */) break;
        if (c !== 44 /* , */) return NOT_SIMPLE;
      }
    }
    if (skipSpace(text, at) < text.length) return NOT_SIMPLE;
    return build(values, seenIn, record);
  };

  // The layout of the last records, as one regular expression: a compact object of these keys in
  // this order, each value a string without escapes or control characters. A record it matches is
  // valid JSON whose wanted values are the captured texts, found in one native match.
  let layout: { readonly re: RegExp; readonly fields: readonly number[] } | null = null;
  let misses = 0;

  return (text: string): Record<string, unknown> | typeof NOT_SIMPLE => {
    nextRecord();
    if (layout !== null) {
      const m = layout.re.exec(text);
      if (m !== null) {
        const fs = layout.fields;
        for (let j = 0; j < fs.length; j++) {
          values[fs[j]!] = m[j + 1];
          seenIn[fs[j]!] = record;
        }
        return build(values, seenIn, record);
      }
      // Records in another layout: learn again from the next one.
      if (++misses === LAYOUT_MISSES) layout = null;
    }
    const r = general(text);
    if (r !== NOT_SIMPLE && layout === null) {
      layout = learnLayout(text, (key) => {
        const f = fieldIndex.get(key);
        return f === undefined ? 'other' : isString[f] === 1 ? (want[f] === 1 ? f : 'string') : 'no';
      });
      misses = 0;
    }
    return r;
  };
}

/** Consecutive records a layout may miss before the reader learns another. */
const LAYOUT_MISSES = 16;

/** A string value's text: no quote, backslash or control character. */
const PLAIN = String.raw`[^"\\\u0000-\u001f]*`;

/**
 * The layout of a compact record whose every value is a plain string: its keys in order, as a
 * regular expression capturing the wanted fields' values; null for any other record. `kind`
 * says what a key is: a wanted field's index, a field of another type ('no': no layout), an
 * unwanted string field or a key outside the schema (matched, not captured).
 */
function learnLayout(text: string, kind: (key: string) => number | 'string' | 'other' | 'no'): { re: RegExp; fields: number[] } | null {
  const parts: string[] = [];
  const fields: number[] = [];
  const keys = new Set<string>();
  if (text.charCodeAt(0) !== 123 /* { */) return null;
  let at = 1;
  if (text.charCodeAt(at) === 125 /* } */) return null;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) return null;
    const keyEnd = plainEnd(text, at);
    if (keyEnd < 0 || text.charCodeAt(keyEnd + 1) !== 58 /* : */ || text.charCodeAt(keyEnd + 2) !== QUOTE) return null;
    const key = text.slice(at + 1, keyEnd);
    const valueEnd = plainEnd(text, keyEnd + 2);
    if (valueEnd < 0 || keys.has(key)) return null;
    keys.add(key);
    const k = kind(key);
    if (k === 'no') return null;
    const value = typeof k === 'number' ? `(${PLAIN})` : PLAIN;
    if (typeof k === 'number') fields.push(k);
    parts.push(`"${escapeRegex(key)}":"${value}"`);
    at = valueEnd + 1;
    const c = text.charCodeAt(at++);
    if (c === 125 /* } */) break;
    if (c !== 44 /* , */) return null;
  }
  if (at !== text.length) return null;
  return { re: new RegExp(`^\\{${parts.join(',')}\\}$`), fields };
}

/** The closing quote of a plain string starting at `at`, or -1. */
function plainEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20) return -1;
  }
  return -1;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
