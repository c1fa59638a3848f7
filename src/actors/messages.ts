// The data-plane protocol. A link carries chunks of rows (never one message per row: RxJS
// costs per emission), watermarks, barriers that close an epoch, and End. Rows and chunks are
// the data model's (src/data/row.ts).
import type { Chunk, Row } from '../data/row.js';

export type { Chunk, Row, RowOrigin } from '../data/row.js';
export { chunk, originOf, withOrigin } from '../data/row.js';

/** The event-time watermark in force from here on (sent by sources at the start of an epoch). */
export interface Watermark {
  readonly type: 'watermark';
  readonly ms: number;
}

/** Closes epoch `epoch`: every row of the epoch was sent before it. */
export interface Barrier {
  readonly type: 'barrier';
  readonly epoch: number;
  /** The trigger time of the epoch; processing-time timeouts compare against it. */
  readonly batchTimestampMs: number;
}

/** No more messages will follow. */
export interface End {
  readonly type: 'end';
}

export type Message = Chunk | Watermark | Barrier | End;

export const watermark = (ms: number): Watermark => ({ type: 'watermark', ms });
export const barrier = (epoch: number, batchTimestampMs: number): Barrier => ({ type: 'barrier', epoch, batchTimestampMs });
export const END: End = { type: 'end' };

const SPLIT = Symbol('spate.split');

/**
 * Marks a chunk that `read` yields as rows of one split of the source (a Kafka partition,
 * named e.g. `trades-0`), so that the watermark can follow each split and notice an idle one
 * (withWatermark's perPartition and idleTimeout). Returns the same array.
 */
export function splitChunk(split: string, rows: Row[]): Row[] {
  (rows as Row[] & { [SPLIT]?: string })[SPLIT] = split;
  return rows;
}

/** The split a chunk was marked with by splitChunk, if any. */
export function splitOf(rows: readonly Row[]): string | undefined {
  return (rows as readonly Row[] & { [SPLIT]?: string })[SPLIT];
}
