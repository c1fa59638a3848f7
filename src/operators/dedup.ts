// dropDuplicates (Spark's StreamingDeduplicateExec) and dropDuplicatesWithinWatermark
// (StreamingDeduplicateWithinWatermarkExec). The first row of each key passes at once, later
// ones are dropped and counted (numDroppedDuplicateRows). When the input has a watermarked
// column, rows at or below the previous epoch's watermark are dropped as late first. The state
// is bounded by the watermark: dropDuplicates evicts a key whose event-time column is at or
// below it (only when that column is one of the keys); dropDuplicatesWithinWatermark keys
// without the event time and forgets a key once its first event time plus the delay is.
import { isDate } from 'node:util/types';
import type { Row } from '../data/row.js';
import type { NoDataBatchContext, OperatorContext, OperatorLogic } from '../actors/operator.js';
import type { DedupNode } from '../plan/logical.js';
import { compositeKey, singleKey } from './group-key.js';

const STORE = 'default';

export function deduplicate(node: DedupNode): OperatorLogic {
  const columns = node.columns;
  const et = node.eventTime;
  /** What a key's state holds: the instant at or below which the watermark evicts it (null: never). */
  const expiry: ((row: Row) => number | null) | null = !et ? null
    : node.withinWatermark ? (row) => (timeOf(row[et.column]) ?? 0) + et.delayMs
    : columns.includes(et.column) ? (row) => timeOf(row[et.column])
    : null;
  const keyOf = dedupKey(node);
  let dropped = 0;
  let duplicates = 0;

  return {
    name: node.withinWatermark ? 'dedupeWithinWatermark' : 'dedupe',
    stores: [STORE],
    process(rows: Row[], _input: number, ctx: OperatorContext) {
      const store = ctx.store<number | null>(STORE);
      const late = ctx.lateWatermarkMs;
      const out: Row[] = [];
      for (const row of rows) {
        if (et) {
          const t = timeOf(row[et.column]);
          if (t !== null && t <= late) {
            dropped++;
            ctx.dropLate(row);
            continue;
          }
        }
        const key = keyOf(row);
        if (store.has(key)) {
          duplicates++;
          continue;
        }
        store.put(key, expiry ? expiry(row) : null);
        out.push(row);
      }
      ctx.emit(out);
    },
    onEpochEnd(_b, ctx) {
      if (expiry) {
        const store = ctx.store<number | null>(STORE);
        const wm = ctx.evictionWatermarkMs;
        const expired: string[] = [];
        for (const [key, t] of store.entries()) if (t !== null && t <= wm) expired.push(key);
        for (const key of expired) store.delete(key);
      }
      ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + dropped;
      ctx.counters['numDroppedDuplicateRows'] = (ctx.counters['numDroppedDuplicateRows'] ?? 0) + duplicates;
      dropped = 0;
      duplicates = 0;
    },
    // As Spark: a moved watermark runs a batch, also when only late rows are judged by it.
    wantsNoDataBatch(nextWatermarkMs: number, at?: NoDataBatchContext) {
      return nextWatermarkMs > (at?.lastEvictionWatermarkMs ?? 0);
    },
  };
}

/** A row's state key: its values of the dedup columns. */
export function dedupKey(node: DedupNode): (row: Row) => string {
  const columns = node.columns;
  return columns.length === 1 ? (r) => singleKey(r[columns[0]!]) : (r) => compositeKey(columns.map((c) => r[c]));
}

function timeOf(v: unknown): number | null {
  if (isDate(v)) return v.getTime();
  // A watermarked window struct: its end.
  const end = (v as { end?: unknown } | null)?.end;
  return isDate(end) ? end.getTime() : null;
}
