// The streaming aggregation (Spark's StateStoreSave): one state entry per group (and window),
// updated as chunks arrive; at the end of each epoch it emits what the output mode asks for
// and evicts what the watermark allows. The per-row work is one generated function.
import { isDate } from 'node:util/types';
import type { Row } from '../actors/messages.js';
import type { OperatorContext, OperatorLogic } from '../actors/operator.js';
import { Codegen, quote } from '../expr/codegen.js';
import type { AggregateNode, OutputMode } from '../plan/logical.js';
import { compositeKey, singleKey } from './group-key.js';

/** A group's state: its key values, its window start (ms) if windowed, its accumulators. */
export interface GroupEntry {
  k: unknown[];
  w: number | null;
  a: unknown[];
}

const STORE = 'default';

interface RunState {
  lateWatermarkMs: number;
  dropped: number;
}

type UpdateFn = (rows: Row[], store: OperatorStoreView, st: RunState) => void;
type OutputFn = (e: GroupEntry) => Row;

interface OperatorStoreView {
  get(key: string): GroupEntry | undefined;
  put(key: string, value: GroupEntry): void;
}

export function streamingAggregate(node: AggregateNode, mode: OutputMode): OperatorLogic {
  const window = node.window;
  if (window?.kind === 'session') {
    throw new Error('session windows are planned by sessionAggregate, not streamingAggregate');
  }
  const evicts = node.eventTime !== null && mode !== 'complete';
  const update = compileUpdate(node, evicts);
  const output = compileOutput(node);
  const st: RunState = { lateWatermarkMs: 0, dropped: 0 };
  const keyIndex = node.eventTime && !node.eventTime.isWindow ? node.keys.findIndex((k) => k.name === node.eventTime!.column) : -1;
  const windowMs = window?.windowMs ?? 0;
  let lastEvictionWatermark = 0;

  /** The event time an entry is evicted by: its window end, or its event-time key. */
  const eventTimeOf = (e: GroupEntry): number => {
    if (node.eventTime!.isWindow) return e.w! + windowMs;
    const t = e.k[keyIndex];
    return isDate(t) ? t.getTime() : -Infinity;
  };

  return {
    name: 'stateStoreSave',
    stores: [STORE],
    process(rows: Row[], _input: number, ctx: OperatorContext) {
      st.lateWatermarkMs = ctx.lateWatermarkMs;
      update(rows, ctx.store<GroupEntry>(STORE), st);
    },
    onEpochEnd(_b, ctx) {
      const store = ctx.store<GroupEntry>(STORE);
      const wm = ctx.evictionWatermarkMs;
      const out: Row[] = [];
      if (mode === 'complete') {
        for (const [, e] of store.entries()) out.push(output(e));
      } else if (mode === 'update') {
        for (const key of store.changedKeys()) {
          const e = store.get(key);
          if (e) out.push(output(e));
        }
      }
      if (evicts) {
        const expired: string[] = [];
        for (const [key, e] of store.entries()) {
          if (eventTimeOf(e) <= wm) {
            expired.push(key);
            if (mode === 'append') out.push(output(e));
          }
        }
        for (const key of expired) store.delete(key);
      }
      lastEvictionWatermark = wm;
      ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + st.dropped;
      st.dropped = 0;
      ctx.emit(out);
    },
    wantsNoDataBatch(nextWatermarkMs: number) {
      return evicts && nextWatermarkMs > lastEvictionWatermark;
    },
  };
}

