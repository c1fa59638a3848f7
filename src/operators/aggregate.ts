// The streaming aggregation (Spark's StateStoreSave): one state entry per group (and tumbling or
// sliding window), updated as chunks arrive; at the end of each epoch it emits what the output
// mode asks for and evicts what the watermark allows (SEMANTICS §4):
//   complete: every group, no late filter, no eviction;
//   update:   the groups this epoch changed, then groups at or below the watermark are dropped;
//   append:   groups at or below the watermark are dropped and emitted, each exactly once.
// Rows whose window (or event-time key) is at or below the previous epoch's watermark are late:
// dropped and counted as Spark counts them (see LateGroups). The per-row work is one generated
// function.
import { isDate } from 'node:util/types';
import type { Row } from '../actors/messages.js';
import type { NoDataBatchContext, OperatorContext, OperatorLogic } from '../actors/operator.js';
import { Codegen, quote } from '../expr/codegen.js';
import type { AggregateNode, OutputMode, TimeWindowSpec } from '../plan/logical.js';
import { compileAggregateOutput } from './aggregate-output.js';
import { compositeKey, groupKey, singleKey } from './group-key.js';
import { timeWindowLoopCode } from './window-assignment.js';
import { rowsByMode } from './rows-by-mode.js';

/** A group's state: its key values, its window start (ms) if windowed, its accumulators. */
export interface GroupEntry {
  k: unknown[];
  w: number | null;
  a: unknown[];
}

const STORE = 'default';
const WINDOW_KEY_SEPARATOR = '\u0003';
/** The store key of the one group of an aggregation without grouping keys. */
const GLOBAL_KEY = '';

/**
 * numRowsDroppedByWatermark as Spark counts it: its late filter (StateStoreSaveExec) runs after
 * the partial aggregation has merged each grouping key's rows into one, so an epoch's late rows
 * count once per late group (window and keys), not once per input row: three late rows of one
 * window count 1, a late row of a sliding window counts once per late window it falls in.
 */
class LateGroups {
  private readonly seen = new Set<string>();

  /** A late row of the group with this key was dropped. */
  add(groupKey: string): void {
    this.seen.add(groupKey);
  }

  /** The late groups of the epoch, then forgets them for the next. */
  take(): number {
    const n = this.seen.size;
    this.seen.clear();
    return n;
  }
}

/** Scratch the generated update reads and writes. */
interface RunState {
  lateWatermarkMs: number;
  late: LateGroups;
  /** The operator's context while a chunk is processed: late rows go to its dropLate. */
  ctx: OperatorContext | null;
  /** Counts epochs, so an entry is put in the store once per epoch, however many rows touch it. */
  epoch: number;
  /**
   * Windowed aggregations: the store's entries by window start, then grouping key. A row finds
   * its group without building and hashing a composite key; the store stays the state of
   * record (a miss falls back to it, so restored entries are found).
   */
  windows: Map<number, Map<string, GroupEntry>>;
}

/** Marks the epoch an entry was last put in; symbol-keyed, so it is never serialised with the entry. */
const PUT_IN_EPOCH = Symbol('putInEpoch');

type UpdateFn = (rows: Row[], store: OperatorStoreView, st: RunState) => void;

interface OperatorStoreView {
  get(key: string): GroupEntry | undefined;
  put(key: string, value: GroupEntry): void;
}

