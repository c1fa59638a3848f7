// Regular-expression string functions: split, regexp_replace, regexp_extract(_all), regexp_like.
// Patterns are Java regexes in Spark; the common Java-only forms (leading inline flags, \Q..\E,
// \A \z \Z) are translated to JavaScript, and a literal pattern is compiled once at bind time.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import { BOOLEAN, STRING, arrayOf } from '../types.js';
import { coerce, literalOf, strictFn, type Coerce } from './define.js';
import { registerScalar } from './registry.js';
import { DataError } from './values.js';

/** Translates a Java regex into a JavaScript RegExp with the global flag. */
function javaRegex(pattern: string): RegExp {
  let flags = 'g';
  let src = pattern;
  const inline = /^\(\?([imsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1]!) {
      if (f === 'x') throw new SyntaxError('the (?x) comments flag is not supported');
      if (f !== 'u' && !flags.includes(f)) flags += f;
    }
  }
  const body = translateEscapes(src);
  if (/\\[pP]\{/.test(body)) flags += 'u';
  return new RegExp(body, flags);
}

/** \Q...\E quotes, and the absolute anchors JavaScript spells differently. */
function translateEscapes(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c !== '\\' || i + 1 >= src.length) {
      out += c;
      continue;
    }
    const e = src[++i]!;
    if (e === 'Q') {
      const end = src.indexOf('\\E', i + 1);
      const quoted = end < 0 ? src.slice(i + 1) : src.slice(i + 1, end);
      out += quoted.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      i = end < 0 ? src.length : end + 1;
    } else if (e === 'A') out += '(?<![\\s\\S])';
    else if (e === 'z') out += '(?![\\s\\S])';
    else if (e === 'Z') out += '(?=\\n?(?![\\s\\S]))';
    else out += `\\${e}`;
  }
  return out;
}

const cache = new Map<string, RegExp>();

