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

export const EXPECTED: readonly ExpectedDifference[] = [
];

export function expectedDifferences(caseName: string): Difference[] {
  return EXPECTED.filter((e) => e.case === caseName).flatMap((e) => e.differences);
}
