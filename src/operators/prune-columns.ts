// Column pruning inside a fused stage (Spark's ColumnPruning and nested SchemaPruning, applied
// to the steps of one generated function): walking back from what the stage's consumer reads, a
// projected column nobody reads is not computed when computing it cannot drop or fail a row,
// and a struct-returning function whose result is read field by field returns only those fields
// (from_json then decodes only them: projection pushed into decoding).
import type { BoundExpr } from '../expr/bound.js';
import { boundChildren } from '../expr/bound.js';
import type { NamedExpr } from '../expr/analyze.js';
import type { AggregateNode } from '../plan/logical.js';
import type { StatelessStep } from './chain-code.js';

/** The columns code reads: each whole, or only some of its struct fields. */
export type Reads = Map<string, 'all' | Set<string>>;

function read(into: Reads, column: string, field: string | null): void {
  const now = into.get(column);
  if (now === 'all') return;
  if (field === null) into.set(column, 'all');
  else if (now) now.add(field);
  else into.set(column, new Set([field]));
}

/** Adds the columns `e` reads (a struct column read only through `col.field` counts those fields). */
export function readsOf(e: BoundExpr, into: Reads = new Map()): Reads {
  if (e.k === 'ref') read(into, e.name, null);
  else if (e.k === 'field' && e.child.k === 'ref') read(into, e.child.name, e.name);
  else for (const c of boundChildren(e)) readsOf(c, into);
  return into;
}

/** What an aggregation reads of its input rows. */
export function aggregateReads(node: AggregateNode): Reads {
  const reads: Reads = new Map();
  for (const k of node.keys) readsOf(k.expr, reads);
  for (const a of node.aggregates) for (const x of a.args) readsOf(x, reads);
  if (node.window) {
    readsOf(node.window.timeColumn, reads);
    if (node.window.kind === 'session' && node.window.gapExpr) readsOf(node.window.gapExpr, reads);
  }
  return reads;
}

/**
 * The steps with what the consumer does not need pruned, given what it reads (`all`: the whole
 * rows, as the chain operator's output; nothing is pruned then).
 */
export function pruneSteps(steps: readonly StatelessStep[], consumerReads: Reads | 'all'): StatelessStep[] {
  const out = [...steps];
  let reads = consumerReads;
  for (let i = out.length - 1; i >= 0 && reads !== 'all'; i--) {
    const step = out[i]!;
    switch (step.k) {
      case 'columns':
        break;
      case 'filter':
        readsOf(step.condition, reads);
        break;
      case 'watermark':
        read(reads, step.stats.column, null);
        break;
      case 'map': case 'flatMap':
        reads = 'all';
        break;
      case 'lookupJoin': {
        const { node, streamSide } = step.join;
        const before: Reads = new Map();
        if (node.joinType === 'leftSemi' || node.joinType === 'leftAnti') {
          for (const [c, r] of reads) before.set(c, r);
        } else {
          const after = reads;
          out[i] = { ...step, outputs: node.outputs.filter((o) => after.has(o.name)).map((o) => o.name) };
          for (const o of node.outputs) {
            const r = reads.get(o.name);
            if (r === undefined) continue;
            const streamColumn = streamSide === 'left' ? o.left : o.right;
            const other = streamSide === 'left' ? o.right : o.left;
            if (streamColumn !== null) for (const f of r === 'all' || other !== null ? [null] : r) read(before, streamColumn, f);
          }
        }
        // The keys and conditions read the pair row: `left.x` is the left side's column x.
        const pair: Reads = new Map();
        for (const e of [...node.leftKeys, ...node.rightKeys, ...node.residual]) readsOf(e, pair);
        const side = pair.get(streamSide);
        if (side === 'all') reads = 'all';
        else {
          for (const c of side ?? []) read(before, c, null);
          reads = before;
        }
        break;
      }
      case 'project': {
        const before: Reads = new Map();
        if (step.generator) {
          for (const it of step.items) readsOf(it.expr, before);
          readsOf(step.generator.input, before);
          reads = before;
          break;
        }
        const items: NamedExpr[] = [];
        for (const it of step.items) {
          const r = reads.get(it.name);
          if (r === undefined && harmless(it.expr)) continue;
          const expr = r instanceof Set ? narrow(it.expr, r) : it.expr;
          items.push(expr === it.expr ? it : { ...it, expr });
          readsOf(expr, before);
        }
        out[i] = { k: 'project', items };
        reads = before;
        break;
      }
    }
  }
  return out;
}

/** A struct-returning call read only for `fields` returns only them, when its function can. */
function narrow(e: BoundExpr, fields: ReadonlySet<string>): BoundExpr {
  if (e.k !== 'call' || !e.fn.project || e.type.kind !== 'struct') return e;
  const fn = e.fn.project([...fields]);
  return { ...e, fn, type: fn.type };
}

/** Computing `e` can neither drop a row, fail, nor differ between calls: it may be left out when unread. */
function harmless(e: BoundExpr): boolean {
  switch (e.k) {
    case 'ref': case 'lit': return true;
    case 'field': case 'item': case 'struct': return boundChildren(e).every(harmless);
    default: return false;
  }
}
