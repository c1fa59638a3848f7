// Checks of the arguments plain-JavaScript callers pass to the public API, which TypeScript
// checks at compile time: a wrong type is an AnalysisError naming the method, the argument and
// the forms it accepts, never a silent misreading or a TypeError from deep inside.
import { AnalysisError, describeValue } from '../errors.js';

/** `method`'s argument `arg` should have been `accepted` (e.g. "a column name or a Column"), but was `got`. */
export function argumentError(method: string, arg: string, accepted: string, got: unknown, hint = ''): AnalysisError {
  return new AnalysisError(`${method}: ${arg} must be ${accepted}, got ${describeValue(got)}${hint ? `; ${hint}` : ''}`);
}

/** `v` if it is a string; else an AnalysisError naming `method`, `arg` and an `example` of a valid value. */
export function requireString(v: unknown, method: string, arg: string, example: string): string {
  if (typeof v !== 'string') throw argumentError(method, arg, `a string such as ${example}`, v);
  return v;
}

/** A duration where the API takes interval text only ('10 minutes'): a number would be ambiguous (ms? seconds?). */
export function requireInterval(v: unknown, method: string, arg: string): string {
  if (typeof v !== 'string') {
    const hint = typeof v === 'number' ? `write the unit, e.g. '${v} seconds' or '${v} milliseconds'` : '';
    throw argumentError(method, arg, "an interval string such as '10 minutes' or '1 hour 30 minutes'", v, hint);
  }
  return v;
}

/** A duration where the API takes interval text or a number of milliseconds (as Spark's long overloads). */
export function requireDuration(v: unknown, method: string, arg: string): string | number {
  if (typeof v === 'string' || typeof v === 'number') return v;
  throw argumentError(method, arg, "an interval string such as '1 minute', or a number of milliseconds", v);
}

/** `v` if it is a function; else an AnalysisError naming `method`, `arg` and an `example` of one. */
export function requireFunction<F>(v: unknown, method: string, arg: string, example: string): F {
  if (typeof v !== 'function') throw argumentError(method, arg, `a function such as ${example}`, v);
  return v as F;
}

/** `v` if it is a safe integer of at least `min` (0 by default); else an AnalysisError naming `method` and `arg`. */
export function requireWholeNumber(v: unknown, method: string, arg: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw argumentError(method, arg, `a whole number >= ${min}`, v);
  return v;
}

/** `v` if it is true or false; else an AnalysisError naming `method` and `arg`. */
export function requireBoolean(v: unknown, method: string, arg: string): boolean {
  if (typeof v !== 'boolean') throw argumentError(method, arg, 'true or false', v);
  return v;
}

/** An option or setting value: a string, a number or a boolean. */
export function requireOptionValue(v: unknown, method: string, key: string): string | number | boolean {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw argumentError(method, `the value of '${key}'`, 'a string, a number or a boolean', v);
}
