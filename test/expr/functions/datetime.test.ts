import { AnalysisError } from '../../../src/errors.js';
import { compileDatePattern } from '../../../src/expr/functions/date-pattern.js';
import { bound, evaluate, typeOf, utc } from './support.js';

const TS = 'ts TIMESTAMP';
const at = (text: string) => ({ ts: utc(text) });

describe('datetime patterns', () => {
  it("parses the notes' pattern 'yyyy-MM-dd HH:mm:ss' as UTC", () => {
    expect(compileDatePattern('yyyy-MM-dd HH:mm:ss').parse('2019-02-05 10:05:00')).toBe(Date.UTC(2019, 1, 5, 10, 5, 0));
  });

  it('parses day-first dates, quoted literals, fractions and offsets', () => {
    expect(compileDatePattern('dd/MM/yyyy').parse('05/02/2019')).toBe(Date.UTC(2019, 1, 5));
    const iso = compileDatePattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    expect(iso.parse('2019-02-05T10:05:00.123Z')).toBe(Date.UTC(2019, 1, 5, 10, 5, 0, 123));
    expect(iso.parse('2019-02-05T10:05:00.123+01:00')).toBe(Date.UTC(2019, 1, 5, 9, 5, 0, 123));
    expect(compileDatePattern("'at' HH 'o''clock'").parse("at 07 o'clock")).toBe(Date.UTC(1970, 0, 1, 7));
  });

  it('reads month and day names case-insensitively and twelve-hour clocks with am/pm', () => {
    expect(compileDatePattern('EEE, dd MMM yyyy h:mm a').parse('Tue, 05 feb 2019 3:30 PM')).toBe(Date.UTC(2019, 1, 5, 15, 30));
    expect(compileDatePattern('MMMM d, yyyy').parse('February 5, 2019')).toBe(Date.UTC(2019, 1, 5));
    expect(compileDatePattern('h:mm a').parse('12:15 AM')).toBe(Date.UTC(1970, 0, 1, 0, 15));
  });

  it('reads digits of adjacent fields by their width', () => {
    expect(compileDatePattern('yyyyMMddHHmm').parse('201902051005')).toBe(Date.UTC(2019, 1, 5, 10, 5));
  });

  it('accepts text with or without an optional section', () => {
    const p = compileDatePattern('yyyy-MM-dd HH:mm:ss[.SSS]');
    expect(p.parse('2019-02-05 10:05:00')).toBe(Date.UTC(2019, 1, 5, 10, 5));
    expect(p.parse('2019-02-05 10:05:00.5')).toBe(Date.UTC(2019, 1, 5, 10, 5, 0, 500));
  });

  it('gives null for text that does not match the whole pattern or names no real date', () => {
    const p = compileDatePattern('yyyy-MM-dd HH:mm:ss');
    expect(p.parse('2019-02-05')).toBeNull();
    expect(p.parse('2019-02-05 10:05:00 extra')).toBeNull();
    expect(p.parse('2019-02-30 10:05:00')).toBeNull();
    expect(p.parse('2019-13-01 10:05:00')).toBeNull();
    expect(p.parse('2019-02-05 24:00:00')).toBeNull();
  });

  it('formats every field it parses', () => {
    const d = new Date(Date.UTC(2019, 1, 5, 15, 4, 9, 7));
    expect(compileDatePattern('yyyy-MM-dd HH:mm:ss.SSS').format(d)).toBe('2019-02-05 15:04:09.007');
    expect(compileDatePattern("EEEE, MMMM d ''yy, h:mm a").format(d)).toBe("Tuesday, February 5 '19, 3:04 PM");
    expect(compileDatePattern('EEE MMM dd D Q XXX').format(d)).toBe('Tue Feb 05 36 1 Z');
  });

  it('refuses unknown pattern letters and unclosed quotes with an AnalysisError', () => {
    expect(() => compileDatePattern('yyyy-bb')).toThrow(/unknown pattern letter 'b'/);
    expect(() => compileDatePattern("yyyy 'T")).toThrow(AnalysisError);
  });
});

