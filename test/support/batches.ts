// Runs a streaming DataFrame into foreachBatch and records what every batch emitted, so tests
// can assert the output of each batchId (including the no-data batches a watermark triggers).
import type { DataFrame, OutputMode, Row, StreamingQuery } from '../../src/index.js';
import { sortRows } from './helpers.js';

export interface RecordedBatch {
  readonly batchId: number;
  readonly rows: Row[];
}

export interface RecordedQuery {
  readonly query: StreamingQuery;
  readonly batches: RecordedBatch[];
  /** The rows of batch `id`, sorted; [] for a batch that emitted nothing. */
  rowsOf(id: number): Row[];
}

export function record(df: DataFrame, mode: OutputMode, configure: (w: DataFrame['writeStream']) => void = () => undefined): RecordedQuery {
  const batches: RecordedBatch[] = [];
  const writer = df.writeStream.outputMode(mode)
    .foreachBatch(async (batch, batchId) => { batches.push({ batchId, rows: await batch.collect() }); });
  configure(writer);
  const query = writer.start();
  return {
    query,
    batches,
    rowsOf: (id) => sortRows(batches.find((b) => b.batchId === id)?.rows ?? []),
  };
}

/** A UTC instant on 2019-02-05 (the notes' day) from 'HH:mm'. */
export function at(hhmm: string): Date {
  return new Date(`2019-02-05T${hhmm}:00Z`);
}