export function streamingAggregate(node: AggregateNode, mode: OutputMode): OperatorLogic {
  const window = node.window;
  if (window?.kind === 'session') {
    throw new Error('internal: session windows are planned by sessionWindowAggregate, not streamingAggregate');
  }
  // Complete mode keeps every group forever, so nothing is late and nothing is evicted.
  const evicts = node.eventTime !== null && mode !== 'complete';
  const update = compileUpdate(node, window, evicts);
  const output = compileAggregateOutput<GroupEntry>(node, window ? `{ start: new Date(e.w), end: new Date(e.w + ${window.windowMs}) }` : null);
  const st: RunState = { lateWatermarkMs: 0, late: new LateGroups(), ctx: null, epoch: 0, windows: new Map() };
  const eventTimeOf = evicts ? eventTimeReader(node) : () => null;
  const global = node.keys.length === 0 && !window;

  return {
    name: 'stateStoreSave',
    stores: [STORE],
    process(rows: Row[], _input: number, ctx: OperatorContext) {
      st.lateWatermarkMs = ctx.lateWatermarkMs;
      st.ctx = ctx;
      update(rows, ctx.store<GroupEntry>(STORE), st);
    },
    onEpochEnd(_b, ctx) {
      const store = ctx.store<GroupEntry>(STORE);
      const wm = ctx.evictionWatermarkMs;
      // A global aggregation (no grouping keys) has one group that every batch updates, an
      // empty one too: Spark aggregates empty input to one row (count 0), saves it and, in
      // update mode, emits it.
      if (global) store.put(GLOBAL_KEY, store.get(GLOBAL_KEY) ?? { k: [], w: null, a: node.aggregates.map((a) => a.fn.init()) });
      const out = rowsByMode(mode, store, output);
      if (evicts) {
        const expired: string[] = [];
        for (const [key, e] of store.entries()) {
          const t = eventTimeOf(e);
          if (t !== null && t <= wm) {
            expired.push(key);
            if (mode === 'append') out.push(output(e));
          }
        }
        for (const key of expired) {
          const e = store.get(key)!;
          store.delete(key);
          forgetWindowed(st.windows, e);
        }
      }
      st.epoch++;
      ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + st.late.take();
      ctx.emit(out);
    },
    // As Spark (every stateful operator gets the global watermark): a moved watermark runs a
    // batch in append and update mode, even when this aggregation has nothing to evict.
    wantsNoDataBatch(nextWatermarkMs: number, at?: NoDataBatchContext) {
      return mode !== 'complete' && nextWatermarkMs > (at?.lastEvictionWatermarkMs ?? 0);
    },
  };
}

/** The event time an entry is evicted by: its window's end, or its event-time key (null: never). */
function eventTimeReader(node: AggregateNode): (e: GroupEntry) => number | null {
  const et = node.eventTime!;
  const w = node.window;
  if (et.isWindow && w?.kind === 'window') {
    const windowMs = w.windowMs;
    return (e) => e.w! + windowMs;
  }
  const index = node.keys.findIndex((k) => k.name === et.column);
  return (e) => {
    const t = e.k[index];
    if (isDate(t)) return t.getTime();
    // A watermarked window struct used as a plain grouping key: its end bounds it.
    const end = (t as { end?: unknown } | null)?.end;
    return isDate(end) ? end.getTime() : null;
  };
}

/** Drops an evicted entry from the window index. */
function forgetWindowed(windows: RunState['windows'], e: GroupEntry): void {
  if (e.w === null) return;
  const groups = windows.get(e.w);
  if (!groups) return;
  groups.delete(groupKey(e.k));
  if (groups.size === 0) windows.delete(e.w);
}

