// Retries an operation that failed for a passing reason (a connection lost, a server still
// loading) with jittered exponential backoff, within a time budget. Anything else — a bug, a
// refused command — fails at once: retrying cannot help it.
import { setTimeout as sleep } from 'node:timers/promises';
import { isProgrammerError } from '../errors.js';

export interface RetryOptions {
  /** Total time allowed for retries, in ms. */
  readonly budgetMs: number;
  /** Delay before the first retry; doubled after each one, up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Whether an error may pass by itself. */
  readonly isTransient: (e: unknown) => boolean;
  /** Builds the error thrown when the budget is spent. */
  readonly exhausted: (last: unknown, attempts: number, elapsedMs: number) => Error;
}

export async function withRetries<T>(op: () => Promise<T>, options: RetryOptions): Promise<T> {
  const started = Date.now();
  const initial = options.initialDelayMs ?? 50;
  const max = options.maxDelayMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (isProgrammerError(e) || !options.isTransient(e)) throw e;
      const elapsed = Date.now() - started;
      if (elapsed >= options.budgetMs) throw options.exhausted(e, attempt, elapsed);
      // "Equal jitter": half the exponential bound plus a random part, so clients that lost the
      // same server do not come back in lockstep.
      const bound = Math.min(max, initial * 2 ** (attempt - 1));
      const delay = Math.min(options.budgetMs - elapsed, bound / 2 + Math.random() * (bound / 2));
      await sleep(Math.max(1, delay));
    }
  }
}