describe('to_timestamp and to_date', () => {
  it("parses with the notes' pattern", () => {
    expect(evaluate("to_timestamp(s, 'yyyy-MM-dd HH:mm:ss')", { s: '2019-02-05 10:05:00' }, 's STRING')).toEqual(utc('2019-02-05 10:05:00'));
    expect(typeOf("to_timestamp('2019-02-05 10:05:00')")).toBe('timestamp');
  });

  it('reads the default forms without a pattern', () => {
    expect(evaluate("to_timestamp('2019-02-05 10:05:00')")).toEqual(utc('2019-02-05 10:05:00'));
    expect(evaluate("to_timestamp('2019-02-05T10:05:00.250Z')")).toEqual(new Date('2019-02-05T10:05:00.250Z'));
    expect(evaluate("to_timestamp('2019-02-05')")).toEqual(utc('2019-02-05 00:00:00'));
  });

  it('gives null for unparseable text and for null', () => {
    expect(evaluate("to_timestamp('05/02/2019', 'yyyy-MM-dd')")).toBeNull();
    expect(evaluate("to_timestamp('garbage')")).toBeNull();
    expect(evaluate("to_timestamp(s, 'yyyy')", { s: null }, 's STRING')).toBeNull();
  });

  it('compiles a literal pattern once, at bind time, refusing a bad one there', () => {
    expect(() => bound("to_timestamp(s, 'yyyy-qq-bb')", 's STRING')).toThrow(AnalysisError);
  });

  it('takes the pattern from a column when it is not a literal', () => {
    expect(evaluate('to_timestamp(s, p)', { s: '05/02/2019', p: 'dd/MM/yyyy' }, 's STRING, p STRING')).toEqual(utc('2019-02-05 00:00:00'));
  });

  it('to_date drops the time of day', () => {
    expect(evaluate("to_date('2019-02-05 10:05:00')")).toEqual(utc('2019-02-05 00:00:00'));
    expect(evaluate("to_date('05/02/2019 23:59', 'dd/MM/yyyy HH:mm')")).toEqual(utc('2019-02-05 00:00:00'));
  });
});