/** A compiled pattern; a bad one is a DataError at run time (an AnalysisError when literal). */
function compile(fn: string, pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re: RegExp;
  try {
    re = javaRegex(pattern);
  } catch (e) {
    throw new DataError(`${fn}() pattern '${pattern}' is not a valid regular expression: ${(e as Error).message}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(pattern, re);
  return re;
}

/** The RegExp for a literal pattern argument (checked now), or a per-row compiler. */
function patternOf(fn: string, arg: BoundExpr): (p: string) => RegExp {
  const lit = literalOf(arg);
  if (lit !== undefined && typeof lit.value === 'string') {
    let re: RegExp;
    try {
      re = compile(fn, lit.value);
    } catch (e) {
      throw new AnalysisError((e as Error).message);
    }
    return () => re;
  }
  return (p) => compile(fn, p);
}

/** Java's String.split(regex, limit) with limit <= 0 meaning unlimited, trailing empties kept. */
function javaSplit(input: string, re: RegExp, limit: number): string[] {
  const out: string[] = [];
  const limited = limit > 0;
  let index = 0;
  re.lastIndex = 0;
  for (let m = re.exec(input); m !== null; m = re.exec(input)) {
    const start = m.index;
    const end = start + m[0].length;
    if (m[0].length === 0) re.lastIndex++; // step past a zero-width match
    if (limited && out.length >= limit - 1) break;
    // A zero-width match at the very start gives no leading empty string (Java 8+).
    if (index === 0 && start === 0 && end === 0) continue;
    out.push(input.slice(index, start));
    index = end;
  }
  if (index === 0) return [input];
  out.push(input.slice(index));
  return out;
}

/** Spark's split: an empty pattern splits into characters (the last keeps the rest). */
function sparkSplit(input: string, re: RegExp, pattern: string, limit: number): string[] {
  if (pattern === '' && input !== '') {
    const cs = Array.from(input);
    const n = limit > 0 && limit < cs.length ? limit : cs.length;
    return [...cs.slice(0, n - 1), cs.slice(n - 1).join('')];
  }
  return javaSplit(input, re, limit);
}

/** A literal pattern without regex metacharacters, split on as plain text. */
function plainSeparator(args: readonly BoundExpr[]): string | null {
  const p = literalOf(args[1]);
  const limit = args[2] ? literalOf(args[2]) : { value: -1 };
  if (args[0]!.type.kind !== 'string' || !p || typeof p.value !== 'string' || p.value === '') return null;
  if (!limit || typeof limit.value !== 'number' || limit.value > 0) return null;
  return /[\\^$.|?*+()[\]{}]/.test(p.value) ? null : p.value;
}

registerScalar({
  name: 'split', minArgs: 2, maxArgs: 3,
  bind(args) {
    // JavaScript's split on a plain separator keeps leading and trailing empty strings exactly
    // as Java's split(regex, -1) does, and is several times faster than a regex loop.
    const plain = plainSeparator(args);
    if (plain !== null) return { name: 'split', type: arrayOf(STRING), nullIntolerant: true, impl: (s: string) => s.split(plain) };
    const regex = patternOf('split', args[1]!);
    const coercers: (Coerce | undefined)[] = [coerce('split', args[0]!, 0, 'string'), coerce('split', args[1]!, 1, 'string')];
    if (args[2]) coercers.push(coerce('split', args[2], 2, 'int'));
    return strictFn('split', arrayOf(STRING), coercers,
      (s: string, p: string, limit = -1) => sparkSplit(s, regex(p), p, limit));
  },
});

/** Java's replacement syntax ($1, ${name}, \$) as a replacer function. */
function javaReplacement(fn: string, rep: string): (m: RegExpExecArray) => string {
  const parts: (string | number)[] = [];
  let text = '';
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i]!;
    if (c === '\\') {
      if (i + 1 >= rep.length) throw new DataError(`${fn}() replacement '${rep}' ends with a lone backslash`);
      text += rep[++i];
    } else if (c === '$') {
      const named = /^\{([A-Za-z][A-Za-z0-9]*)\}/.exec(rep.slice(i + 1));
      const digits = /^\d+/.exec(rep.slice(i + 1));
      if (!named && !digits) throw new DataError(`${fn}() replacement '${rep}' has an illegal group reference at ${i + 1}; write \\$ for a dollar sign`);
      parts.push(text);
      text = '';
      parts.push(named ? named[1]! : Number(digits![0]));
      i += (named ?? digits)![0].length;
    } else {
      text += c;
    }
  }
  parts.push(text);
  return (m) => parts.map((p, k) => {
    if (k % 2 === 0) return p as string;
    if (typeof p === 'string') return m.groups?.[p] ?? '';
    // Java reads as many digits as still name an existing group.
    const s = String(p);
    for (let len = s.length; len > 0; len--) {
      const g = Number(s.slice(0, len));
      if (g < m.length) return (m[g] ?? '') + s.slice(len);
    }
    throw new DataError(`${fn}() replacement refers to group ${s[0]}, but the pattern has ${m.length - 1} group(s)`);
  }).join('');
}

function replaceAll(input: string, re: RegExp, replacer: (m: RegExpExecArray) => string): string {
  let out = '';
  let last = 0;
  re.lastIndex = 0;
  for (let m = re.exec(input); m !== null; m = re.exec(input)) {
    out += input.slice(last, m.index) + replacer(m);
    last = m.index + m[0].length;
    if (m[0].length === 0) {
      if (m.index >= input.length) break;
      re.lastIndex++;
    }
  }
  return out + input.slice(last);
}

registerScalar({
  name: 'regexp_replace', minArgs: 3, maxArgs: 4,
  bind(args) {
    const fn = 'regexp_replace';
    const regex = patternOf(fn, args[1]!);
    const repLit = literalOf(args[2]);
    const fixedRep = repLit && typeof repLit.value === 'string' ? literalReplacement(fn, repLit.value) : undefined;
    const coercers = args.map((a, i) => coerce(fn, a, i, i === 3 ? 'int' : 'string'));
    return strictFn(fn, STRING, coercers, (s: string, p: string, rep: string, pos = 1) => {
      if (pos < 1) throw new DataError(`${fn}() position must be at least 1, got ${pos}`);
      const at = pos - 1;
      if (at > s.length) return s;
      return s.slice(0, at) + replaceAll(s.slice(at), regex(p), fixedRep ?? javaReplacement(fn, rep));
    });
  },
});

function literalReplacement(fn: string, rep: string): (m: RegExpExecArray) => string {
  try {
    return javaReplacement(fn, rep);
  } catch (e) {
    throw new AnalysisError((e as Error).message);
  }
}

/** The number of capture groups of a RegExp. */
function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags.replace('g', '')).exec('')!.length - 1;
}

function checkGroup(fn: string, re: RegExp, idx: number): void {
  if (idx < 0) throw new DataError(`${fn}() group index must not be negative, got ${idx}`);
  const n = groupCount(re);
  if (idx > n) throw new DataError(`${fn}() group index ${idx} is beyond the pattern's ${n} group(s)`);
}

function extractBind(fn: string, all: boolean) {
  return (args: readonly BoundExpr[]) => {
    const regex = patternOf(fn, args[1]!);
    const idxLit = literalOf(args[2]);
    const p = literalOf(args[1]);
    if (p && typeof p.value === 'string' && idxLit && typeof idxLit.value === 'number') {
      try {
        checkGroup(fn, regex(p.value), idxLit.value);
      } catch (e) {
        throw new AnalysisError((e as Error).message);
      }
    }
    const coercers = args.map((a, i) => coerce(fn, a, i, i === 2 ? 'int' : 'string'));
    return strictFn(fn, all ? arrayOf(STRING) : STRING, coercers, (s: string, pattern: string, idx = 1) => {
      const re = regex(pattern);
      checkGroup(fn, re, idx);
      re.lastIndex = 0;
      if (!all) {
        const m = re.exec(s);
        return m ? m[idx] ?? '' : '';
      }
      const out: string[] = [];
      for (let m = re.exec(s); m !== null; m = re.exec(s)) {
        out.push(m[idx] ?? '');
        if (m[0].length === 0) re.lastIndex++;
      }
      return out;
    });
  };
}

registerScalar({ name: 'regexp_extract', minArgs: 2, maxArgs: 3, bind: extractBind('regexp_extract', false) });
registerScalar({ name: 'regexp_extract_all', minArgs: 2, maxArgs: 3, bind: extractBind('regexp_extract_all', true) });

registerScalar({
  name: 'regexp_like', aliases: ['rlike', 'regexp'], minArgs: 2, maxArgs: 2,
  bind(args) {
    const regex = patternOf('regexp_like', args[1]!);
    const coercers = args.map((a, i) => coerce('regexp_like', a, i, 'string'));
    return strictFn('regexp_like', BOOLEAN, coercers, (s: string, p: string) => {
      const re = regex(p);
      re.lastIndex = 0;
      return re.test(s);
    });
  },
});
