// The output side of the aggregation operators: a group's grouping values, window bounds and
// each aggregate's result are bound as the columns of the intermediate row (keys, the window
// struct, the aggregate slots), and the query's output columns are computed over them into one
// row object: no intermediate row is built. Generated once per operator from the plan's trees.
// Where the output is only encoded (an owner's output to the driver under local[N]), the
// columns are taken from the table directly instead (compileAggregateColumns).
import type { ColumnValues } from '../data/chunk-codec.js';
import { EpochMillis, StructFields } from '../data/chunk-codec.js';
import type { Row } from '../data/row.js';
import type { ColumnBinding } from '../expr/codegen.js';
import { Codegen, propertyKey } from '../expr/codegen.js';
import type { AggregateNode } from '../plan/logical.js';
import type { AggTable } from './agg-table.js';

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

/**
 * The output as columns, straight from the aggregation's table, for the groups `slots[from]`
 * up to `slots[to]`: each output column is a grouping value, the window (as its bounds'
 * milliseconds) or an aggregate's result, so no row object and no window struct is built.
 * Null when an output column computes anything more (the rows are built then).
 */
export function compileAggregateColumns(node: AggregateNode): ((t: AggTable, slots: readonly number[], from: number, to: number) => ColumnValues[]) | null {
  type Column = (t: AggTable, slots: readonly number[], from: number, n: number) => ColumnValues;
  const window = node.window?.kind === 'window' ? node.window : null;
  const columns = node.outputs.map((o): Column | null => {
    if (o.expr.k !== 'ref') return null;
    const name = o.expr.name;
    const key = node.keys.findIndex((k) => k.name === name);
    if (key >= 0) {
      return (t, slots, from, n) => {
        const col = t.keys[key]!;
        const out = new Array<unknown>(n);
        for (let r = 0; r < n; r++) out[r] = col[slots[from + r]!];
        return out;
      };
    }
    if (window && name === window.name) {
      const windowMs = window.windowMs;
      return (t, slots, from, n) => {
        const starts = new Float64Array(n);
        const ends = new Float64Array(n);
        for (let r = 0; r < n; r++) ends[r] = (starts[r] = t.windows[slots[from + r]!]!) + windowMs;
        return new StructFields([new EpochMillis(starts), new EpochMillis(ends)]);
      };
    }
    const j = node.aggregates.findIndex((a) => a.slot === name);
    if (j < 0) return null;
    const fn = node.aggregates[j]!.fn;
    return (t, slots, from, n) => {
      const out = new Array<unknown>(n);
      for (let r = 0; r < n; r++) out[r] = fn.result(t.accumulator(slots[from + r]!, j));
      return out;
    };
  });
  // The window struct's fields are written in its type's order: start, then end.
  const windowType = node.schema.fields.find((f) => window && f.name === window.name)?.type;
  if (windowType && (windowType.kind !== 'struct' || windowType.fields.map((f) => f.name).join() !== 'start,end')) return null;
  if (columns.some((c) => c === null)) return null;
  return (t, slots, from, to) => columns.map((c) => c!(t, slots, from, to - from));
}