/** Generates the per-chunk update: keys, window assignment, late check, accumulator updates. */
function compileUpdate(node: AggregateNode, dropLate: boolean): UpdateFn {
  const g = new Codegen();
  g.skipRow = 'continue L0';
  const body: string[] = ['L0: for (let i = 0; i < rows.length; i++) {', 'const r0 = rows[i];'];
  const keyVals = node.keys.map((k) => g.value(k.expr, 'r0'));
  const argVals = node.aggregates.map((a) => a.args.map((x) => g.value(x, 'r0')));
  body.push(...g.takeLines());
  const fns = node.aggregates.map((a) => g.constant(a.fn));
  const encodeSingle = g.constant(singleKey);
  const encodeMany = g.constant(compositeKey);
  const keyExpr = (windowVar: string | null): string => {
    const parts = windowVar ? [windowVar, ...keyVals] : keyVals;
    if (parts.length === 0) return '""';
    if (!windowVar && keyVals.length === 1) return `${encodeSingle}(${keyVals[0]})`;
    if (windowVar && keyVals.length === 0) return `"" + ${windowVar}`;
    return `${encodeMany}([${parts.join(', ')}])`;
  };
  const upsert = (windowVar: string | null): string[] => [
    `const key = ${keyExpr(windowVar)};`,
    `let e = store.get(key);`,
    `if (e === undefined) e = { k: [${keyVals.join(', ')}], w: ${windowVar ?? 'null'}, a: [${fns.map((f) => `${f}.init()`).join(', ')}] };`,
    ...node.aggregates.map((a, j) => `e.a[${j}] = ${a.fn.updateCode
      ? a.fn.updateCode(`e.a[${j}]`, argVals[j]!)
      : `${fns[j]}.update(e.a[${j}]${argVals[j]!.map((v) => `, ${v}`).join('')})`};`),
    'store.put(key, e);',
  ];
  const w = node.window;
  if (w && w.kind === 'window') {
    const t = g.value(w.timeColumn, 'r0');
    body.push(...g.takeLines());
    const n = Math.ceil(w.windowMs / w.slideMs);
    body.push(
      `if (${t} == null) continue L0;`,
      `const ms = ${t}.getTime();`,
      `const rem = ((ms - ${w.startMs}) % ${w.slideMs} + ${w.slideMs}) % ${w.slideMs};`,
      `const lastStart = ms - rem;`,
      `L1: for (let j = 0; j < ${n}; j++) {`,
      `const ws = lastStart - j * ${w.slideMs};`,
      `if (!(ws <= ms && ms < ws + ${w.windowMs})) continue L1;`,
      ...(dropLate ? [`if (ws + ${w.windowMs} <= st.lateWatermarkMs) { st.dropped++; continue L1; }`] : []),
      ...upsert('ws'),
      '}',
    );
  } else {
    if (dropLate && node.eventTime) {
      const idx = node.keys.findIndex((k) => k.name === node.eventTime!.column);
      const v = keyVals[idx]!;
      body.push(`if (${v} != null && ${v}.getTime() <= st.lateWatermarkMs) { st.dropped++; continue L0; }`);
    }
    body.push(...upsert(null));
  }
  body.push('}');
  return g.compile<UpdateFn>(['rows', 'store', 'st'], body);
}

/** Generates entry → output row: the intermediate row (keys, window, results), then the outputs. */
function compileOutput(node: AggregateNode): OutputFn {
  const g = new Codegen();
  const lines: string[] = [];
  const fields: string[] = node.keys.map((k, i) => `${quote(k.name)}: e.k[${i}]`);
  const w = node.window;
  if (w && w.kind === 'window') {
    fields.push(`${quote(w.name)}: { start: new Date(e.w), end: new Date(e.w + ${w.windowMs}) }`);
  }
  node.aggregates.forEach((a, j) => fields.push(`${quote(a.slot)}: ${g.constant(a.fn)}.result(e.a[${j}])`));
  lines.push(`const m = { ${fields.join(', ')} };`);
  const values = node.outputs.map((o) => g.value(o.expr, 'm'));
  lines.push(...g.takeLines());
  lines.push(`return { ${node.outputs.map((o, i) => `${quote(o.name)}: ${values[i]}`).join(', ')} };`);
  return g.compile<OutputFn>(['e'], lines);
}
