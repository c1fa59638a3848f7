// A join's expressions are bound against one pair row, `struct<left: <left schema>, right:
// <right schema>>`: the left side's column `adId` is `left.adId`. Two sides may then share a
// column name, every expression says which side it reads, and generated code evaluates a
// condition over a (left row, right row) pair without building a joined row.
import type { BoundExpr } from '../../expr/bound.js';
import { boundChildren } from '../../expr/bound.js';
import type { StructType } from '../../expr/types.js';
import { fieldOf, structOf } from '../../expr/types.js';

export type JoinSide = 'left' | 'right';

export const JOIN_SIDES: readonly JoinSide[] = ['left', 'right'];

/** The schema join expressions are bound against. */
export function pairSchema(left: StructType, right: StructType): StructType {
  return structOf([fieldOf('left', left, false), fieldOf('right', right, false)]);
}

export function otherSide(side: JoinSide): JoinSide {
  return side === 'left' ? 'right' : 'left';
}

/** `left.x` or `right.x` read directly: the side and the column name; else null. */
export function sideColumn(e: BoundExpr): { side: JoinSide; column: string } | null {
  if (e.k === 'field' && e.child.k === 'ref' && (e.child.name === 'left' || e.child.name === 'right')) {
    return { side: e.child.name, column: e.name };
  }
  return null;
}

/** The sides an expression reads. */
export function sidesOf(e: BoundExpr, into = new Set<JoinSide>()): Set<JoinSide> {
  if (e.k === 'ref' && (e.name === 'left' || e.name === 'right')) into.add(e.name);
  for (const c of boundChildren(e)) sidesOf(c, into);
  return into;
}

/** The conjuncts of a condition: `a AND (b AND c)` → [a, b, c]. */
export function conjuncts(e: BoundExpr | null): BoundExpr[] {
  if (e === null) return [];
  if (e.k === 'and') return [...conjuncts(e.left), ...conjuncts(e.right)];
  return [e];
}
