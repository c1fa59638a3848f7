// Spark's timestamp range, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z. A time outside it
// (or NaN) is out of range: readers treat it as a malformed value, functions give null, so a row
// never carries an Invalid Date, which would throw later (toISOString: "Invalid time value").

export const MIN_TIMESTAMP_MS = -62_135_596_800_000;
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/** Whether `ms` (epoch milliseconds) is a timestamp Spark can hold; false for NaN. */
export function inTimestampRange(ms: number): boolean {
  return ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS;
}

/** The Date at `ms`, or null when it is missing or out of range. */
export function timestampOrNull(ms: number | null): Date | null {
  return ms !== null && inTimestampRange(ms) ? new Date(ms) : null;
}

/** Whether a Date holds a time in range (an Invalid Date does not). */
export function isValidTimestamp(d: Date): boolean {
  return inTimestampRange(d.getTime());
}
