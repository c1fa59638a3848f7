// String functions. Positions and lengths count characters (code points), as Spark's UTF8String
// does; trim removes spaces only (Spark 3 behaviour). Regex functions live in regexp.ts.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import type { DataType } from '../types.js';
import { BINARY, BOOLEAN, INTEGER, STRING, isNumeric, typeToString } from '../types.js';
import {
  apply, coerce, commonTypeOf, defineEach, defineFixed, lenientFn, strictFn, type Coerce,
} from './define.js';
import { formatGrouped } from './decimal.js';
import { registerScalar } from './registry.js';
import { charLength, chars, isBmp } from './values.js';

// ---- case, trimming, length ------------------------------------------------------------------

defineEach(['string'], STRING, {
  upper: (s: string) => s.toUpperCase(),
  lower: (s: string) => s.toLowerCase(),
  trim: (s: string) => s.replace(/^ +| +$/g, ''),
  ltrim: (s: string) => s.replace(/^ +/, ''),
  rtrim: (s: string) => s.replace(/ +$/, ''),
  // Spark title-cases after spaces only.
  initcap: (s: string) => s.toLowerCase().replace(/(?<=^| )[^ ]/g, (c) => c.toUpperCase()),
}, { upper: ['ucase'], lower: ['lcase'] });

/** length(x): characters of a string, bytes of a binary. */
registerScalar({
  name: 'length', aliases: ['char_length', 'character_length', 'len'], minArgs: 1, maxArgs: 1,
  bind(args) {
    if (args[0]!.type.kind === 'binary') return strictFn('length', INTEGER, [], (b: Buffer) => b.length);
    return strictFn('length', INTEGER, [coerce('length', args[0]!, 0, 'string')], (s: string) => charLength(s));
  },
});

defineEach(['binary'], INTEGER, {
  octet_length: (b: Buffer) => b.length,
  bit_length: (b: Buffer) => b.length * 8,
});

defineFixed({ name: 'ascii', params: ['string'], type: INTEGER, impl: (s: string) => s.codePointAt(0) ?? 0 });

defineFixed({
  name: 'chr', aliases: ['char'], params: ['long'], type: STRING,
  impl: (n: number) => (n < 0 ? '' : String.fromCharCode(Math.trunc(n) % 256)),
});

// ---- substrings --------------------------------------------------------------------------------

/**
 * Spark's substring: 1-based; a negative position counts from the end; position 0 is the start;
 * a length running past either end is cut off.
 */
function sqlSlice<T>(items: { length: number; slice(a: number, b: number): T }, pos: number, len: number): T {
  const n = items.length;
  const start = pos > 0 ? pos - 1 : pos < 0 ? n + pos : 0;
  const end = Math.min(start + len, n);
  const from = Math.max(start, 0);
  return from >= end ? items.slice(0, 0) : items.slice(from, end);
}

function substringOf(s: string, pos: number, len: number): string {
  return isBmp(s) ? sqlSlice(s, pos, len) : sqlSlice(Array.from(s), pos, len).join('');
}

registerScalar({
  name: 'substring', aliases: ['substr'], minArgs: 2, maxArgs: 3,
  bind(args) {
    const binary = args[0]!.type.kind === 'binary';
    const coercers = [binary ? undefined : coerce('substring', args[0]!, 0, 'string'),
      ...args.slice(1).map((a, i) => coerce('substring', a, i + 1, 'int'))];
    return strictFn('substring', binary ? BINARY : STRING, coercers, binary
      ? (b: Buffer, pos: number, len = Infinity) => sqlSlice({ length: b.length, slice: (x, y) => b.subarray(x, y) }, pos, len)
      : (s: string, pos: number, len = Infinity) => substringOf(s, pos, len));
  },
});

defineFixed({
  name: 'left', params: ['string', 'int'], type: STRING,
  impl: (s: string, n: number) => (n <= 0 ? '' : substringOf(s, 1, n)),
});
defineFixed({
  name: 'right', params: ['string', 'int'], type: STRING,
  impl: (s: string, n: number) => (n <= 0 ? '' : substringOf(s, -n, Infinity)),
});

