// Plans groupBy(...).agg(...): window / session_window grouping columns, aggregate calls
// pulled out of arbitrary expressions into slots, and the event-time column bounding the state.
import { AnalysisError } from '../errors.js';
import type { NamedExpr } from '../expr/analyze.js';
import { bind, bindProjection, projectionSchema } from '../expr/analyze.js';
import type { BoundExpr } from '../expr/bound.js';
import { checkArity, isAggregateName, lookupAggregate } from '../expr/functions/registry.js';
import { parseDuration } from '../expr/interval.js';
import type { Expr } from '../expr/tree.js';
import { autoName, sqlText, transformDown, walk } from '../expr/tree.js';
import type { Field, StructType } from '../expr/types.js';
import { TIMESTAMP, fieldOf, structOf, typeToString } from '../expr/types.js';
import type { AggregateCall, AggregateNode, LogicalPlan, SessionWindowSpec, TimeWindowSpec } from './logical.js';

export function aggregate(child: LogicalPlan, groupBy: readonly Expr[], aggs: readonly Expr[], operatorName?: string): AggregateNode {
  if (aggs.length === 0) throw new AnalysisError('agg() needs at least one aggregate, e.g. agg(count(lit(1)))');
  const keys: NamedExpr[] = [];
  let window: TimeWindowSpec | SessionWindowSpec | null = null;
  const keyFields: Field[] = [];
  for (const g of groupBy) {
    const w = windowSpec(g, child.schema);
    if (w) {
      if (window) throw new AnalysisError('only one window() or session_window() may be used as a grouping column');
      window = w;
      keyFields.push(windowField(w, child.schema));
      continue;
    }
    const [named] = bindProjection([g], child.schema);
    if (named!.expr.type.kind === 'map') throw new AnalysisError(`cannot group by ${named!.name}: map columns are not comparable`);
    keys.push(named!);
    keyFields.push(fieldOf(named!.name, named!.expr.type, named!.nullable, named!.metadata));
  }
  if (window?.kind === 'session' && keys.length === 0 && isStreamingPlan(child)) {
    // Spark requires another grouping column for streaming session windows.
    throw new AnalysisError('session_window() on a stream needs at least one more grouping column, e.g. groupBy(col("user"), session_window(...))');
  }

  const calls: AggregateCall[] = [];
  const rewritten = aggs.map((a) => extractAggregates(a, child.schema, calls));
  if (calls.length === 0) {
    throw new AnalysisError(`agg() got no aggregate function in [${aggs.map(sqlText).join(', ')}]; use e.g. sum(col('x')) or count(lit(1))`);
  }
  const intermediate = structOf([...keyFields, ...calls.map((c) => fieldOf(c.slot, c.fn.type))]);
  const keyOutputs: NamedExpr[] = keyFields.map((f) => ({
    name: f.name, expr: { k: 'ref', name: f.name, type: f.type }, nullable: f.nullable,
    ...(f.metadata ? { metadata: f.metadata } : {}),
  }));
  const aggOutputs = bindProjection(rewritten, intermediate).map((o, i) => ({ ...o, name: outputName(aggs[i]!) }));
  const outputs = [...keyOutputs, ...aggOutputs];
  const eventTimeField = keyFields.find((f) => f.metadata?.watermarkDelayMs !== undefined);
  return {
    k: 'aggregate', child, keys, window, aggregates: calls, outputs,
    schema: projectionSchema(outputs),
    eventTime: eventTimeField
      ? { column: eventTimeField.name, isWindow: window !== null && eventTimeField.name === window.name, delayMs: eventTimeField.metadata!.watermarkDelayMs! }
      : null,
    ...(operatorName ? { operatorName } : {}),
  };
}

function outputName(e: Expr): string {
  return e.k === 'alias' ? e.name : autoName(e);
}

/** Replaces each aggregate call in `e` by a reference to a new slot, binding its arguments. */
function extractAggregates(e: Expr, input: StructType, calls: AggregateCall[]): Expr {
  return transformDown(e, (node) => {
    if (node.k !== 'call' || !isAggregateName(node.name)) return undefined;
    for (const a of node.args) {
      walk(a, (inner) => {
        if (inner.k === 'call' && isAggregateName(inner.name)) {
          throw new AnalysisError(`aggregate function ${inner.name}() cannot be nested inside ${node.name}()`);
        }
      });
    }
    const def = lookupAggregate(node.name)!;
    const args = node.args.filter((a) => a.k !== 'star');
    checkArity(node.name, def.minArgs, def.maxArgs, args.length);
    const bound: BoundExpr[] = args.map((a) => bind(a, input));
    const distinct = node.distinct ?? false;
    const fn = { ...def.bind(bound, distinct, node.options), origin: { name: node.name, distinct, ...(node.options ? { options: node.options } : {}) } };
    const slot = `__agg${calls.length}`;
    calls.push({ fn, args: bound, slot, distinct: node.distinct ?? false });
    return { k: 'col', path: [slot] };
  });
}