/** Generates the per-chunk update: keys, window assignment, late check, accumulator updates. */
function compileUpdate(node: AggregateNode, w: TimeWindowSpec | null, dropLate: boolean): UpdateFn {
  const g = new Codegen();
  g.skipRow = 'continue L0';
  const body: string[] = ['L0: for (let i = 0; i < rows.length; i++) {', 'const r0 = rows[i];'];
  const keyVals = node.keys.map((k) => g.value(k.expr, 'r0'));
  const argVals = node.aggregates.map((a) => a.args.map((x) => g.value(x, 'r0')));
  body.push(...g.takeLines());
  const fns = node.aggregates.map((a) => g.constant(a.fn));
  const encodeSingle = g.constant(singleKey);
  const encodeMany = g.constant(compositeKey);
  const keysOnly = keyVals.length === 0 ? quote(GLOBAL_KEY) : keyVals.length === 1 ? `${encodeSingle}(${keyVals[0]})` : `${encodeMany}([${keyVals.join(', ')}])`;
  // A window start is a decimal integer, so the first separator after it ends it: the key of
  // (window, keys) is the start, the separator, then the keys' own key.
  const windowKey = (windowVar: string, groupKeyVar: string): string => `${windowVar} + ${quote(WINDOW_KEY_SEPARATOR)} + ${groupKeyVar}`;
  const fresh = (windowVar: string | null): string =>
    `{ k: [${keyVals.join(', ')}], w: ${windowVar ?? 'null'}, a: [${fns.map((f) => `${f}.init()`).join(', ')}] }`;
  const accumulate = node.aggregates.map((a, j) => `e.a[${j}] = ${a.fn.updateCode
    ? a.fn.updateCode(`e.a[${j}]`, argVals[j]!)
    : `${fns[j]}.update(e.a[${j}]${argVals[j]!.map((v) => `, ${v}`).join('')})`};`);
  const mark = g.constant(PUT_IN_EPOCH);
  const upsert = (windowVar: string | null): string[] => windowVar === null
    ? [
      `const key = ${keysOnly};`,
      'let e = store.get(key);',
      `if (e === undefined) e = ${fresh(null)};`,
      ...accumulate,
      'store.put(key, e);',
    ]
    : [
      `const gk = ${keysOnly};`,
      `let groups = st.windows.get(${windowVar});`,
      `if (groups === undefined) { groups = new Map(); st.windows.set(${windowVar}, groups); }`,
      'let e = groups.get(gk);',
      'if (e === undefined) {',
      `  e = store.get(${windowKey(windowVar, 'gk')});`,
      `  if (e === undefined) e = ${fresh(windowVar)};`,
      '  groups.set(gk, e);',
      '}',
      ...accumulate,
      `if (e[${mark}] !== st.epoch) { e[${mark}] = st.epoch; store.put(${windowKey(windowVar, 'gk')}, e); }`,
    ];
  if (w) {
    const t = g.value(w.timeColumn, 'r0');
    body.push(...g.takeLines());
    // Rows without an event time belong to no window (Spark drops them).
    body.push(`if (${t} == null) continue L0;`, `const ms = ${t}.getTime();`, 'if (ms !== ms) continue L0; // an Invalid Date has no window');
    const loop = timeWindowLoopCode(w, 'ms', 'ws', 'L1');
    body.push(...loop.open);
    if (dropLate && node.eventTime?.isWindow) {
      // A window whose end is at or below the last epoch's watermark was already final.
      body.push(`if (ws + ${w.windowMs} <= st.lateWatermarkMs) { st.late.add(${windowKey('ws', keysOnly)}); st.ctx.dropLate(r0); ${loop.skip}; }`);
    }
    body.push(...lateKeyCheck(node, keyVals, dropLate, loop.skip, windowKey('ws', keysOnly)), ...upsert('ws'), loop.close);
  } else {
    body.push(...lateKeyCheck(node, keyVals, dropLate, 'continue L0', keysOnly), ...upsert(null));
  }
  body.push('}');
  return g.compile<UpdateFn>(['rows', 'store', 'st'], body);
}

/** The late check on a watermarked grouping key other than the window (a timestamp or a window struct). */
function lateKeyCheck(node: AggregateNode, keyVals: readonly string[], dropLate: boolean, skip: string, groupKey: string): string[] {
  if (!dropLate || !node.eventTime || node.eventTime.isWindow) return [];
  const idx = node.keys.findIndex((k) => k.name === node.eventTime!.column);
  const v = keyVals[idx]!;
  const type = node.keys[idx]!.expr.type;
  const ms = type.kind === 'struct' ? `(${v} == null || ${v}.end == null ? null : ${v}.end.getTime())` : `(${v} == null ? null : ${v}.getTime())`;
  return [`{ const et = ${ms}; if (et !== null && et <= st.lateWatermarkMs) { st.late.add(${groupKey}); st.ctx.dropLate(r0); ${skip}; } }`];
}
