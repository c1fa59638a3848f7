// orderBy / sort (Spark's SortExec): on a stream only above an aggregation in complete mode, so
// each epoch brings the whole result, which is held until the epoch ends and emitted in order;
// on a static frame, all its rows. The comparator is Spark's ordering: nulls first ascending and
// last descending unless told, NaN above every other double, strings by code point (UTF-8 order).
import type { Row } from '../data/row.js';
import type { OperatorLogic } from '../actors/operator.js';
import { compileValue } from '../expr/codegen.js';
import { compareAny } from '../expr/functions/values.js';
import type { SortNode, SortOrder } from '../plan/logical.js';

/** Spark's order of two non-null values of one type. */
function compareNonNull(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
    if (Number.isNaN(b)) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  return compareAny(a, b);
}

/** Strings compared by code point, which is UTF-8 byte order (JavaScript's `<` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every other unit.
    const sx = x >= 0xd800 && x <= 0xdfff;
    const sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** A comparator of rows by `orders`, the first deciding, the next breaking its ties. */
export function rowComparator(orders: readonly SortOrder[]): (a: Row, b: Row) => number {
  const keys = orders.map((o) => ({ value: compileValue(o.expr), ascending: o.ascending, nullsFirst: o.nullsFirst }));
  return (a, b) => {
    for (const k of keys) {
      const x = k.value(a);
      const y = k.value(b);
      const xNull = x === null || x === undefined;
      const yNull = y === null || y === undefined;
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull === k.nullsFirst ? -1 : 1;
      }
      const c = compareNonNull(x, y);
      if (c !== 0) return k.ascending ? c : -c;
    }
    return 0;
  };
}

/** Sorts an epoch's rows (a stable sort, as Spark's for equal keys within a partition). */
export function sortOperator(node: SortNode): OperatorLogic {
  const compare = rowComparator(node.orders);
  let held: Row[] = [];
  return {
    name: 'sort',
    stores: [],
    process(rows) {
      for (const r of rows) held.push(r);
    },
    onEpochEnd(_barrier, ctx) {
      const out = held.sort(compare);
      held = [];
      ctx.emit(out);
    },
  };
}
