// Aggregation over session windows (Spark's session_window with MergingSessions and the session
// state store operators): each row opens [t, t + gap) (a fixed gap or one per row); within a
// grouping key, sessions that overlap or touch merge, their accumulators merged. State holds
// one entry per session; a session whose end is at or below the watermark is final: append
// mode emits and evicts it, complete mode keeps and re-emits every session (SEMANTICS §3).
import type { Row } from '../data/row.js';
import type { NoDataBatchContext, OperatorContext, OperatorLogic } from '../actors/operator.js';
import { Codegen } from '../expr/codegen.js';
import { parseInterval } from '../expr/interval.js';
import type { AggregateNode, OutputMode, SessionWindowSpec } from '../plan/logical.js';
import type { KeyValueStore } from '../state/keyed-store.js';
import { compileAggregateOutput } from './aggregate-output.js';
import { compositeKey, singleKey } from './group-key.js';
import type { SessionBounds } from './window-assignment.js';
import { coverSession, eventSession } from './window-assignment.js';
import { rowsByMode } from './rows-by-mode.js';

/** One session of one key: the key values, the session's bounds, its accumulators. */
export interface SessionEntry extends SessionBounds {
  k: unknown[];
  a: unknown[];
}

const STORE = 'default';

/** Called by the generated row reader for every row with its keys, event time, gap and arguments. */
type RowSink = (keys: unknown[], ms: number | null, gap: unknown, args: unknown[][], row: Row) => void;
type ReadFn = (rows: Row[], sink: RowSink) => void;

export function sessionWindowAggregate(node: AggregateNode, mode: OutputMode): OperatorLogic {
  const spec = node.window;
  if (spec?.kind !== 'session') throw new Error('internal: sessionWindowAggregate needs a session_window grouping column');
  const evicts = node.eventTime?.isWindow === true && mode !== 'complete';
  const read = compileReader(node, spec);
  const output = compileAggregateOutput<(e: SessionEntry) => Row>(node, {
    params: ['e'], key: (i) => `e.k[${i}]`, accumulator: (j) => `e.a[${j}]`, window: { start: 'e.start', end: 'e.end' },
  });
  const fns = node.aggregates.map((a) => a.fn);
  const groupKey = sessionGroupKey(node);
  /** Each key's sessions, sorted by start and pairwise apart; the entries are the stored values. */
  const index = new Map<string, SessionEntry[]>();
  let dropped = 0;
  /** Keys with rows in this epoch; Spark rewrites every session of such a key (putRows). */
  const touched = new Set<string>();
  let sessionsWritten = 0;

  const absorb = (into: SessionEntry, from: SessionEntry): void => {
    into.a = into.a.map((acc, j) => fns[j]!.merge(acc, from.a[j]));
  };

  const add = (store: KeyValueStore<SessionEntry>, ctx: OperatorContext, keys: unknown[], ms: number | null, gap: unknown, args: unknown[][], row: Row): void => {
    const bounds = eventSession(ms, gapMs(gap));
    if (bounds === null) return;
    if (evicts && bounds.end <= ctx.lateWatermarkMs) {
      dropped++;
      ctx.dropLate(row);
      return;
    }
    const gk = groupKey(keys);
    touched.add(gk);
    let sessions = index.get(gk);
    if (!sessions) index.set(gk, (sessions = []));
    const cover = coverSession<SessionEntry>(sessions, bounds, (b) => ({ k: keys, start: b.start, end: b.end, a: fns.map((f) => f.init()) }), absorb);
    for (const gone of cover.removed) store.delete(sessionKey(gk, gone.start));
    const s = cover.session;
    if (cover.startBefore !== null && cover.startBefore !== s.start) store.delete(sessionKey(gk, cover.startBefore));
    for (let j = 0; j < fns.length; j++) s.a[j] = fns[j]!.update(s.a[j], ...args[j]!);
    store.put(sessionKey(gk, s.start), s);
  };

  return {
    name: 'sessionWindowStateStoreSaveExec',
    stores: [STORE],
    // All sessions of a key live in its key group, so one owner can merge them.
    partitionKey: sessionPartitionKey,
    restored(ctx: OperatorContext) {
      index.clear();
      for (const [, e] of ctx.store<SessionEntry>(STORE).entries()) {
        const gk = groupKey(e.k);
        const list = index.get(gk);
        if (list) list.push(e);
        else index.set(gk, [e]);
      }
      for (const list of index.values()) list.sort((x, y) => x.start - y.start);
    },
    process(rows: Row[], _input: number, ctx: OperatorContext) {
      const store = ctx.store<SessionEntry>(STORE);
      read(rows, (keys, ms, gap, args, row) => add(store, ctx, keys, ms, gap, args, row));
    },
    onEpochEnd(_b, ctx) {
      const store = ctx.store<SessionEntry>(STORE);
      const wm = ctx.evictionWatermarkMs;
      sessionsWritten = 0;
      for (const gk of touched) sessionsWritten += index.get(gk)?.length ?? 0;
      touched.clear();
      const out = rowsByMode(mode, store, output);
      if (evicts) {
        for (const [gk, sessions] of index) {
          // Sessions that are apart end in start order, so the final ones are a prefix.
          let n = 0;
          while (n < sessions.length && sessions[n]!.end <= wm) n++;
          if (n === 0) continue;
          for (const s of sessions.splice(0, n)) {
            store.delete(sessionKey(gk, s.start));
            if (mode === 'append') out.push(output(s));
          }
          if (sessions.length === 0) index.delete(gk);
        }
      }
      ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + dropped;
      dropped = 0;
      ctx.emit(out);
    },
    wantsNoDataBatch(nextWatermarkMs: number, at?: NoDataBatchContext) {
      return mode !== 'complete' && nextWatermarkMs > (at?.lastEvictionWatermarkMs ?? 0);
    },
    // Spark's session state manager puts all the sessions of each key the batch touched, changed
    // or not, and counts each put as an updated row (StreamingSessionWindowStateManager.putRows).
    stateMetrics: () => ({ numRowsUpdated: sessionsWritten }),
  };
}

