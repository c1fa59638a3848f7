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

/**
 * When a query's batches run: what the {@link Trigger} factories return, for
 * {@link DataStreamWriter.trigger}.
 */
export type TriggerMode =
  | {
    /** {@link Trigger.ProcessingTime}: a batch every `intervalMs`. */
    readonly kind: 'processingTime';
    /** The interval between batch starts, in ms; 0 runs the next batch as soon as the last one committed. */
    readonly intervalMs: number;
  }
  | {
    /** {@link Trigger.Once}: one batch, then stop. */
    readonly kind: 'once';
  }
  | {
    /** {@link Trigger.AvailableNow}: what is available at start, in batches, then stop. */
    readonly kind: 'availableNow';
  }
  | {
    /** {@link Trigger.Continuous}: no batches; rows flow as they arrive. */
    readonly kind: 'continuous';
    /** The interval between checkpoints (epochs), in ms. */
    readonly intervalMs: number;
  };

/**
 * The trigger factories (Spark's `Trigger`). Without a trigger a query runs the next batch as soon
 * as the last one committed (`ProcessingTime(0)`).
 *
 * @example
 * ```ts
 * df.writeStream.trigger(Trigger.ProcessingTime('1 minute'))   // a batch every minute
 * df.writeStream.trigger(Trigger.AvailableNow())               // what is there now, then stop
 * df.writeStream.trigger(Trigger.Continuous('1 second'))       // no batches; a checkpoint every second
 * ```
 */
export const Trigger = {
  /**
   * A batch every `interval` (Spark's `Trigger.ProcessingTime`): an interval string such as
   * `'1 minute'` or a number of ms. Batches start on multiples of the interval; a batch that takes
   * longer makes the next start at once (missed slots are not caught up, and a warning says the
   * query is falling behind); with no new data the trigger is idle. 0 runs the next batch as soon as
   * the last one committed.
   *
   * @throws {@link AnalysisError} when `interval` is neither an interval string nor a number of ms.
   */
  ProcessingTime(interval: string | number): TriggerMode {
    return { kind: 'processingTime', intervalMs: intervalMs(interval, 'ProcessingTime', 'trigger interval') };
  },
  /**
   * One batch of everything available, ignoring read limits such as maxFilesPerTrigger, then the
   * query stops (Spark's `Trigger.Once`, deprecated there in favour of AvailableNow).
   */
  Once(): TriggerMode {
    return { kind: 'once' };
  },
  /**
   * Everything available when the query starts, in as many batches as the sources' read limits
   * (maxFilesPerTrigger, maxOffsetsPerTrigger) make, then the query stops (Spark's
   * `Trigger.AvailableNow`). Rows arriving meanwhile wait for the next run.
   */
  AvailableNow(): TriggerMode {
    return { kind: 'availableNow' };
  },
  /**
   * Continuous processing (Spark's `Trigger.Continuous`): no micro-batches, rows flow through as
   * they arrive, and an epoch is checkpointed every `interval` (a string such as `'1 second'` or ms).
   * Only map-like queries (select, filter, map) over sources and sinks that support it are allowed;
   * `start()` refuses the rest, as Spark does.
   *
   * @throws {@link AnalysisError} when the interval is not positive or not an interval.
   */
  Continuous(interval: string | number): TriggerMode {
    const ms = intervalMs(interval, 'Continuous', 'checkpoint interval');
    if (ms <= 0) throw new AnalysisError(`Trigger.Continuous: the checkpoint interval must be positive, got ${String(interval)}`);
    return { kind: 'continuous', intervalMs: ms };
  },
} as const;

export const DEFAULT_TRIGGER: TriggerMode = { kind: 'processingTime', intervalMs: 0 };
