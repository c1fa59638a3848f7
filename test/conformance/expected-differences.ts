// Every difference between Spark and spate that a conformance case expects, in one place.
// An entry keyed to an open issue item ({ issue: 16, item: 1 }) is a gap being fixed elsewhere:
// when that item lands, delete its entries and the cases assert Spark's behaviour again. An
// entry keyed to a section of docs/differences-from-spark.md is a deliberate difference: the case
// asserts our documented behaviour (a test checks that the section exists).
import type { Difference } from './support/compare.js';

export type Reason =
  | { readonly issue: number; readonly item: number }
  | { readonly doc: string };

export interface ExpectedDifference {
  readonly case: string;
  readonly because: Reason;
  readonly differences: readonly Difference[];
}

/** A progress figure of one batch that differs: what Spark reports, what spate reports. */
function progress(batchId: number, field: string, spark: unknown, spate: unknown): Difference {
  return { kind: 'progress', batchId, field, spark, spate };
}

/** spate lists the state operators in the reverse of Spark's order, `sparkOrder`. */
function order(sparkOrder: readonly string[]): Difference {
  return { kind: 'operatorOrder', spark: sparkOrder, spate: [...sparkOrder].reverse() };
}

const DROPPED = 'stateOperators[0].numRowsDroppedByWatermark';
const TOTAL = 'stateOperators[0].numRowsTotal';
const UPDATED = 'stateOperators[0].numRowsUpdated';
/** docs/differences-from-spark.md: rows a JSON source's pushed filter skips (also the inferred `key IS NOT NULL` of an inner join) are not input rows in Spark. */
const PUSHDOWN = { doc: 'numInputRows counts every row a file source reads' };

export const EXPECTED: readonly ExpectedDifference[] = [
  // Spark counts late rows after partial aggregation: late (key, window) groups, not input rows.
  { case: 'tumbling_update', because: { issue: 16, item: 1 }, differences: [progress(3, DROPPED, 2, 3)] },
  { case: 'tumbling_append', because: { issue: 16, item: 1 }, differences: [progress(3, DROPPED, 2, 3)] },
  { case: 'sliding_update', because: { issue: 16, item: 1 }, differences: [progress(3, DROPPED, 3, 6)] },
  { case: 'sliding_append', because: { issue: 16, item: 1 }, differences: [progress(3, DROPPED, 5, 7)] },

  // Spark lists the state operators nearest the sink first.
  { case: 'join_then_window', because: { issue: 16, item: 2 }, differences: [order(['stateStoreSave', 'symmetricHashJoin'])] },
  { case: 'window_then_window', because: { issue: 16, item: 2 }, differences: [order(['stateStoreSave', 'stateStoreSave'])] },
  { case: 'dedup_then_window', because: { issue: 16, item: 2 }, differences: [order(['stateStoreSave', 'dedupe'])] },

  // Spark does not add to state a left semi join's left row that already matched, nor a right
  // row its batch would evict (OneSideHashJoiner's add-to-state predicate).
  {
    case: 'stream_left_semi',
    because: { issue: 16, item: 3 },
    differences: [
      progress(0, TOTAL, 3, 4), progress(0, UPDATED, 3, 4), progress(1, TOTAL, 5, 7), progress(2, TOTAL, 7, 10),
      progress(3, TOTAL, 7, 11), progress(4, TOTAL, 4, 6),
    ],
  },

  { case: 'static_inner', because: PUSHDOWN, differences: [progress(1, 'numInputRows', 1, 2)] },
  { case: 'static_using_column', because: PUSHDOWN, differences: [progress(1, 'numInputRows', 1, 2)] },
  { case: 'string_functions', because: PUSHDOWN, differences: [progress(2, 'numInputRows', 1, 2)] },
  { case: 'math_functions', because: PUSHDOWN, differences: [progress(0, 'numInputRows', 1, 2)] },
  { case: 'case_and_nulls', because: PUSHDOWN, differences: [progress(1, 'numInputRows', 2, 3)] },
];

export function expectedDifferences(caseName: string): Difference[] {
  return EXPECTED.filter((e) => e.case === caseName).flatMap((e) => e.differences);
}
