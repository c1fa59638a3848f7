// The data model every layer shares: a row is a plain object keyed by column name, with the
// JavaScript value of each column's type (SEMANTICS: timestamps as Date, binary as Buffer);
// a chunk is a batch of rows that travels as one message. Rows cross a thread or process
// boundary only encoded (chunk-codec.ts), never as cloned objects.

export type Row = Record<string, unknown>;

/** Up to `spate.link.chunkRows` rows: the unit a link, an operator and the exchange handle. */
export interface Chunk {
  readonly type: 'chunk';
  readonly rows: Row[];
  /**
   * The source split the rows came from (`<source index>` or `<source index>/<partition>`), so
   * that event time is tracked per Kafka partition; absent when unknown.
   */
  readonly split?: string;
}

export const chunk = (rows: Row[], split?: string): Chunk => (split === undefined ? { type: 'chunk', rows } : { type: 'chunk', rows, split });
