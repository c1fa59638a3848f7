// The output side of the aggregation operators: a state entry becomes the intermediate row
// (grouping keys, the window struct, each aggregate's result in its slot), then the query's
// output columns are computed over it. Generated once per operator from the plan's trees.
import type { Row } from '../actors/messages.js';
import { Codegen, propertyKey } from '../expr/codegen.js';
import type { AggregateNode } from '../plan/logical.js';

/** A group's state as the output sees it: key values and accumulators (plus window fields). */
export interface AggregateEntry {
  readonly k: readonly unknown[];
  readonly a: readonly unknown[];
}

/**
 * Compiles entry → output row. `windowStruct` is the JavaScript expression over entry `e` that
 * builds the window column (`{ start, end }` Dates); it is written by the operator, never by users.
 */
export function compileAggregateOutput<E extends AggregateEntry>(node: AggregateNode, windowStruct: string | null): (e: E) => Row {
  const g = new Codegen();
  const fields: string[] = node.keys.map((k, i) => `${propertyKey(k.name)}: e.k[${i}]`);
  if (node.window && windowStruct) fields.push(`${propertyKey(node.window.name)}: ${windowStruct}`);
  node.aggregates.forEach((a, j) => fields.push(`${propertyKey(a.slot)}: ${g.constant(a.fn)}.result(e.a[${j}])`));
  const lines = [`const m = { ${fields.join(', ')} };`];
  const values = node.outputs.map((o) => g.value(o.expr, 'm'));
  lines.push(...g.takeLines());
  lines.push(`return { ${node.outputs.map((o, i) => `${propertyKey(o.name)}: ${values[i]}`).join(', ')} };`);
  return g.compile<(e: E) => Row>(['e'], lines);
}
