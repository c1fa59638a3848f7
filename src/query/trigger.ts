// Trigger modes (Spark's Trigger): when the next micro-batch runs.
import { parseDuration } from '../expr/interval.js';

export type TriggerMode =
  | { readonly kind: 'processingTime'; readonly intervalMs: number }
  | { readonly kind: 'once' }
  | { readonly kind: 'availableNow' }
  | { readonly kind: 'continuous'; readonly intervalMs: number };

export const Trigger = {
  /** A batch every `interval` (epoch-aligned); 0 = as soon as the previous one committed. */
  ProcessingTime(interval: string | number): TriggerMode {
    return { kind: 'processingTime', intervalMs: parseDuration(interval, 'trigger interval') };
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
    const intervalMs = parseDuration(interval, 'checkpoint interval');
    if (intervalMs <= 0) throw new RangeError(`the continuous trigger's checkpoint interval must be positive, got ${interval}`);
    return { kind: 'continuous', intervalMs };
  },
} as const;

export const DEFAULT_TRIGGER: TriggerMode = { kind: 'processingTime', intervalMs: 0 };
