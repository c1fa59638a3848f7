// Compares a Spark run of a case with spate's, batch by batch: the rows of each micro-batch as
// multisets (doubles equal within a relative tolerance, since partial aggregation changes the
// order of additions), the output schema, and the progress figures Spark reports per batch.
// The result is the list of differences, which a case compares with the ones it expects.
import type { Row } from '../../../src/index.js';

export interface StateOperatorFigures {
  readonly operatorName: string;
  readonly numRowsTotal: number;
  readonly numRowsUpdated: number;
  readonly numRowsDroppedByWatermark: number;
}

export interface ProgressFigures {
  readonly batchId: number;
  readonly numInputRows: number;
  /** ISO-8601 UTC, or null when the query has no watermark. */
  readonly watermark: string | null;
  readonly stateOperators: readonly StateOperatorFigures[];
}

export interface CollectedBatch {
  readonly batchId: number;
  readonly rows: readonly Row[];
}

export interface RunResult {
  /** The output's type in Spark's simple string form: `struct<key:string,total:bigint>`. */
  readonly schema: string;
  readonly batches: readonly CollectedBatch[];
  readonly progress: readonly ProgressFigures[];
}

export type Difference =
  | { readonly kind: 'schema'; readonly spark: string; readonly spate: string }
  | { readonly kind: 'batchIds'; readonly spark: readonly number[]; readonly spate: readonly number[] }
  | { readonly kind: 'rows'; readonly batchId: number; readonly onlySpark: readonly Row[]; readonly onlySpate: readonly Row[] }
  | { readonly kind: 'progress'; readonly batchId: number; readonly field: string; readonly spark: unknown; readonly spate: unknown }
  /** spate lists the state operators in the reverse of Spark's order (they are compared reversed then). */
  | { readonly kind: 'operatorOrder'; readonly spark: readonly string[]; readonly spate: readonly string[] };

/**
 * The oracle writes flatMapGroupsWithState with PySpark's applyInPandasWithState, whose operator
 * Spark names after it; spate's is Spark's JVM flatMapGroupsWithState, named so.
 */
const SAME_OPERATOR: Readonly<Record<string, string>> = { applyInPandasWithState: 'flatMapGroupsWithState' };

const RELATIVE_TOLERANCE = 1e-9;

export function differences(spark: RunResult, spate: RunResult): Difference[] {
  const out: Difference[] = [];
  if (spark.schema !== spate.schema) out.push({ kind: 'schema', spark: spark.schema, spate: spate.schema });
  const sparkIds = spark.batches.map((b) => b.batchId);
  const spateIds = spate.batches.map((b) => b.batchId);
  if (!sameNumbers(sparkIds, spateIds)) out.push({ kind: 'batchIds', spark: sparkIds, spate: spateIds });
  const spateBatches = new Map(spate.batches.map((b) => [b.batchId, b.rows]));
  for (const b of spark.batches) {
    const mine = spateBatches.get(b.batchId);
    if (mine === undefined) continue;
    const d = multisetDifference(b.rows, mine);
    if (d.onlySpark.length > 0 || d.onlySpate.length > 0) out.push({ kind: 'rows', batchId: b.batchId, ...d });
  }
  const sparkProgress = spark.progress.map(renamedOperators);
  const asListed = progressListDifferences(sparkProgress, spate.progress);
  const reversed = progressListDifferences(sparkProgress, spate.progress.map(reversedOperators));
  if (reversed.length < asListed.length) {
    out.push({ kind: 'operatorOrder', spark: operatorNames(sparkProgress), spate: operatorNames(spate.progress) }, ...reversed);
  } else {
    out.push(...asListed);
  }
  for (const p of spate.progress) {
    if (!spark.progress.some((s) => s.batchId === p.batchId)) {
      out.push({ kind: 'progress', batchId: p.batchId, field: 'reported', spark: false, spate: true });
    }
  }
  return out;
}

function progressListDifferences(spark: readonly ProgressFigures[], spate: readonly ProgressFigures[]): Difference[] {
  const spateProgress = new Map(spate.map((p) => [p.batchId, p]));
  const out: Difference[] = [];
  for (const p of spark) {
    const mine = spateProgress.get(p.batchId);
    if (mine === undefined) out.push({ kind: 'progress', batchId: p.batchId, field: 'reported', spark: true, spate: false });
    else out.push(...progressDifferences(p, mine));
  }
  return out;
}

function renamedOperators(p: ProgressFigures): ProgressFigures {
  return { ...p, stateOperators: p.stateOperators.map((o) => ({ ...o, operatorName: SAME_OPERATOR[o.operatorName] ?? o.operatorName })) };
}

function reversedOperators(p: ProgressFigures): ProgressFigures {
  return { ...p, stateOperators: [...p.stateOperators].reverse() };
}

function operatorNames(progress: readonly ProgressFigures[]): string[] {
  return progress[0]?.stateOperators.map((o) => o.operatorName) ?? [];
}

function progressDifferences(spark: ProgressFigures, spate: ProgressFigures): Difference[] {
  const out: Difference[] = [];
  const diff = (field: string, a: unknown, b: unknown): void => {
    if (a !== b) out.push({ kind: 'progress', batchId: spark.batchId, field, spark: a, spate: b });
  };
  diff('numInputRows', spark.numInputRows, spate.numInputRows);
  diff('watermark', spark.watermark, spate.watermark);
  if (spark.stateOperators.length !== spate.stateOperators.length) {
    diff('stateOperators', spark.stateOperators.map((o) => o.operatorName).join(','), spate.stateOperators.map((o) => o.operatorName).join(','));
    return out;
  }
  spark.stateOperators.forEach((op, i) => {
    const mine = spate.stateOperators[i]!;
    for (const k of ['operatorName', 'numRowsTotal', 'numRowsUpdated', 'numRowsDroppedByWatermark'] as const) {
      diff(`stateOperators[${i}].${k}`, op[k], mine[k]);
    }
  });
  return out;
}

/** Rows of `a` with no equal row left in `b`, and the other way round. */
export function multisetDifference(a: readonly Row[], b: readonly Row[]): { onlySpark: Row[]; onlySpate: Row[] } {
  const left = [...b];
  const onlySpark: Row[] = [];
  for (const row of a) {
    const i = left.findIndex((r) => close(row, r));
    if (i < 0) onlySpark.push(row);
    else left.splice(i, 1);
  }
  return { onlySpark, onlySpate: left };
}

/** Deep equality in which two doubles are equal within a relative tolerance. */
export function close(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === b) return true;
    return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => close(x, b[i]));
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return close(ka, kb) && ka.every((k) => close((a as Row)[k], (b as Row)[k]));
  }
  return a === b;
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
