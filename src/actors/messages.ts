// The data-plane protocol. A link carries chunks of rows (never one message per row: RxJS
// costs per emission), watermarks, barriers that close an epoch, and End.

/**
 * A row as it flows through a query and reaches sinks and callbacks: a plain object from column
 * name to value, with SQL's null as `null` (timestamps are Dates, longs are numbers, binary is a
 * Buffer). DataFrame methods carry a more precise row type where the schema is known.
 */
export type Row = Record<string, unknown>;

/** Where the row at `index` of a chunk came from, for messages: `file /in/a.json, line 7`. */
export type RowOrigin = (index: number) => string;

/** Up to `spate.link.chunkRows` rows. */
export interface Chunk {
  readonly type: 'chunk';
  readonly rows: Row[];
  /**
   * The source split the rows came from (`<source index>` or `<source index>/<partition>`), so
   * that event time is tracked per Kafka partition; absent when unknown.
   */
  readonly split?: string;
  /** Set on the chunks a source sends when the source can name its records' positions. */
  readonly origin?: RowOrigin;
}

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

export const chunk = (rows: Row[], split?: string, origin?: RowOrigin): Chunk => {
  if (split === undefined && origin === undefined) return { type: 'chunk', rows };
  return { type: 'chunk', rows, ...(split !== undefined ? { split } : {}), ...(origin ? { origin } : {}) };
};

const ORIGIN = Symbol('spate.rowOrigin');

/**
 * Marks rows a source yields with the positions of their records, so that a failure on one of
 * them names it (the source actor carries the origin along with the rows' chunks).
 */
export function withOrigin(rows: Row[], origin: RowOrigin): Row[] {
  Object.defineProperty(rows, ORIGIN, { value: origin, enumerable: false });
  return rows;
}

export function originOf(rows: Row[]): RowOrigin | undefined {
  return (rows as Row[] & { [ORIGIN]?: RowOrigin })[ORIGIN];
}
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
