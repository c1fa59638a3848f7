// The output side of the aggregation operators: a group's grouping values, window bounds and
// each aggregate's result are bound as the columns of the intermediate row (keys, the window
// struct, the aggregate slots), and the query's output columns are computed over them into one
// row object: no intermediate row is built. Generated once per operator from the plan's trees.
import type { Row } from '../data/row.js';
import type { ColumnBinding } from '../expr/codegen.js';
import { Codegen, propertyKey } from '../expr/codegen.js';
import type { AggregateNode } from '../plan/logical.js';

/**
 * Where the output function finds a group's state: JavaScript expressions over its parameters
 * for key value i, accumulator j and the window's start and end in ms (written by the operator,
 * never by users).
 */
export interface GroupAccess {
  readonly params: readonly string[];
  key(i: number): string;
  accumulator(j: number): string;
  readonly window: { readonly start: string; readonly end: string } | null;
}

/** Compiles (the group's state) → output row. */
export function compileAggregateOutput<F extends (...args: never[]) => Row>(node: AggregateNode, access: GroupAccess): F {
  const g = new Codegen();
  const cols = new Map<string, ColumnBinding>();
  node.keys.forEach((k, i) => cols.set(k.name, g.assign(access.key(i))));
  if (node.window && access.window) {
    const bounds = new Map<string, ColumnBinding>([
      ['start', g.assign(`new Date(${access.window.start})`)],
      ['end', g.assign(`new Date(${access.window.end})`)],
    ]);
    cols.set(node.window.name, { kind: 'columns', cols: bounds });
  }
  node.aggregates.forEach((a, j) => cols.set(a.slot, g.assign(`${g.constant(a.fn)}.result(${access.accumulator(j)})`)));
  const row = { kind: 'columns', cols } as const;
  const values = node.outputs.map((o) => g.value(o.expr, row));
  const lines = g.takeLines();
  lines.push(`return { ${node.outputs.map((o, i) => `${propertyKey(o.name)}: ${values[i]}`).join(', ')} };`);
  return g.compile<F>(access.params, lines);
}
