import { parseDuration, parseInterval } from '../../src/expr/interval.js';

describe('interval strings', () => {
  it('parses a number and a unit into milliseconds', () => {
    expect(parseDuration('15 minutes')).toBe(15 * 60_000);
    expect(parseDuration('1 hour')).toBe(3_600_000);
    expect(parseDuration('interval 2 days')).toBe(2 * 86_400_000);
    expect(parseDuration('1 hour 30 minutes')).toBe(90 * 60_000);
    expect(parseDuration('500 milliseconds')).toBe(500);
  });
  it('keeps months apart from milliseconds', () => {
    expect(parseInterval('1 year 2 months')).toEqual({ ms: 0, months: 14 });
  });
  it('refuses months where a fixed duration is needed, and says why', () => {
    expect(() => parseDuration('1 month', 'window duration')).toThrow(/window duration '1 month' uses months/);
  });
  it('names the text it cannot parse', () => {
    expect(() => parseDuration('soon')).toThrow(/cannot parse interval 'soon'/);
    expect(() => parseDuration('3 fortnights')).toThrow(/unknown interval unit 'fortnights'/);
  });
});