defineFixed({
  name: 'substring_index', params: ['string', 'string', 'int'], type: STRING,
  impl: (s: string, delim: string, count: number) => {
    if (count === 0 || delim === '') return '';
    const parts = s.split(delim);
    if (parts.length <= Math.abs(count)) return s;
    return count > 0 ? parts.slice(0, count).join(delim) : parts.slice(parts.length + count).join(delim);
  },
});

/** The 1-based character position of `sub` in `s` at or after character `from` (0-based); 0 if absent. */
function charIndexOf(s: string, sub: string, from: number): number {
  if (isBmp(s)) return s.indexOf(sub, from) + 1;
  const cs = Array.from(s);
  const unit = cs.slice(0, from).join('').length;
  const at = s.indexOf(sub, unit);
  return at < 0 ? 0 : charLength(s.slice(0, at)) + 1;
}

defineFixed({ name: 'instr', params: ['string', 'string'], type: INTEGER, impl: (s: string, sub: string) => charIndexOf(s, sub, 0) });

/** locate(substr, str[, pos]): a null position gives 0, and a position below 1 gives 0 (as Hive). */
registerScalar({
  name: 'locate', aliases: ['position'], minArgs: 2, maxArgs: 3,
  bind(args) {
    const coercers = args.map((a, i) => coerce('locate', a, i, i === 2 ? 'int' : 'string'));
    return lenientFn('locate', INTEGER, coercers, (sub: string | null, s: string | null, pos: number | null = 1) => {
      if (pos === null) return 0;
      if (sub === null || s === null) return null;
      if (pos < 1) return 0;
      return sub === '' ? 1 : charIndexOf(s, sub, pos - 1);
    });
  },
});

defineEach(['string', 'string'], BOOLEAN, {
  startswith: (s: string, p: string) => s.startsWith(p),
  endswith: (s: string, p: string) => s.endsWith(p),
  contains: (s: string, p: string) => s.includes(p),
});

// ---- building strings ----------------------------------------------------------------------------

/** Spark's lpad/rpad: pads to `len` characters, or cuts the string down to `len`. */
function pad(s: string, len: number, padding: string, left: boolean): string {
  const cs = chars(s);
  const missing = len - cs.length;
  if (missing <= 0 || padding === '') return len <= 0 ? '' : cs.slice(0, len).join('');
  const p = chars(padding);
  const fill = Array.from({ length: missing }, (_, i) => p[i % p.length]).join('');
  return left ? fill + s : s + fill;
}

defineFixed({
  name: 'lpad', params: ['string', 'int', 'string'], minArgs: 2, type: STRING,
  impl: (s: string, len: number, p = ' ') => pad(s, len, p, true),
});
defineFixed({
  name: 'rpad', params: ['string', 'int', 'string'], minArgs: 2, type: STRING,
  impl: (s: string, len: number, p = ' ') => pad(s, len, p, false),
});

defineFixed({ name: 'repeat', params: ['string', 'int'], type: STRING, impl: (s: string, n: number) => (n <= 0 ? '' : s.repeat(n)) });
defineFixed({ name: 'space', params: ['int'], type: STRING, impl: (n: number) => (n <= 0 ? '' : ' '.repeat(n)) });

defineFixed({
  name: 'replace', params: ['string', 'string', 'string'], minArgs: 2, type: STRING,
  impl: (s: string, search: string, rep = '') => (search === '' ? s : s.split(search).join(rep)),
});

/** translate: each character of `from` becomes the same-position character of `to`, or is deleted. */
defineFixed({
  name: 'translate', params: ['string', 'string', 'string'], type: STRING,
  impl: (s: string, from: string, to: string) => {
    const f = chars(from);
    const t = chars(to);
    const dict = new Map<string, string>();
    f.forEach((c, i) => {
      if (!dict.has(c)) dict.set(c, t[i] ?? '');
    });
    return chars(s).map((c) => dict.get(c) ?? c).join('');
  },
});

