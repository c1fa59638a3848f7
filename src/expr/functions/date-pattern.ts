// Java DateTimeFormatter-style patterns (`yyyy-MM-dd HH:mm:ss`, `dd/MMM/yyyy h:mm a`,
// `yyyy-MM-dd'T'HH:mm:ss.SSSXXX`), compiled once into a parser and a formatter over UTC.
// As in Spark, parsing is case-insensitive, must consume the whole text, and fills missing
// fields with 1970-01-01 00:00:00; fractions of a second take 1 up to as many digits as S letters.
import { AnalysisError } from '../../errors.js';
import { inTimestampRange } from '../time-range.js';

export interface DatePattern {
  readonly pattern: string;
  /** Epoch milliseconds of `text`, or null when it does not match the pattern or names no real time. */
  parse(text: string): number | null;
  format(d: Date): string;
}

type Token =
  | { readonly k: 'lit'; readonly text: string }
  | { readonly k: 'field'; readonly letter: string; readonly count: number }
  | { readonly k: 'opt'; readonly tokens: Token[] };

/** The pattern letters understood (Java's, less week-based fields). */
const LETTERS = new Set('GyuMLdDEaHhKkmsSzZXxVOQq');

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const compiled = new Map<string, DatePattern>();

/** Compiles (and caches) a pattern; an AnalysisError names what is wrong with a bad one. */
export function compileDatePattern(pattern: string): DatePattern {
  const hit = compiled.get(pattern);
  if (hit) return hit;
  const tokens = tokenize(pattern);
  const p: DatePattern = {
    pattern,
    parse: (text) => {
      const fields: Fields = {};
      const end = parseTokens(tokens, text, 0, fields);
      return end === text.length ? resolve(fields) : null;
    },
    format: (d) => formatTokens(tokens, d),
  };
  if (compiled.size > 200) compiled.clear();
  compiled.set(pattern, p);
  return p;
}

// ---- tokenizing ------------------------------------------------------------------------------

function tokenize(pattern: string): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  const bad = (why: string): never => {
    throw new AnalysisError(`invalid datetime pattern '${pattern}': ${why}`);
  };
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i]!;
    const top = stack[stack.length - 1]!;
    if (c === "'") {
      const [text, next] = quoted(pattern, i) ?? bad(`unclosed quote at position ${i + 1}`);
      top.push({ k: 'lit', text });
      i = next;
    } else if (c === '[') {
      const opt: Token = { k: 'opt', tokens: [] };
      top.push(opt);
      stack.push(opt.tokens);
      i++;
    } else if (c === ']') {
      if (stack.length === 1) bad(`']' at position ${i + 1} closes no '['`);
      stack.pop();
      i++;
    } else if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      if (!LETTERS.has(c)) bad(`unknown pattern letter '${c}'; quote literal text, as in 'T'`);
      top.push({ k: 'field', letter: c, count: j - i });
      i = j;
    } else {
      top.push({ k: 'lit', text: c });
      i++;
    }
  }
  if (stack.length > 1) bad("'[' is never closed");
  return root;
}

/** The text of a quoted literal starting at `i` ('' is one quote) and the index after it. */
function quoted(pattern: string, i: number): [string, number] | undefined {
  if (pattern[i + 1] === "'") return ["'", i + 2];
  let text = '';
  for (let j = i + 1; j < pattern.length; j++) {
    if (pattern[j] !== "'") text += pattern[j];
    else if (pattern[j + 1] === "'") text += pattern[++j];
    else return [text, j + 1];
  }
  return undefined;
}

// ---- parsing ---------------------------------------------------------------------------------

interface Fields {
  year?: number; month?: number; day?: number; dayOfYear?: number;
  hour?: number; hour12?: number; hour0to11?: number; hour1to24?: number; pm?: boolean;
  minute?: number; second?: number; millis?: number; offsetMinutes?: number;
}

/** Parses `tokens` from `pos`; the position after them, or -1 when they do not match. */
function parseTokens(tokens: readonly Token[], text: string, pos: number, f: Fields): number {
  for (let i = 0; i < tokens.length && pos >= 0; i++) {
    const t = tokens[i]!;
    if (t.k === 'lit') {
      pos = text.slice(pos, pos + t.text.length).toLowerCase() === t.text.toLowerCase() ? pos + t.text.length : -1;
    } else if (t.k === 'opt') {
      // An optional section either matches whole or leaves everything as it was.
      const trial: Fields = { ...f };
      const end = parseTokens(t.tokens, text, pos, trial);
      if (end >= 0) {
        Object.assign(f, trial);
        pos = end;
      }
    } else {
      pos = parseField(t.letter, t.count, isNumericNext(tokens[i + 1]), text, pos, f);
    }
  }
  return pos;
}

