// The per-row work of every join operator, generated from the join's typed expressions (never
// from user text): each side's equi-join key and one-side filter, the condition over a pair of
// rows, the joined output row, and the event times watermarks compare.
import { isDate } from 'node:util/types';
import type { Row } from '../../data/row.js';
import type { BoundExpr } from '../../expr/bound.js';
import { Codegen, propertyKey, quote } from '../../expr/codegen.js';
import type { JoinNode } from '../../plan/logical.js';
import { compositeKey, singleKey } from '../group-key.js';
import type { JoinSide } from './pair.js';
import { sidesOf } from './pair.js';
import type { StateEviction } from './state-watermark.js';
import { eventTimeColumn } from './state-watermark.js';

/** Store key for rows that can never match (a null in a `=` key): no probe produces it. */
export const UNMATCHABLE_KEY = '\u0002';

export interface SideFunctions {
  /** The equi-join key, or undefined when a key value is null in a `=` comparison (it matches nothing). */
  key(row: Row): string | undefined;
  /** The conjuncts reading this side only: a row failing them matches nothing. */
  filter(row: Row): boolean;
  /** The side's event time (ms) for the late-row check; null when the side has no watermark. */
  readonly eventTime: ((row: Row) => number | null) | null;
}

export interface JoinFunctions {
  readonly left: SideFunctions;
  readonly right: SideFunctions;
  /** The conjuncts reading both sides (or neither), for rows that passed their side's filter and key. */
  matches(l: Row, r: Row): boolean;
  /** The joined row; the missing side (outer joins) is null. Semi and anti joins output the left row. */
  output(l: Row | null, r: Row | null): Row;
}

export function compileJoinFunctions(node: JoinNode): JoinFunctions {
  const sideOnly = (side: JoinSide) => node.residual.filter((c) => {
    const s = sidesOf(c);
    return s.size === 1 && s.has(side);
  });
  const both = node.residual.filter((c) => sidesOf(c).size !== 1);
  const side = (s: JoinSide): SideFunctions => ({
    key: compileKey(s === 'left' ? node.leftKeys : node.rightKeys, node.nullSafeKeys, s),
    filter: compilePredicate(sideOnly(s), [s]),
    eventTime: eventTimeOf(s === 'left' ? node.left.schema.fields : node.right.schema.fields),
  });
  const predicate = compilePredicate(both, ['left', 'right']);
  return {
    left: side('left'),
    right: side('right'),
    matches: (l, r) => predicate(l, r),
    output: compileOutput(node),
  };
}

/** The time a side's buffered row is evicted by (its join-key time or its event time), or null if never. */
export function evictionTimeOf(node: JoinNode, side: JoinSide, e: StateEviction | null): ((row: Row) => number | null) | null {
  if (e === null) return null;
  if (e.kind === 'value') {
    const fields = side === 'left' ? node.left.schema.fields : node.right.schema.fields;
    return timeReader(e.column, fields.find((f) => f.name === e.column)?.type.kind === 'struct');
  }
  const key = (side === 'left' ? node.leftKeys : node.rightKeys)[e.keyIndex]!;
  const g = new Codegen();
  g.skipRow = 'return null';
  const body = [`const p = ${g.constant({ left: null, right: null })};`, `p[${quote(side)}] = row;`];
  const v = g.value(key, 'p');
  body.push(...g.takeLines(), `return ${v};`);
  const value = g.compile<(row: Row) => unknown>(['row'], body);
  return (row) => timeOfValue(value(row));
}

function eventTimeOf(fields: JoinNode['schema']['fields']): ((row: Row) => number | null) | null {
  const column = eventTimeColumn({ kind: 'struct', fields });
  if (column === null) return null;
  return timeReader(column, fields.find((f) => f.name === column)!.type.kind === 'struct');
}

/** A timestamp column's time, or a window column's end (as Spark's watermark predicates read it). */
function timeReader(column: string, isWindow: boolean): (row: Row) => number | null {
  return isWindow ? (row) => timeOfValue(row[column]) : (row) => {
    const v = row[column];
    return isDate(v) ? v.getTime() : null;
  };
}

function timeOfValue(v: unknown): number | null {
  if (isDate(v)) return v.getTime();
  if (v !== null && typeof v === 'object' && isDate((v as { end?: unknown }).end)) return (v as { end: Date }).end.getTime();
  return null;
}

function compileKey(keys: readonly BoundExpr[], nullSafe: readonly boolean[], side: JoinSide): (row: Row) => string | undefined {
  if (keys.length === 0) return () => '';
  const g = new Codegen();
  g.skipRow = 'return undefined';
  const body = [`const p = ${g.constant({ left: null, right: null })};`, `p[${quote(side)}] = row;`];
  const values = keys.map((k) => g.value(k, 'p'));
  body.push(...g.takeLines());
  values.forEach((v, i) => { if (!nullSafe[i]) body.push(`if (${v} == null) return undefined;`); });
  body.push(values.length === 1
    ? `return ${g.constant(singleKey)}(${values[0]});`
    : `return ${g.constant(compositeKey)}([${values.join(', ')}]);`);
  return g.compile(['row'], body);
}

/** AND of the conjuncts over (l, r), stopping at the first that is not true. */
function compilePredicate(conds: readonly BoundExpr[], sides: readonly JoinSide[]): (a: Row, b?: Row) => boolean {
  if (conds.length === 0) return () => true;
  const g = new Codegen();
  g.skipRow = 'return false';
  const params = sides.length === 2 ? ['l', 'r'] : ['row'];
  const body = [`const p = ${g.constant({ left: null, right: null })};`];
  if (sides.length === 2) body.push('p.left = l;', 'p.right = r;');
  else body.push(`p[${quote(sides[0]!)}] = row;`);
  for (const c of conds) {
    const v = g.value(c, 'p');
    body.push(...g.takeLines(), `if (${v} !== true) return false;`);
  }
  body.push('return true;');
  return g.compile(params, body);
}

function compileOutput(node: JoinNode): (l: Row | null, r: Row | null) => Row {
  if (node.joinType === 'leftSemi' || node.joinType === 'leftAnti') return (l) => l!;
  const g = new Codegen();
  const value = (o: JoinNode['outputs'][number]): string => {
    const fromLeft = o.left === null ? null : `(l === null ? null : l[${quote(o.left)}])`;
    const fromRight = o.right === null ? null : `(r === null ? null : r[${quote(o.right)}])`;
    if (fromLeft && fromRight) return `(${fromLeft} ?? ${fromRight})`;
    return fromLeft ?? fromRight!;
  };
  return g.compile(['l', 'r'], [`return { ${node.outputs.map((o) => `${propertyKey(o.name)}: ${value(o)}`).join(', ')} };`]);
}
