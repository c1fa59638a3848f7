// Date and time functions. Timestamps are Dates; dates are Dates at 00:00 UTC (spate has no
// separate DATE type). Every calendar computation is in UTC, the session time zone.
import { AnalysisError } from '../../errors.js';
import type { BoundExpr } from '../bound.js';
import { parseTimestampMs } from '../cast.js';
import { addMonths } from '../codegen.js';
import { inTimestampRange, isValidTimestamp, timestampOrNull } from '../time-range.js';
import { INTEGER, LONG, STRING, TIMESTAMP, isNumeric, typeToString } from '../types.js';
import { coerce, defineEach, defineFixed, literalOf, strictFn, type Coerce } from './define.js';
import { compileDatePattern, dayOfYear, utcMillis, type DatePattern } from './date-pattern.js';
import { registerScalar } from './registry.js';
import { DataError } from './values.js';

const DAY_MS = 86_400_000;
/** Spark's default pattern for unix_timestamp and from_unixtime. */
const DEFAULT_PATTERN = 'yyyy-MM-dd HH:mm:ss';

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const startOfDay = (ms: number): Date => new Date(Math.floor(ms / DAY_MS) * DAY_MS);
/** The day of `ms` at 00:00 UTC, or null out of range (date_add(d, 10^9) has no date). */
const dayOrNull = (ms: number): Date | null => timestampOrNull(Math.floor(ms / DAY_MS) * DAY_MS);
/** A computed timestamp, or null when it left the range. */
const inRangeOrNull = (d: Date | null): Date | null => (d !== null && isValidTimestamp(d) ? d : null);

/** A literal pattern compiled now (bad ones are AnalysisErrors), else compiled per row. */
function patternOf(fn: string, arg: BoundExpr | undefined, fallback?: string): (p: string | undefined) => DatePattern | undefined {
  const lit = arg ? literalOf(arg) : fallback === undefined ? undefined : { value: fallback };
  if (lit && typeof lit.value === 'string') {
    const compiled = compileDatePattern(lit.value);
    return () => compiled;
  }
  return (p) => {
    if (p === undefined) return undefined;
    try {
      return compileDatePattern(p);
    } catch (e) {
      throw new DataError(`${fn}(): ${(e as Error).message}`);
    }
  };
}

/**
 * How a to_timestamp-like function reads its first argument: strings are parsed (with the
 * pattern when given), timestamps pass, numbers are seconds since the epoch.
 */
function timestampReader(fn: string, args: readonly BoundExpr[], fallback?: string): { coercers: (Coerce | undefined)[]; read: (x: unknown, p?: string) => number | null } {
  const t = args[0]!.type;
  if (t.kind !== 'string' && t.kind !== 'timestamp' && t.kind !== 'null' && !isNumeric(t)) {
    throw new AnalysisError(`${fn}() takes a string, a timestamp or seconds since the epoch, but got ${typeToString(t)}`);
  }
  const pattern = patternOf(fn, args[1], fallback);
  const coercers = [undefined, args[1] ? coerce(fn, args[1], 1, 'string') : undefined];
  const read = (x: unknown, p?: string): number | null => {
    if (x instanceof Date) return x.getTime();
    if (typeof x === 'number') return inTimestampRange(x * 1000) ? Math.round(x * 1000) : null;
    const compiled = pattern(p);
    return compiled ? compiled.parse(x as string) : parseTimestampMs(x as string);
  };
  return { coercers, read };
}

registerScalar({
  name: 'to_timestamp', minArgs: 1, maxArgs: 2,
  bind(args) {
    const { coercers, read } = timestampReader('to_timestamp', args);
    return strictFn('to_timestamp', TIMESTAMP, coercers, (x: unknown, p?: string) => timestampOrNull(read(x, p)));
  },
});

registerScalar({
  name: 'to_date', minArgs: 1, maxArgs: 2,
  bind(args) {
    const { coercers, read } = timestampReader('to_date', args);
    return strictFn('to_date', TIMESTAMP, coercers, (x: unknown, p?: string) => {
      const ms = read(x, p);
      return ms === null ? null : dayOrNull(ms);
    });
  },
});

