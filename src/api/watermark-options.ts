// The options of withWatermark beyond Spark's two arguments, checked when the frame is built:
// an unknown or misspelled option is an error, never ignored.
import { AnalysisError } from '../errors.js';
import { parseDuration } from '../expr/interval.js';
import type { WatermarkTracking } from '../plan/logical.js';
import type { LateRowsSink } from './late-rows.js';

/**
 * The third argument of {@link DataFrame.withWatermark}: what spate adds to Spark's watermark. Each
 * is optional; an unknown or misspelled option is an {@link AnalysisError}, never ignored.
 *
 * @example
 * ```ts
 * clicks.withWatermark('ts', '10 minutes', { idleTimeout: '1 minute', perPartition: true, maxFutureSkew: '5 minutes' });
 * ```
 */
export interface WatermarkOptions {
  /**
   * Processing time without rows (e.g. '1 minute') after which this stream, or one of its
   * partitions with `perPartition`, stops holding the query's watermark back; it holds it again
   * when rows return.
   */
  readonly idleTimeout?: string | number;
  /**
   * Follow event time per source partition (each Kafka partition): the stream's watermark is
   * its slowest active partition's, so a fast partition cannot make a slower one's rows late.
   */
  readonly perPartition?: boolean;
  /**
   * Rows dated more than this (e.g. '10 minutes') after the trigger's processing time are
   * dropped and counted (progress.watermarks[].numRowsDroppedByMaxFutureSkew) instead of
   * moving the watermark: one bogus future timestamp cannot close every open window.
   */
  readonly maxFutureSkew?: string | number;
  /** Where the rows this watermark makes operators drop go (the same as `.onLateRows(sink)`). */
  readonly lateRows?: LateRowsSink;
}

const KNOWN: readonly (keyof WatermarkOptions)[] = ['idleTimeout', 'perPartition', 'maxFutureSkew', 'lateRows'];

/** The plan's form of the options; undefined when none is given (Spark's tracking). */
export function watermarkTracking(options: WatermarkOptions | undefined): WatermarkTracking | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') {
    throw new AnalysisError(`withWatermark's third argument must be an object of options (${KNOWN.join(', ')}), got ${String(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !(KNOWN as readonly string[]).includes(k));
  if (unknown.length) {
    throw new AnalysisError(`withWatermark has no option ${unknown.map((k) => `'${k}'`).join(', ')}: the options are ${KNOWN.join(', ')}`);
  }
  if (options.perPartition !== undefined && typeof options.perPartition !== 'boolean') {
    throw new AnalysisError(`withWatermark option perPartition must be true or false, got ${String(options.perPartition)}`);
  }
  const idle = options.idleTimeout === undefined ? null : parseDuration(options.idleTimeout, 'withWatermark option idleTimeout');
  if (idle === 0) throw new AnalysisError("withWatermark option idleTimeout must be longer than 0, e.g. '1 minute'");
  if (options.idleTimeout === undefined && options.perPartition === undefined && options.maxFutureSkew === undefined) return undefined;
  return {
    idleTimeoutMs: idle,
    perPartition: options.perPartition ?? false,
    maxFutureSkewMs: options.maxFutureSkew === undefined ? null : parseDuration(options.maxFutureSkew, 'withWatermark option maxFutureSkew'),
  };
}
