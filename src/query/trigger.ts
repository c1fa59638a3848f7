// Trigger modes (Spark's Trigger): when the next micro-batch runs.
import { AnalysisError, describeValue } from '../errors.js';
import { parseDuration } from '../expr/interval.js';

/** An interval given to a Trigger factory: interval text, or milliseconds as Spark's long overloads take. */
function intervalMs(v: unknown, factory: string, what: string): number {
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new AnalysisError(`Trigger.${factory}: the ${what} must be an interval string such as '1 minute', or a number of milliseconds, got ${describeValue(v)}`);
  }
  return parseDuration(v, what);
}

export type TriggerMode =
  | { readonly kind: 'processingTime'; readonly intervalMs: number }
  | { readonly kind: 'once' }
  | { readonly kind: 'availableNow' }
  | { readonly kind: 'continuous'; readonly intervalMs: number };

export const Trigger = {
  /** A batch every `interval` (epoch-aligned); 0 = as soon as the previous one committed. */
  ProcessingTime(interval: string | number): TriggerMode {
    return { kind: 'processingTime', intervalMs: intervalMs(interval, 'ProcessingTime', 'trigger interval') };
  },
  /** One batch of everything available, then stop (deprecated in Spark in favour of AvailableNow). */
  Once(): TriggerMode {
    return { kind: 'once' };
  },
  /** Everything available at start, in batches under the read limits, then stop. */
  AvailableNow(): TriggerMode {
    return { kind: 'availableNow' };
  },
  /** No micro-batches: rows flow as they arrive; a checkpoint every `interval`. */
  Continuous(interval: string | number): TriggerMode {
    const ms = intervalMs(interval, 'Continuous', 'checkpoint interval');
    if (ms <= 0) throw new AnalysisError(`Trigger.Continuous: the checkpoint interval must be positive, got ${String(interval)}`);
    return { kind: 'continuous', intervalMs: ms };
  },
} as const;

export const DEFAULT_TRIGGER: TriggerMode = { kind: 'processingTime', intervalMs: 0 };