/** unix_timestamp(): now; unix_timestamp(x[, pattern]): seconds of a timestamp or of parsed text. */
registerScalar({
  name: 'unix_timestamp', aliases: ['to_unix_timestamp'], minArgs: 0, maxArgs: 2,
  bind(args) {
    if (args.length === 0) {
      return { name: 'unix_timestamp', type: LONG, impl: () => Math.floor(Date.now() / 1000), nullIntolerant: false, nondeterministic: true };
    }
    const { coercers, read } = timestampReader('unix_timestamp', args, DEFAULT_PATTERN);
    return strictFn('unix_timestamp', LONG, coercers, (x: unknown, p?: string) => {
      const ms = read(x, p);
      return ms === null ? null : Math.floor(ms / 1000);
    });
  },
});

registerScalar({
  name: 'date_format', minArgs: 2, maxArgs: 2,
  bind(args) {
    const pattern = patternOf('date_format', args[1]);
    const coercers = [coerce('date_format', args[0]!, 0, 'timestamp'), coerce('date_format', args[1]!, 1, 'string')];
    return strictFn('date_format', STRING, coercers, (d: Date, p: string) => (isValidTimestamp(d) ? pattern(p)!.format(d) : null));
  },
});

registerScalar({
  name: 'from_unixtime', minArgs: 1, maxArgs: 2,
  bind(args) {
    const pattern = patternOf('from_unixtime', args[1], DEFAULT_PATTERN);
    const coercers = [coerce('from_unixtime', args[0]!, 0, 'long'), args[1] ? coerce('from_unixtime', args[1], 1, 'string') : undefined];
    return strictFn('from_unixtime', STRING, coercers, (secs: number, p?: string) => {
      const d = timestampOrNull(secs * 1000);
      return d === null ? null : pattern(p)!.format(d);
    });
  },
});

defineFixed({ name: 'timestamp_seconds', params: ['double'], type: TIMESTAMP, impl: (s: number) => timestampOrNull(Math.round(s * 1000)) });
defineFixed({ name: 'timestamp_millis', params: ['long'], type: TIMESTAMP, impl: (ms: number) => timestampOrNull(ms) });
defineFixed({ name: 'timestamp_micros', params: ['long'], type: TIMESTAMP, impl: (us: number) => timestampOrNull(Math.floor(us / 1000)) });

/** A function of a timestamp that gives null, never NaN, for an Invalid Date (one a user's code made). */
function ofValidTimestamps<R>(impls: Readonly<Record<string, (d: Date) => R>>): Record<string, (d: Date) => R | null> {
  return Object.fromEntries(Object.entries(impls).map(([name, f]) => [name, (d: Date) => (isValidTimestamp(d) ? f(d) : null)]));
}

defineEach(['timestamp'], LONG, ofValidTimestamps({
  unix_seconds: (d: Date) => Math.floor(d.getTime() / 1000),
  unix_millis: (d: Date) => d.getTime(),
  unix_micros: (d: Date) => d.getTime() * 1000,
}));

// ---- the current time ------------------------------------------------------------------------

function now(name: string, value: () => Date) {
  registerScalar({
    name, minArgs: 0, maxArgs: 0,
    bind: () => ({ name, type: TIMESTAMP, impl: value, nullIntolerant: false, nondeterministic: true }),
  });
}
now('current_timestamp', () => new Date());
now('now', () => new Date());
now('localtimestamp', () => new Date());
now('current_date', () => startOfDay(Date.now()));

// ---- fields of a timestamp -------------------------------------------------------------------

/** ISO-8601 week of the year: weeks start on Monday; week 1 holds the year's first Thursday. */
function isoWeek(d: Date): number {
  const t = startOfDay(d.getTime());
  const weekday = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - weekday);
  return Math.floor((t.getTime() - utcMillis(t.getUTCFullYear(), 1, 1)!) / DAY_MS / 7) + 1;
}

defineEach(['timestamp'], INTEGER, ofValidTimestamps({
  year: (d: Date) => d.getUTCFullYear(),
  quarter: (d: Date) => Math.floor(d.getUTCMonth() / 3) + 1,
  month: (d: Date) => d.getUTCMonth() + 1,
  dayofmonth: (d: Date) => d.getUTCDate(),
  dayofweek: (d: Date) => d.getUTCDay() + 1, // 1 = Sunday
  weekday: (d: Date) => (d.getUTCDay() + 6) % 7, // 0 = Monday
  dayofyear: dayOfYear,
  hour: (d: Date) => d.getUTCHours(),
  minute: (d: Date) => d.getUTCMinutes(),
  second: (d: Date) => d.getUTCSeconds(),
  weekofyear: isoWeek,
}), { dayofmonth: ['day'] });

