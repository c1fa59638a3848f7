// Interval strings as Spark accepts them: "15 minutes", "1 hour 30 minutes", "interval 2 days".
import { AnalysisError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  microsecond: 0.001, millisecond: 1, ms: 1, second: 1000, sec: 1000, s: 1000,
  minute: 60_000, min: 60_000, m: 60_000, hour: 3_600_000, h: 3_600_000,
  day: 86_400_000, d: 86_400_000, week: 7 * 86_400_000,
};
const MONTH_UNITS: Readonly<Record<string, number>> = { month: 1, mon: 1, year: 12, y: 12 };

export interface Interval {
  readonly ms: number;
  readonly months: number;
}

/** Parses an interval string into milliseconds and months; throws with the offending text. */
export function parseInterval(text: string): Interval {
  const src = text.trim().replace(/^interval\s+/i, '');
  const re = /\s*(-?\d+(?:\.\d+)?)\s*([a-z]+)\s*/giy;
  let ms = 0;
  let months = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) {
    const n = Number(m[1]);
    const unit = normaliseUnit(m[2]!.toLowerCase());
    if (unit in UNIT_MS) ms += n * UNIT_MS[unit]!;
    else if (unit in MONTH_UNITS) months += n * MONTH_UNITS[unit]!;
    else throw new AnalysisError(`unknown interval unit '${m[2]}' in '${text}': use e.g. '10 seconds', '15 minutes', '1 hour'`);
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== src.length) {
    throw new AnalysisError(`cannot parse interval '${text}': write it as a number and a unit, e.g. '10 minutes' or '1 hour 30 minutes'`);
  }
  return { ms, months };
}

/** A duration in ms from a string such as "10 minutes" or a number of ms; months are refused. */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new AnalysisError(`${what} must be a non-negative number of milliseconds, got ${value}`);
    return value;
  }
  const { ms, months } = parseInterval(value);
  if (months !== 0) {
    throw new AnalysisError(`${what} '${value}' uses months or years, whose length varies: intervals greater than a month are not supported; use days`);
  }
  return ms;
}

function normaliseUnit(u: string): string {
  if (u.length > 2 && u.endsWith('s') && u !== 'ms') u = u.slice(0, -1);
  if (u === 'millisecond' || u === 'milli') return 'millisecond';
  if (u === 'microsecond' || u === 'micro') return 'microsecond';
  if (u === 'minute' || u === 'mins') return 'minute';
  return u;
}