/** Recognises window(...) and session_window(...) (possibly aliased) among grouping columns. */
function windowSpec(g: Expr, schema: StructType): TimeWindowSpec | SessionWindowSpec | null {
  const name = g.k === 'alias' ? g.name : undefined;
  const c = g.k === 'alias' ? g.child : g;
  if (c.k !== 'call') return null;
  const fname = c.name.toLowerCase();
  if (fname !== 'window' && fname !== 'session_window') return null;
  const timeColumn = bind(c.args[0] ?? fail(`${fname}() needs a time column`), schema);
  const tc = timeColumn.type.kind === 'struct' ? windowTime(timeColumn) : timeColumn;
  if (tc.type.kind !== 'timestamp') {
    throw new AnalysisError(`${fname}() needs a timestamp column, but ${sqlText(c.args[0]!)} is ${typeToString(tc.type)}; convert it with toTimestamp()`);
  }
  const opt = (key: string, index: number): string | number | undefined => {
    const o = c.options?.[key];
    if (typeof o === 'string' || typeof o === 'number') return o;
    const a = c.args[index];
    if (a?.k === 'lit' && (typeof a.value === 'string' || typeof a.value === 'number')) return a.value;
    if (a?.k === 'interval') return a.ms;
    if (a) return undefined;
    return undefined;
  };
  if (fname === 'session_window') {
    const gap = opt('gapDuration', 1);
    const gapArg = c.args[1];
    if (gap !== undefined) {
      const gapMs = parseDuration(gap, 'session gap');
      if (gapMs <= 0) throw new AnalysisError(`session_window gap must be positive, got '${gap}'`);
      return { kind: 'session', timeColumn: tc, gapMs, gapExpr: null, name: name ?? 'session_window' };
    }
    if (!gapArg) throw new AnalysisError('session_window() needs a gap duration, e.g. session_window(col("ts"), "5 minutes")');
    return { kind: 'session', timeColumn: tc, gapMs: null, gapExpr: bind(gapArg, schema), name: name ?? 'session_window' };
  }
  const win = opt('windowDuration', 1);
  if (win === undefined) throw new AnalysisError("window() needs a duration, e.g. window(col('ts'), '15 minutes')");
  const windowMs = parseDuration(win, 'window duration');
  const slide = opt('slideDuration', 2);
  const slideMs = slide === undefined ? windowMs : parseDuration(slide, 'slide duration');
  const start = opt('startTime', 3);
  const startMs = start === undefined ? 0 : parseSigned(start);
  if (windowMs <= 0) throw new AnalysisError(`window duration must be positive, got '${win}'`);
  if (slideMs <= 0) throw new AnalysisError(`slide duration must be positive, got '${slide}'`);
  if (slideMs > windowMs) throw new AnalysisError(`slide duration (${slide}) must be less than or equal to the window duration (${win})`);
  if (Math.abs(startMs) >= slideMs) throw new AnalysisError(`the absolute value of startTime (${start}) must be less than the slide duration (${slide ?? win})`);
  return { kind: 'window', timeColumn: tc, windowMs, slideMs, startMs, name: name ?? 'window' };
}

function parseSigned(v: string | number): number {
  if (typeof v === 'number') return v;
  const t = v.trim();
  return t.startsWith('-') ? -parseDuration(t.slice(1), 'start time') : parseDuration(t, 'start time');
}

/** window_time: a window struct used as a time is its end minus 1 ms (chained windows). */
function windowTime(w: BoundExpr): BoundExpr {
  const end: BoundExpr = { k: 'field', child: w, name: 'end', type: TIMESTAMP };
  return { k: 'tsAdd', child: end, ms: -1, months: 0, type: TIMESTAMP };
}

function windowField(w: TimeWindowSpec | SessionWindowSpec, schema: StructType): Field {
  const delay = watermarkDelayOf(w.timeColumn, schema);
  const type = structOf([fieldOf('start', TIMESTAMP), fieldOf('end', TIMESTAMP)]);
  // Never null (a row without a time belongs to no window), as Spark's window column.
  return fieldOf(w.name, type, false, delay === undefined ? undefined : { watermarkDelayMs: delay });
}

/** The watermark delay of the column an expression reads directly, if it has one. */
function watermarkDelayOf(e: BoundExpr, schema: StructType): number | undefined {
  let base: BoundExpr = e;
  while (base.k === 'field' || base.k === 'tsAdd' || base.k === 'cast') base = base.child;
  if (base.k !== 'ref') return undefined;
  return schema.fields.find((f) => f.name === base.name)?.metadata?.watermarkDelayMs;
}

function isStreamingPlan(p: LogicalPlan): boolean {
  if (p.k === 'source') return true;
  if (p.k === 'static') return false;
  if (p.k === 'join') return isStreamingPlan(p.left) || isStreamingPlan(p.right);
  if (p.k === 'union') return p.children.some(isStreamingPlan);
  return isStreamingPlan(p.child);
}

function fail(msg: string): never {
  throw new AnalysisError(msg);
}
