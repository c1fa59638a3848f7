// Shared by the join tests: the notes' impressions and clicks streams, and a recorder of what
// every micro-batch emitted (foreachBatch), so a test can say in which batch a row appears.
import { MemoryStream, types as T } from 'spate';
import type { DataFrame, Row, Session, StreamingQuery } from 'spate';
import { sortRows } from '../../support/helpers.js';

export const impressionSchema = T.struct([T.field('impressionAdId', T.string()), T.field('impressionTime', T.timestamp())]);
export const clickSchema = T.struct([T.field('clickAdId', T.string()), T.field('clickTime', T.timestamp())]);

export type Impression = { impressionAdId: string | null; impressionTime: Date | null };
export type Click = { clickAdId: string | null; clickTime: Date | null };

/** A UTC instant on 2024-03-01 from 'HH:mm'. */
export function at(hhmm: string): Date {
  return new Date(`2024-03-01T${hhmm}:00Z`);
}

export const imp = (id: string, hhmm: string): Impression => ({ impressionAdId: id, impressionTime: at(hhmm) });
export const click = (id: string, hhmm: string): Click => ({ clickAdId: id, clickTime: at(hhmm) });
/** An output row of impressions ⋈ clicks; null for the side an outer join padded. */
export const joined = (i: Impression | null, c: Click | null): Row => ({
  impressionAdId: i?.impressionAdId ?? null, impressionTime: i?.impressionTime ?? null,
  clickAdId: c?.clickAdId ?? null, clickTime: c?.clickTime ?? null,
});

export function adStreams(spark: Session): { impressions: MemoryStream<Impression>; clicks: MemoryStream<Click> } {
  return { impressions: new MemoryStream(spark, impressionSchema), clicks: new MemoryStream(spark, clickSchema) };
}

export interface Recorded {
  readonly query: StreamingQuery;
  readonly batches: { batchId: number; rows: Row[] }[];
  /** The rows batch `id` emitted, sorted ([] when it emitted none). */
  rowsOf(id: number): Row[];
  /** Every row emitted so far, sorted. */
  all(): Row[];
}

export function record(df: DataFrame, mode: 'append' | 'update' | 'complete' = 'append', checkpointLocation?: string): Recorded {
  const batches: { batchId: number; rows: Row[] }[] = [];
  const writer = df.writeStream.outputMode(mode)
    .foreachBatch(async (batch, batchId) => { batches.push({ batchId, rows: await batch.collect() }); });
  if (checkpointLocation) writer.option('checkpointLocation', checkpointLocation);
  const query = writer.start();
  return {
    query,
    batches,
    rowsOf: (id) => sortRows(batches.find((b) => b.batchId === id)?.rows ?? []),
    all: () => sortRows(batches.flatMap((b) => b.rows)),
  };
}

/** The join's entry in the last progress. */
export function joinState(q: StreamingQuery) {
  const op = q.lastProgress?.stateOperators.find((o) => o.operatorName === 'symmetricHashJoin');
  if (!op) throw new Error('no symmetricHashJoin in the last progress');
  return op;
}
