// Which buffered rows of a stream-stream join can never match again, after Spark's
// StreamingJoinHelper and StreamingSymmetricHashJoinHelper:
// - a watermarked column among the equi-join keys: a key whose time is at or below the
//   watermark is done, on both sides (the "state key watermark");
// - otherwise, conjuncts of the form `a + c1 <(=) b + c2` between the two sides' event times
//   are solved against the other side's watermark: `clickTime <= impressionTime + interval 1 hour`
//   with watermark W (future clicks have clickTime > W) means impressions with
//   impressionTime < W - 1 hour are done (the "state value watermark").
// Bounds are linear in the watermark, so they are solved once and evaluated per epoch.
import type { BoundExpr } from '../../expr/bound.js';
import type { StructType } from '../../expr/types.js';
import { isNumeric } from '../../expr/types.js';
import type { JoinNode } from '../../plan/logical.js';
import type { JoinSide } from './pair.js';
import { conjuncts, otherSide, sideColumn } from './pair.js';

/** Rows whose event time is at or below `coefficient * watermark + offsetMs` can be evicted. */
export interface LinearBound {
  readonly coefficient: number;
  readonly offsetMs: number;
}

/** How one side's buffered rows are evicted. */
export type StateEviction =
  /** By the `keyIndex`-th join key, a watermarked time (or window, by its end): evict when at or below the watermark. */
  | { readonly kind: 'key'; readonly keyIndex: number }
  /** By the side's event-time column, against the tightest of `bounds`. */
  | { readonly kind: 'value'; readonly column: string; readonly bounds: readonly LinearBound[] };

export interface JoinStateWatermarks {
  readonly left: StateEviction | null;
  readonly right: StateEviction | null;
}

/** The watermarked (event-time) column of a schema, if any. */
export function eventTimeColumn(schema: StructType): string | null {
  return schema.fields.find((f) => f.metadata?.watermarkDelayMs !== undefined)?.name ?? null;
}

function sideSchema(node: JoinNode, side: JoinSide): StructType {
  return side === 'left' ? node.left.schema : node.right.schema;
}

