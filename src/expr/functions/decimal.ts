// Decimal rounding of doubles as Spark does it: the double is read as its shortest decimal text
// (Scala's BigDecimal(d) uses Double.toString), then rounded on those digits, so round(2.675, 2)
// is 2.68 although the binary value of 2.675 lies a hair below it.

export type RoundingMode = 'HALF_UP' | 'HALF_EVEN';

export function roundDecimal(x: number, scale: number, mode: RoundingMode): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const intDigits = Number(expText) + 1; // digits before the decimal point
  const keep = intDigits + scale;
  if (keep >= digits.length) return x;
  if (keep < 0) return 0 * Math.sign(x);
  const kept = digits.slice(0, keep);
  const next = digits.charCodeAt(keep) - 48;
  const restNonZero = /[1-9]/.test(digits.slice(keep + 1));
  const lastOdd = kept.length > 0 && (kept.charCodeAt(kept.length - 1) - 48) % 2 === 1;
  const up = mode === 'HALF_UP' ? next >= 5 : next > 5 || (next === 5 && (restNonZero || lastOdd));
  const n = BigInt(kept === '' ? '0' : kept) + (up ? 1n : 0n);
  const r = Number(`${n}e${-scale}`);
  return x < 0 ? -r : r;
}

/** Groups the integer part with commas: 1234567.5 with 2 decimals is "1,234,567.50". */
export function formatGrouped(x: number, decimals: number): string {
  const fixed = Math.abs(roundDecimal(x, decimals, 'HALF_EVEN')).toFixed(decimals);
  const [int, frac] = fixed.split('.') as [string, string | undefined];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const sign = x < 0 && /[1-9]/.test(fixed) ? '-' : '';
  return sign + grouped + (frac === undefined ? '' : `.${frac}`);
}