/** The key of a group's values (its sessions' store keys start with it). */
export function sessionGroupKey(node: AggregateNode): (keys: unknown[]) => string {
  return node.keys.length === 1 ? (k) => singleKey(k[0]) : (k) => compositeKey(k);
}

/** The part of a session's store key that chooses its key group: its group's key. */
export function sessionPartitionKey(storeKey: string): string {
  return storeKey.slice(0, storeKey.lastIndexOf(SESSION_SEPARATOR));
}

const SESSION_SEPARATOR = '\u0002';

/**
 * A session's store key: its group's key, a separator, its start. Start is a plain number, so
 * the text after the last separator is the start and two sessions never share a key.
 */
function sessionKey(groupKey: string, start: number): string {
  return `${groupKey}${SESSION_SEPARATOR}${start}`;
}

const parsedGaps = new Map<string, number | null>();

/** A per-row gap: milliseconds, or an interval string ('5 minutes'); anything else is no gap (row dropped). */
function gapMs(gap: unknown): number | null {
  if (typeof gap === 'number') return gap;
  if (typeof gap !== 'string') return null;
  let ms = parsedGaps.get(gap);
  if (ms === undefined) {
    try {
      const i = parseInterval(gap);
      ms = i.months === 0 ? i.ms : null;
    } catch {
      ms = null; // as Spark's cast of a bad string to an interval: null, and the row is dropped
    }
    if (parsedGaps.size < 1024) parsedGaps.set(gap, ms);
  }
  return ms;
}

/** Generates the per-chunk reader: key values, event time, gap and aggregate arguments of each row. */
function compileReader(node: AggregateNode, spec: SessionWindowSpec): ReadFn {
  const g = new Codegen();
  g.skipRow = 'continue L0';
  const body: string[] = ['L0: for (let i = 0; i < rows.length; i++) {', 'const r0 = rows[i];'];
  const keys = node.keys.map((k) => g.value(k.expr, 'r0'));
  const t = g.value(spec.timeColumn, 'r0');
  const gap = spec.gapExpr ? g.value(spec.gapExpr, 'r0') : String(spec.gapMs);
  const args = node.aggregates.map((a) => `[${a.args.map((x) => g.value(x, 'r0')).join(', ')}]`);
  body.push(...g.takeLines());
  body.push(`sink([${keys.join(', ')}], ${t} == null ? null : ${t}.getTime(), ${gap}, [${args.join(', ')}], r0);`, '}');
  return g.compile<ReadFn>(['rows', 'sink'], body);
}