// ---- date arithmetic -------------------------------------------------------------------------

defineFixed({
  name: 'date_add', params: ['timestamp', 'int'], type: TIMESTAMP,
  impl: (d: Date, n: number) => dayOrNull(d.getTime() + n * DAY_MS),
});
defineFixed({
  name: 'date_sub', params: ['timestamp', 'int'], type: TIMESTAMP,
  impl: (d: Date, n: number) => dayOrNull(d.getTime() - n * DAY_MS),
});
defineFixed({
  name: 'datediff', params: ['timestamp', 'timestamp'], type: INTEGER,
  impl: (end: Date, start: Date) => Math.floor(end.getTime() / DAY_MS) - Math.floor(start.getTime() / DAY_MS),
});
defineFixed({
  name: 'add_months', params: ['timestamp', 'int'], type: TIMESTAMP,
  impl: (d: Date, n: number) => inRangeOrNull(addMonths(startOfDay(d.getTime()), n)),
});
defineFixed({
  name: 'last_day', params: ['timestamp'], type: TIMESTAMP,
  impl: (d: Date) => {
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + 1;
    return new Date((m === 12 ? utcMillis(y + 1, 1, 1)! : utcMillis(y, m + 1, 1)!) - DAY_MS);
  },
});
defineFixed({
  name: 'make_date', params: ['int', 'int', 'int'], type: TIMESTAMP,
  impl: (y: number, m: number, d: number) => {
    return timestampOrNull(utcMillis(y, m, d));
  },
});

/** next_day(d, 'Mon'): the first date after d falling on that day; accepts Mo, Mon, Monday. */
defineFixed({
  name: 'next_day', params: ['timestamp', 'string'], type: TIMESTAMP,
  impl: (d: Date, dayName: string) => {
    const name = dayName.trim().toLowerCase();
    const want = DAY_NAMES.findIndex((full) => name === full || name === full.slice(0, 3) || name === full.slice(0, 2));
    if (want < 0) return null;
    const ahead = ((want - d.getUTCDay() + 6) % 7) + 1;
    return dayOrNull(d.getTime() + ahead * DAY_MS);
  },
});

// ---- truncation ------------------------------------------------------------------------------

const TRUNC_UNITS: ReadonlyMap<string, string> = new Map([
  ['year', 'year'], ['yyyy', 'year'], ['yy', 'year'], ['quarter', 'quarter'], ['month', 'month'], ['mm', 'month'],
  ['mon', 'month'], ['week', 'week'], ['day', 'day'], ['dd', 'day'], ['hour', 'hour'], ['minute', 'minute'],
  ['second', 'second'], ['millisecond', 'millisecond'], ['microsecond', 'millisecond'],
]);

/** `d` truncated to `unit`, or null for an unknown unit (as Spark). */
function truncate(d: Date, unit: string, datesOnly: boolean): Date | null {
  const u = TRUNC_UNITS.get(unit.trim().toLowerCase());
  if (u === undefined || (datesOnly && !['year', 'quarter', 'month', 'week'].includes(u))) return null;
  const ms = d.getTime();
  const y = d.getUTCFullYear();
  switch (u) {
    case 'year': return new Date(utcMillis(y, 1, 1)!);
    case 'quarter': return new Date(utcMillis(y, Math.floor(d.getUTCMonth() / 3) * 3 + 1, 1)!);
    case 'month': return new Date(utcMillis(y, d.getUTCMonth() + 1, 1)!);
    case 'week': return startOfDay(ms - ((d.getUTCDay() + 6) % 7) * DAY_MS);
    case 'day': return startOfDay(ms);
    case 'hour': return new Date(Math.floor(ms / 3_600_000) * 3_600_000);
    case 'minute': return new Date(Math.floor(ms / 60_000) * 60_000);
    case 'second': return new Date(Math.floor(ms / 1000) * 1000);
    default: return new Date(ms);
  }
}

defineFixed({ name: 'date_trunc', params: ['string', 'timestamp'], type: TIMESTAMP, impl: (unit: string, d: Date) => inRangeOrNull(truncate(d, unit, false)) });
defineFixed({ name: 'trunc', params: ['timestamp', 'string'], type: TIMESTAMP, impl: (d: Date, unit: string) => inRangeOrNull(truncate(d, unit, true)) });
