// The data model every layer shares: a row is a plain object keyed by column name, with the
// JavaScript value of each column's type (SEMANTICS: timestamps as Date, binary as Buffer);
// a chunk is a batch of rows that travels as one message. Rows cross a thread or process
// boundary only encoded (chunk-codec.ts), never as cloned objects.

/**
 * A row as it flows through a query and reaches sinks and callbacks: a plain object from column
 * name to value, with SQL's null as `null` (timestamps are Dates, longs are numbers, binary is a
 * Buffer). DataFrame methods carry a more precise row type where the schema is known.
 */
export type Row = Record<string, unknown>;

/** Where the row at `index` of a chunk came from, for messages: `file /in/a.json, line 7`. */
export type RowOrigin = (index: number) => string;

/** Up to `spate.link.chunkRows` rows: the unit a link, an operator and the exchange handle. */
export interface Chunk {
  readonly type: 'chunk';
  readonly rows: Row[];
  /**
   * The source split the rows came from (`<source index>` or `<source index>/<partition>`), so
   * that event time is tracked per Kafka partition; absent when unknown.
   */
  readonly split?: string;
  /** Set on the chunks a source sends when the source can name its records' positions (never sent across threads). */
  readonly origin?: RowOrigin;
}

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
