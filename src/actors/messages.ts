// The data-plane protocol. A link carries chunks of rows (never one message per row: RxJS
// costs per emission), watermarks, barriers that close an epoch, and End.

export type Row = Record<string, unknown>;

/** Where the row at `index` of a chunk came from, for messages: `file /in/a.json, line 7`. */
export type RowOrigin = (index: number) => string;

/** Up to `spate.link.chunkRows` rows. */
export interface Chunk {
  readonly type: 'chunk';
  readonly rows: Row[];
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

export const chunk = (rows: Row[], origin?: RowOrigin): Chunk => (origin ? { type: 'chunk', rows, origin } : { type: 'chunk', rows });

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