/** The edit distance between two strings, in code points (also used for "did you mean" hints). */
export function levenshtein(a: string, b: string): number {
  const x = chars(a);
  const y = chars(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

defineFixed({ name: 'levenshtein', params: ['string', 'string'], type: INTEGER, impl: levenshtein });

/** format_number(x, d): grouped thousands and `d` decimals, rounded HALF_EVEN (Java's DecimalFormat). */
defineFixed({
  name: 'format_number', params: ['double', 'int'], type: STRING,
  impl: (x: number, d: number) => {
    if (d < 0) return null;
    if (Number.isNaN(x)) return 'NaN';
    if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
    return formatGrouped(x, d);
  },
});

// ---- concat, concat_ws, reverse: strings, binaries and arrays ----------------------------------

/** Whether every argument is of `kind` (nulls aside), and at least one is. */
function allOf(args: readonly BoundExpr[], kind: DataType['kind']): boolean {
  return args.some((a) => a.type.kind === kind) && args.every((a) => a.type.kind === kind || a.type.kind === 'null');
}

registerScalar({
  name: 'concat', minArgs: 0, maxArgs: Infinity,
  bind(args) {
    if (allOf(args, 'array')) {
      const type = commonTypeOf('concat', args.map((a) => a.type), false);
      return strictFn('concat', type, [], (...xs: unknown[][]) => ([] as unknown[]).concat(...xs));
    }
    if (allOf(args, 'binary')) return strictFn('concat', BINARY, [], (...bs: Buffer[]) => Buffer.concat(bs));
    const coercers = args.map((a, i) => coerce('concat', a, i, 'string'));
    return args.length === 0
      ? { name: 'concat', type: STRING, impl: () => '', nullIntolerant: false }
      : strictFn('concat', STRING, coercers, (...ss: string[]) => ss.join(''));
  },
});

/** concat_ws(sep, ...): nulls are skipped and array<string> arguments contribute their elements. */
registerScalar({
  name: 'concat_ws', minArgs: 1, maxArgs: Infinity,
  bind(args) {
    const coercers: (Coerce | undefined)[] = args.map((a, i) => {
      if (i > 0 && a.type.kind === 'array') {
        const inner = coerce('concat_ws', { k: 'ref', name: '', type: a.type.element }, i, 'string');
        return (v) => (v as unknown[]).map((x) => apply(inner, x));
      }
      return coerce('concat_ws', a, i, 'string');
    });
    return lenientFn('concat_ws', STRING, coercers, (sep: string | null, ...parts: unknown[]) => {
      if (sep === null) return null;
      return parts.flat(1).filter((p) => p != null).join(sep);
    });
  },
});

registerScalar({
  name: 'reverse', minArgs: 1, maxArgs: 1,
  bind(args) {
    if (args[0]!.type.kind === 'array') return strictFn('reverse', args[0]!.type, [], (xs: unknown[]) => [...xs].reverse());
    return strictFn('reverse', STRING, [coerce('reverse', args[0]!, 0, 'string')], (s: string) => chars(s).reverse().join(''));
  },
});

// ---- encodings -------------------------------------------------------------------------------

defineFixed({ name: 'base64', params: ['binary'], type: STRING, impl: (b: Buffer) => b.toString('base64') });
defineFixed({
  name: 'unbase64', params: ['string'], type: BINARY,
  impl: (s: string) => Buffer.from(s, 'base64'),
});

/** hex: numbers as two's-complement 64-bit hex, strings and binaries byte by byte; uppercase. */
registerScalar({
  name: 'hex', minArgs: 1, maxArgs: 1,
  bind(args) {
    const t = args[0]!.type;
    if (isNumeric(t)) {
      return strictFn('hex', STRING, [coerce('hex', args[0]!, 0, 'long')],
        (n: number) => BigInt.asUintN(64, BigInt(Math.trunc(n))).toString(16).toUpperCase());
    }
    if (t.kind !== 'string' && t.kind !== 'binary' && t.kind !== 'null') {
      throw new AnalysisError(`hex() takes a number, a string or a binary, but got ${typeToString(t)}`);
    }
    return strictFn('hex', STRING, [coerce('hex', args[0]!, 0, 'binary')], (b: Buffer) => b.toString('hex').toUpperCase());
  },
});

defineFixed({
  name: 'unhex', params: ['string'], type: BINARY,
  impl: (s: string) => {
    const even = s.length % 2 === 1 ? `0${s}` : s;
    return /^[0-9a-fA-F]*$/.test(even) ? Buffer.from(even, 'hex') : null;
  },
});
