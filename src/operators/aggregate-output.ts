// The output side of the aggregation operators: a state entry's grouping values, window bounds
// and each aggregate's result are bound as the columns of the intermediate row (keys, the window
// struct, the aggregate slots), and the query's output columns are computed over them into one
// row object: no intermediate row is built. Generated once per operator from the plan's trees.
import type { Row } from '../actors/messages.js';
import type { ColumnBinding } from '../expr/codegen.js';
import { Codegen, quote } from '../expr/codegen.js';
import type { AggregateNode } from '../plan/logical.js';

/** A group's state as the output sees it: key values and accumulators (plus window fields). */
export interface AggregateEntry {
  readonly k: readonly unknown[];
  readonly a: readonly unknown[];
}

/** JavaScript expressions over entry `e` giving a window's start and end in ms (written by the operator, never by users). */
export interface WindowBounds {
  readonly start: string;
  readonly end: string;
}

/** Compiles entry → output row. */
export function compileAggregateOutput<E extends AggregateEntry>(node: AggregateNode, window: WindowBounds | null): (e: E) => Row {
  const g = new Codegen();
  const cols = new Map<string, ColumnBinding>();
  node.keys.forEach((k, i) => cols.set(k.name, g.assign(`e.k[${i}]`)));
  if (node.window && window) {
    const bounds = new Map<string, ColumnBinding>([
      ['start', g.assign(`new Date(${window.start})`)],
      ['end', g.assign(`new Date(${window.end})`)],
    ]);
    cols.set(node.window.name, { kind: 'columns', cols: bounds });
  }
  node.aggregates.forEach((a, j) => cols.set(a.slot, g.assign(`${g.constant(a.fn)}.result(e.a[${j}])`)));
  const row = { kind: 'columns', cols } as const;
  const values = node.outputs.map((o) => g.value(o.expr, row));
  const lines = g.takeLines();
  lines.push(`return { ${node.outputs.map((o, i) => `${quote(o.name)}: ${values[i]}`).join(', ')} };`);
  return g.compile<(e: E) => Row>(['e'], lines);
}
