// (flat)mapGroupsWithState (Spark's FlatMapGroupsWithStateExec): rows are grouped by the user's
// key over the epoch; at its end the user function runs once per key that had rows, then once
// per key whose timeout passed (no rows, hasTimedOut). After each call the key's state is
// deleted (no value and no timeout), written (updated, removed, or its timeout changed), or left.
import { isDate } from 'node:util/types';
import type { Barrier } from '../actors/messages.js';
import type { Row } from '../data/row.js';
import type { NoDataBatchContext, OperatorContext, OperatorLogic } from '../actors/operator.js';
import type { GroupStateNode } from '../plan/logical.js';
import type { ReadOnlyKeyValueStore } from '../state/keyed-store.js';
import { GroupStateImpl, NO_TIMESTAMP } from './group-state.js';
import { singleKey } from './group-key.js';

/** One key's stored state: the key itself (for timeout calls), the value (absent if removed), the timeout. */
export interface KeyStateEntry {
  k: unknown;
  s?: unknown;
  t: number;
}

const STORE = 'default';

export function flatMapGroupsWithState(node: GroupStateNode): OperatorLogic {
  const operator = node.single ? 'mapGroupsWithState' : 'flatMapGroupsWithState';
  const fields = node.schema.fields.map((f) => f.name);
  const lateColumn = node.timeout === 'EventTimeTimeout' ? node.eventTime?.column ?? null : null;
  const groups = new Map<string, { key: unknown; rows: Row[] }>();
  let dropped = 0;
  /** The earliest timeout in the state (Infinity: none), so idle triggers need not scan it. */
  let nextTimeoutMs = Infinity;
  const earliestTimeout = (store: ReadOnlyKeyValueStore<KeyStateEntry>): number => {
    let earliest = Infinity;
    for (const [, e] of store.entries()) if (e.t !== NO_TIMESTAMP && e.t < earliest) earliest = e.t;
    return earliest;
  };

  /** A row with exactly the output schema's fields, in order; missing ones are null. */
  const shape = (r: unknown): Row => {
    if (r === null || typeof r !== 'object') {
      throw new TypeError(`${operator}'s function must return rows (objects with the fields of outputSchema), but returned ${String(r)}`);
    }
    const out: Row = {};
    for (const f of fields) out[f] = (r as Row)[f] ?? null;
    return out;
  };

  return {
    name: 'flatMapGroupsWithState',
    stores: [STORE],
    restored(ctx: OperatorContext) {
      nextTimeoutMs = earliestTimeout(ctx.store<KeyStateEntry>(STORE));
    },
    process(rows: Row[], _input: number, ctx: OperatorContext) {
      for (const row of rows) {
        if (lateColumn !== null) {
          const t = row[lateColumn];
          if (isDate(t) && t.getTime() <= ctx.lateWatermarkMs) {
            dropped++;
            ctx.dropLate(row);
            continue;
          }
        }
        const key = node.keyFn(row);
        const ks = singleKey(key);
        let g = groups.get(ks);
        if (!g) groups.set(ks, (g = { key, rows: [] }));
        g.rows.push(row);
      }
    },
    onEpochEnd(b: Barrier, ctx: OperatorContext) {
      const store = ctx.store<KeyStateEntry>(STORE);
      const out: Row[] = [];
      const call = (ks: string, key: unknown, rows: Row[], stored: KeyStateEntry | undefined, timedOut: boolean): void => {
        // The function gets a copy of the state, as Spark deserialises it for every call: a change
        // it makes without update() is not kept.
        const state = new GroupStateImpl<unknown>(stored?.s === undefined ? undefined : structuredClone(stored.s), timedOut, {
          operator, timeout: node.timeout, batchTimestampMs: b.batchTimestampMs,
          watermarkMs: ctx.evictionWatermarkMs, watermarkPresent: node.eventTime !== null,
        });
        const result = node.fn(key, rows, state);
        if (node.single) out.push(shape(result));
        else {
          if (result === null || typeof (result as Iterable<Row>)[Symbol.iterator] !== 'function') {
            throw new TypeError(`flatMapGroupsWithState's function must return an iterable of rows (e.g. an array, [] for none), but returned ${String(result)}`);
          }
          for (const r of result as Iterable<Row>) out.push(shape(r));
        }
        const timeout = state.timeoutTimestampMs;
        // Removed with no timeout (Spark), or left with neither value nor timeout: nothing to keep,
        // and a call on a missing entry sees exactly the same.
        if (!state.exists && timeout === NO_TIMESTAMP) {
          if (stored) store.delete(ks);
        } else if (state.isUpdated || state.isRemoved || timeout !== (stored?.t ?? NO_TIMESTAMP)) {
          store.put(ks, state.exists ? { k: key, s: state.getOption(), t: timeout } : { k: key, t: timeout });
        }
      };

      for (const [ks, g] of groups) call(ks, g.key, g.rows, store.get(ks), false);
      groups.clear();

      if (node.timeout !== 'NoTimeout') {
        const threshold = node.timeout === 'ProcessingTimeTimeout' ? b.batchTimestampMs : ctx.evictionWatermarkMs;
        // A static frame runs with an infinite watermark: event-time timeouts only fire on streams.
        if (Number.isFinite(threshold)) {
          const timedOut: [string, KeyStateEntry][] = [];
          for (const [ks, e] of store.entries()) if (e.t !== NO_TIMESTAMP && e.t < threshold) timedOut.push([ks, e]);
          for (const [ks, e] of timedOut) call(ks, e.k, [], e, true);
        }
        nextTimeoutMs = earliestTimeout(store);
      }
      ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + dropped;
      dropped = 0;
      ctx.emit(out);
    },
    // As Spark: a batch on every trigger, whose time may time keys out.
    runsEveryTrigger: node.timeout === 'ProcessingTimeTimeout',
    wantsNoDataBatch(nextWatermarkMs: number, at?: NoDataBatchContext) {
      switch (node.timeout) {
        // A key's timeout has passed: the batch has work, which processAllAvailable() waits for.
        case 'ProcessingTimeTimeout':
          return at !== undefined && nextTimeoutMs < at.batchTimestampMs;
        case 'EventTimeTimeout':
          return nextWatermarkMs > (at?.lastEvictionWatermarkMs ?? 0);
        default:
          return false;
      }
    },
  };
}