/** The first equi-join key that is a watermarked column read directly (left keys first), or -1. */
export function watermarkKeyIndex(node: JoinNode): number {
  for (const keys of [node.leftKeys, node.rightKeys]) {
    const i = keys.findIndex((k) => {
      const c = sideColumn(k);
      return c !== null && sideSchema(node, c.side).fields.some((f) => f.name === c.column && f.metadata?.watermarkDelayMs !== undefined);
    });
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * The bounds the condition puts on `side`'s column `target` accepts, solved against the other
 * side's watermarked column; null when no conjunct gives one (or the other side has no watermark).
 */
export function stateValueBounds(node: JoinNode, side: JoinSide, target: (column: string) => boolean): LinearBound[] | null {
  const otherWatermarked = eventTimeColumn(sideSchema(node, otherSide(side)));
  if (otherWatermarked === null) return null;
  const solve = (l: BoundExpr, r: BoundExpr): LinearBound | null => solveLessThan(l, r, side, target, otherWatermarked);
  const minusOne = (b: LinearBound | null): LinearBound | null => (b ? { coefficient: b.coefficient, offsetMs: b.offsetMs - 1 } : null);
  const bounds: LinearBound[] = [];
  for (const c of conjuncts(node.condition)) {
    if (c.k !== 'cmp') continue;
    // Eviction is inclusive (t <= bound): a strict `<` bound solves exactly, a `<=` one is one less.
    const b = c.op === '<' ? solve(c.left, c.right)
      : c.op === '<=' ? minusOne(solve(c.left, c.right))
      : c.op === '>' ? solve(c.right, c.left)
      : c.op === '>=' ? minusOne(solve(c.right, c.left))
      : null;
    if (b) bounds.push(b);
  }
  return bounds.length ? bounds : null;
}

/** How each side of a stream-stream join is evicted (null: never, its state grows without bound). */
export function joinStateWatermarks(node: JoinNode): JoinStateWatermarks {
  const keyIndex = watermarkKeyIndex(node);
  const sideEviction = (side: JoinSide): StateEviction | null => {
    if (keyIndex >= 0) return { kind: 'key', keyIndex };
    const column = eventTimeColumn(sideSchema(node, side));
    if (column === null) return null;
    // Spark solves for any column of the side and then evicts by its watermarked column; only a
    // bound on the watermarked column itself is sound, so only that one is used.
    const bounds = stateValueBounds(node, side, (c) => c === column);
    return bounds ? { kind: 'value', column, bounds } : null;
  };
  return { left: sideEviction('left'), right: sideEviction('right') };
}

/** The event time at or below which a side's buffered rows are evicted, for input watermark `watermarkMs`. */
export function stateWatermarkMs(e: StateEviction, watermarkMs: number): number {
  if (e.kind === 'key') return watermarkMs;
  let min = Infinity;
  for (const b of e.bounds) min = Math.min(min, b.coefficient * watermarkMs + b.offsetMs);
  return min;
}

interface Term {
  readonly side: JoinSide | null;
  readonly column: string | null;
  readonly negated: boolean;
  /** A constant's value in ms, sign applied. */
  readonly constMs: number;
}

/**
 * Solves `l < r` for `side`'s time: canonically `l - r < 0` as a sum of terms; the side's column
 * must appear exactly once, negated (`-t + rest < 0` ⇒ `t > rest`), and every other column term
 * must be the other side's watermarked column, replaced by the watermark. Numbers count as
 * seconds, timestamps and intervals as their time; months are refused (their length varies).
 */
function solveLessThan(l: BoundExpr, r: BoundExpr, side: JoinSide, target: (column: string) => boolean, otherWatermarked: string): LinearBound | null {
  const terms: Term[] = [];
  if (!collectTerms(l, false, terms) || !collectTerms(r, true, terms)) return null;
  const distinct = (s: JoinSide): number => new Set(terms.filter((t) => t.side === s).map((t) => t.column)).size;
  if (distinct(side) > 1 || distinct(otherSide(side)) > 1) return null;
  const own = terms.filter((t) => t.side === side);
  if (own.length !== 1 || !own[0]!.negated || !target(own[0]!.column!)) return null;
  const rest = terms.filter((t) => t !== own[0]);
  if (rest.length === 0) return null;
  let coefficient = 0;
  let offsetMs = 0;
  for (const t of rest) {
    if (t.side === null) offsetMs += t.constMs;
    else if (t.column === otherWatermarked) coefficient += t.negated ? -1 : 1;
    else return null;
  }
  return { coefficient, offsetMs };
}

function collectTerms(e: BoundExpr, negated: boolean, out: Term[]): boolean {
  switch (e.k) {
    case 'arith':
      if (e.op === '+') return collectTerms(e.left, negated, out) && collectTerms(e.right, negated, out);
      if (e.op === '-') return collectTerms(e.left, negated, out) && collectTerms(e.right, !negated, out);
      return false;
    case 'tsAdd':
      if (e.months !== 0) return false;
      out.push(constant(e.ms, negated));
      return collectTerms(e.child, negated, out);
    case 'neg':
      return collectTerms(e.child, !negated, out);
    case 'cast':
      return (isNumeric(e.type) || e.type.kind === 'timestamp') && collectTerms(e.child, negated, out);
    case 'lit':
      if (typeof e.value === 'number') { out.push(constant(e.value * 1000, negated)); return true; }
      if (e.value instanceof Date) { out.push(constant(e.value.getTime(), negated)); return true; }
      return false;
    case 'field': {
      const c = sideColumn(e);
      if (!c) return false;
      out.push({ side: c.side, column: c.column, negated, constMs: 0 });
      return true;
    }
    default:
      return false;
  }
}

function constant(ms: number, negated: boolean): Term {
  return { side: null, column: null, negated, constMs: negated ? -ms : ms };
}