function isNumericNext(t: Token | undefined): boolean {
  return t?.k === 'field' && /[yuMLdDHhKkmsS]/.test(t.letter) && !((t.letter === 'M' || t.letter === 'L') && t.count >= 3);
}

/** Reads `min` to `max` digits at `pos`: [value, end] or undefined. */
function digits(text: string, pos: number, min: number, max: number): [number, number] | undefined {
  let end = pos;
  while (end < text.length && end - pos < max && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  return end - pos < min ? undefined : [Number(text.slice(pos, end)), end];
}

/** Matches one of `names` (longest first, case-insensitively): [index, end] or undefined. */
function oneOf(text: string, pos: number, names: readonly string[]): [number, number] | undefined {
  let best: [number, number] | undefined;
  const rest = text.slice(pos).toLowerCase();
  names.forEach((n, i) => {
    if (rest.startsWith(n.toLowerCase()) && (!best || n.length > best[1] - pos)) best = [i, pos + n.length];
  });
  return best;
}

const SHORT_MONTHS = MONTHS.map((m) => m.slice(0, 3));
const SHORT_DAYS = DAYS.map((d) => d.slice(0, 3));
const ZONE = /(Z|UTC|GMT|UT)?(?:([+-])(\d{1,2})(?::?(\d{2}))?)?/iy;

function parseField(letter: string, count: number, adjacent: boolean, text: string, pos: number, f: Fields): number {
  /** A number of `count` digits, or 1 to `max` digits for a single letter not followed by digits. */
  const num = (max: number): [number, number] | undefined =>
    count === 1 && !adjacent ? digits(text, pos, 1, max) : digits(text, pos, count, Math.max(count, adjacent ? count : max));
  let r: [number, number] | undefined;
  switch (letter) {
    case 'y': case 'u':
      if (count === 2) {
        r = digits(text, pos, 2, 2);
        if (r) f.year = 2000 + r[0];
      } else {
        r = count === 1 && !adjacent ? digits(text, pos, 1, 9) : digits(text, pos, count, adjacent ? count : 9);
        if (r) f.year = r[0];
      }
      break;
    case 'M': case 'L':
      r = count >= 4 ? oneOf(text, pos, MONTHS) : count === 3 ? oneOf(text, pos, SHORT_MONTHS) : num(2);
      if (r) f.month = count >= 3 ? r[0] + 1 : r[0];
      break;
    case 'd': r = num(2); if (r) f.day = r[0]; break;
    case 'D': r = num(3); if (r) f.dayOfYear = r[0]; break;
    case 'H': r = num(2); if (r) f.hour = r[0]; break;
    case 'h': r = num(2); if (r) f.hour12 = r[0]; break;
    case 'K': r = num(2); if (r) f.hour0to11 = r[0]; break;
    case 'k': r = num(2); if (r) f.hour1to24 = r[0]; break;
    case 'm': r = num(2); if (r) f.minute = r[0]; break;
    case 's': r = num(2); if (r) f.second = r[0]; break;
    case 'S': {
      r = digits(text, pos, 1, count);
      if (r) f.millis = Number(text.slice(pos, r[1]).padEnd(3, '0').slice(0, 3));
      break;
    }
    case 'a':
      r = oneOf(text, pos, ['AM', 'PM']);
      if (r) f.pm = r[0] === 1;
      break;
    case 'E': r = oneOf(text, pos, [...DAYS, ...SHORT_DAYS]); break; // read, not cross-checked
    case 'G': r = oneOf(text, pos, ['AD']); break;
    case 'Q': case 'q': r = digits(text, pos, 1, 1); break;
    default: return parseZone(text, pos, f);
  }
  return r ? r[1] : -1;
}

/** Z, UTC, GMT, +05, +0530, +05:30, GMT+01:00. */
function parseZone(text: string, pos: number, f: Fields): number {
  ZONE.lastIndex = pos;
  const m = ZONE.exec(text);
  if (!m || m[0] === '') return -1;
  const [, , sign, hh, mm] = m;
  const minutes = sign ? Number(hh) * 60 + Number(mm ?? 0) : 0;
  if (minutes > 18 * 60) return -1;
  f.offsetMinutes = sign === '-' ? -minutes : minutes;
  return pos + m[0].length;
}

/** Epoch ms of a calendar date and time in UTC (years 0-99 included), or null when impossible. */
export function utcMillis(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number | null {
  if (month < 1 || month > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || s > 59) return null;
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, mi, s, ms);
  return d.getUTCDate() === day && d.getUTCMonth() === month - 1 ? d.getTime() : null;
}

function resolve(f: Fields): number | null {
  const year = f.year ?? 1970;
  let month = f.month ?? 1;
  let day = f.day ?? 1;
  if (f.dayOfYear !== undefined) {
    const jan1 = utcMillis(year, 1, 1)!;
    const d = new Date(jan1 + (f.dayOfYear - 1) * 86_400_000);
    if (f.dayOfYear < 1 || d.getUTCFullYear() !== year) return null;
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
  }
  const hour = resolveHour(f);
  if (hour === null) return null;
  const ms = utcMillis(year, month, day, hour, f.minute ?? 0, f.second ?? 0, f.millis ?? 0);
  if (ms === null) return null;
  const utc = ms - (f.offsetMinutes ?? 0) * 60_000;
  return inTimestampRange(utc) ? utc : null;
}

/** The hour of day from H, or from h / K with the am-pm marker, or from k. */
function resolveHour(f: Fields): number | null {
  const pm = f.pm ? 12 : 0;
  if (f.hour !== undefined) return f.hour;
  if (f.hour12 !== undefined) return f.hour12 < 1 || f.hour12 > 12 ? null : (f.hour12 % 12) + pm;
  if (f.hour0to11 !== undefined) return f.hour0to11 > 11 ? null : f.hour0to11 + pm;
  if (f.hour1to24 !== undefined) return f.hour1to24 < 1 || f.hour1to24 > 24 ? null : f.hour1to24 % 24;
  return 0;
}

// ---- formatting ------------------------------------------------------------------------------

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

function formatTokens(tokens: readonly Token[], d: Date): string {
  return tokens.map((t) => (t.k === 'lit' ? t.text : t.k === 'opt' ? formatTokens(t.tokens, d) : formatField(t.letter, t.count, d))).join('');
}

function formatField(letter: string, count: number, d: Date): string {
  const hour = d.getUTCHours();
  switch (letter) {
    case 'y': case 'u': {
      const y = d.getUTCFullYear();
      return count === 2 ? pad(y % 100, 2) : pad(y, count);
    }
    case 'M': case 'L': {
      const m = d.getUTCMonth();
      return count >= 4 ? MONTHS[m]! : count === 3 ? SHORT_MONTHS[m]! : pad(m + 1, count);
    }
    case 'd': return pad(d.getUTCDate(), count);
    case 'D': return pad(dayOfYear(d), count);
    case 'H': return pad(hour, count);
    case 'h': return pad(hour % 12 || 12, count);
    case 'K': return pad(hour % 12, count);
    case 'k': return pad(hour || 24, count);
    case 'm': return pad(d.getUTCMinutes(), count);
    case 's': return pad(d.getUTCSeconds(), count);
    case 'S': {
      const ms = pad(d.getUTCMilliseconds(), 3);
      return count <= 3 ? ms.slice(0, count) : ms.padEnd(count, '0');
    }
    case 'a': return hour < 12 ? 'AM' : 'PM';
    case 'E': return count >= 4 ? DAYS[d.getUTCDay()]! : SHORT_DAYS[d.getUTCDay()]!;
    case 'G': return 'AD';
    case 'Q': case 'q': {
      const q = Math.floor(d.getUTCMonth() / 3) + 1;
      return count >= 4 ? `${['1st', '2nd', '3rd', '4th'][q - 1]} quarter` : count === 3 ? `Q${q}` : pad(q, count);
    }
    // The session time zone is UTC, so every zone field prints the zero offset.
    case 'X': return 'Z';
    case 'x': return count === 1 ? '+00' : count === 2 ? '+0000' : '+00:00';
    case 'Z': return count <= 3 ? '+0000' : count === 4 ? 'GMT' : 'Z';
    case 'O': return 'GMT';
    case 'z': return count >= 4 ? 'Coordinated Universal Time' : 'UTC';
    default: return 'UTC'; // V
  }
}

export function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - utcMillis(d.getUTCFullYear(), 1, 1)!) / 86_400_000) + 1;
}
