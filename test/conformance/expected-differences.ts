// Every difference between Spark and spate that a conformance case expects, in one place. Each
// entry names, in `because`, the heading of the section of docs/differences-from-spark.md that
// says why (a test checks that the section exists); the case then asserts our documented
// behaviour instead of Spark's. A gap being fixed elsewhere can be listed the same way, under a
// section that names its issue item, until the fix lands.
import type { Difference } from './support/compare.js';

export interface ExpectedDifference {
  readonly case: string;
  /** A `###` heading of docs/differences-from-spark.md. */
  readonly because: string;
  readonly differences: readonly Difference[];
}

/** A progress figure of one batch that differs: what Spark reports, what spate reports. */
function progress(batchId: number, field: string, spark: unknown, spate: unknown): Difference {
  return { kind: 'progress', batchId, field, spark, spate };
}

/** Rows a JSON source's pushed filter skips (also an inner join's inferred `key IS NOT NULL`) are not input rows in Spark. */
const PUSHDOWN = 'numInputRows counts every row a file source reads';

export const EXPECTED: readonly ExpectedDifference[] = [
  { case: 'static_inner', because: PUSHDOWN, differences: [progress(1, 'numInputRows', 1, 2)] },
  { case: 'static_using_column', because: PUSHDOWN, differences: [progress(1, 'numInputRows', 1, 2)] },
  { case: 'string_functions', because: PUSHDOWN, differences: [progress(2, 'numInputRows', 1, 2)] },
  { case: 'math_functions', because: PUSHDOWN, differences: [progress(0, 'numInputRows', 1, 2)] },
  { case: 'case_and_nulls', because: PUSHDOWN, differences: [progress(1, 'numInputRows', 2, 3)] },
];

export function expectedDifferences(caseName: string): Difference[] {
  return EXPECTED.filter((e) => e.case === caseName).flatMap((e) => e.differences);
}