describe('formatting and epoch seconds', () => {
  it('date_format formats a timestamp or a timestamp string', () => {
    expect(evaluate("date_format(ts, 'dd/MM/yyyy HH:mm')", at('2019-02-05 10:05:00'), TS)).toBe('05/02/2019 10:05');
    expect(evaluate("date_format('2019-02-05 10:05:00', 'yyyy')")).toBe('2019');
  });

  it('unix_timestamp gives whole seconds, reading text with the default pattern', () => {
    expect(evaluate('unix_timestamp(ts)', at('2019-02-05 10:05:00'), TS)).toBe(1549361100);
    expect(evaluate("unix_timestamp('2019-02-05 10:05:00')")).toBe(1549361100);
    expect(evaluate("unix_timestamp('05/02/2019', 'dd/MM/yyyy')")).toBe(1549324800);
    expect(evaluate("unix_timestamp('2019-02-05')")).toBeNull();
    expect(typeOf('unix_timestamp()')).toBe('bigint');
  });

  it('unix_timestamp without arguments is the current time and nondeterministic', () => {
    const e = bound('unix_timestamp()');
    expect(e.k === 'call' && e.fn.nondeterministic).toBe(true);
    expect(Math.abs((evaluate('unix_timestamp()') as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('from_unixtime formats seconds, by default as yyyy-MM-dd HH:mm:ss', () => {
    expect(evaluate('from_unixtime(1549361100)')).toBe('2019-02-05 10:05:00');
    expect(evaluate("from_unixtime(0, 'yyyy')")).toBe('1970');
  });

  it('timestamp_seconds and timestamp_millis build timestamps from numbers', () => {
    expect(evaluate('timestamp_seconds(1549361100)')).toEqual(utc('2019-02-05 10:05:00'));
    expect(evaluate('timestamp_seconds(1.5)')).toEqual(new Date(1500));
    expect(evaluate('timestamp_millis(1549361100000)')).toEqual(utc('2019-02-05 10:05:00'));
  });

  it('current_timestamp, now and current_date are nondeterministic', () => {
    for (const sql of ['current_timestamp()', 'now()', 'current_date()', 'current_timestamp']) {
      const e = bound(sql);
      expect(e.k === 'call' && e.fn.nondeterministic).toBe(true);
    }
    const today = evaluate('current_date()') as Date;
    expect(today.getTime() % 86_400_000).toBe(0);
  });
});

describe('fields of a timestamp', () => {
  const row = at('2019-02-05 10:05:07');

  it('extracts calendar and clock fields in UTC', () => {
    expect(evaluate('year(ts)', row, TS)).toBe(2019);
    expect(evaluate('quarter(ts)', row, TS)).toBe(1);
    expect(evaluate('month(ts)', row, TS)).toBe(2);
    expect(evaluate('dayofmonth(ts)', row, TS)).toBe(5);
    expect(evaluate('day(ts)', row, TS)).toBe(5);
    expect(evaluate('dayofyear(ts)', row, TS)).toBe(36);
    expect(evaluate('hour(ts)', row, TS)).toBe(10);
    expect(evaluate('minute(ts)', row, TS)).toBe(5);
    expect(evaluate('second(ts)', row, TS)).toBe(7);
  });

  it('numbers the days of the week from 1 for Sunday', () => {
    expect(evaluate('dayofweek(ts)', row, TS)).toBe(3); // a Tuesday
    expect(evaluate("dayofweek('2019-02-03')")).toBe(1);
  });

  it('numbers weeks as ISO-8601 does', () => {
    expect(evaluate('weekofyear(ts)', row, TS)).toBe(6);
    expect(evaluate("weekofyear('2021-01-01')")).toBe(53);
    expect(evaluate("weekofyear('2019-12-30')")).toBe(1);
  });

  it('gives null for a null timestamp', () => {
    expect(evaluate('year(ts)', { ts: null }, TS)).toBeNull();
  });
});

describe('date arithmetic', () => {
  it('date_add and date_sub move by days and give dates', () => {
    expect(evaluate("date_add('2019-02-05 10:05:00', 1)")).toEqual(utc('2019-02-06 00:00:00'));
    expect(evaluate("date_sub('2019-03-01', 1)")).toEqual(utc('2019-02-28 00:00:00'));
  });

  it('datediff counts whole days between the dates', () => {
    expect(evaluate("datediff('2019-02-05 23:00:00', '2019-02-01 01:00:00')")).toBe(4);
    expect(evaluate("datediff('2019-02-01', '2019-02-05')")).toBe(-4);
  });

  it('add_months keeps the day where the month has it and clamps it otherwise', () => {
    expect(evaluate("add_months('2019-01-15', 1)")).toEqual(utc('2019-02-15 00:00:00'));
    expect(evaluate("add_months('2019-01-31', 1)")).toEqual(utc('2019-02-28 00:00:00'));
    expect(evaluate("add_months('2019-03-31', -1)")).toEqual(utc('2019-02-28 00:00:00'));
  });

  it('last_day finds the end of the month, leap years included', () => {
    expect(evaluate("last_day('2020-02-10')")).toEqual(utc('2020-02-29 00:00:00'));
    expect(evaluate("last_day('2019-12-10')")).toEqual(utc('2019-12-31 00:00:00'));
  });

  it('date_trunc truncates to a unit and gives null for an unknown unit', () => {
    const ts = at('2019-08-07 10:05:07');
    expect(evaluate("date_trunc('YEAR', ts)", ts, TS)).toEqual(utc('2019-01-01 00:00:00'));
    expect(evaluate("date_trunc('quarter', ts)", ts, TS)).toEqual(utc('2019-07-01 00:00:00'));
    expect(evaluate("date_trunc('MM', ts)", ts, TS)).toEqual(utc('2019-08-01 00:00:00'));
    expect(evaluate("date_trunc('week', ts)", ts, TS)).toEqual(utc('2019-08-05 00:00:00'));
    expect(evaluate("date_trunc('DAY', ts)", ts, TS)).toEqual(utc('2019-08-07 00:00:00'));
    expect(evaluate("date_trunc('hour', ts)", ts, TS)).toEqual(utc('2019-08-07 10:00:00'));
    expect(evaluate("date_trunc('minute', ts)", ts, TS)).toEqual(utc('2019-08-07 10:05:00'));
    expect(evaluate("date_trunc('fortnight', ts)", ts, TS)).toBeNull();
  });

  it('trunc truncates dates to a year, quarter, month or week only', () => {
    expect(evaluate("trunc('2019-08-07', 'MM')")).toEqual(utc('2019-08-01 00:00:00'));
    expect(evaluate("trunc('2019-08-07', 'hour')")).toBeNull();
  });

  it('next_day finds the next given weekday', () => {
    expect(evaluate("next_day('2019-02-05', 'Mon')")).toEqual(utc('2019-02-11 00:00:00'));
    expect(evaluate("next_day('2019-02-05', 'TUESDAY')")).toEqual(utc('2019-02-12 00:00:00'));
    expect(evaluate("next_day('2019-02-05', 'xx')")).toBeNull();
  });

  it('refuses a number where a timestamp is needed', () => {
    expect(() => evaluate('year(1)')).toThrow(/year\(\) argument 1 must be a timestamp/);
  });
});
