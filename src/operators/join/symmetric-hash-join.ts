// The stream-stream join (Spark's StreamingSymmetricHashJoinExec). Both inputs are buffered in
// keyed state; each row is matched against the other side's buffer, then buffered itself, so
// every matching pair is emitted exactly once, by whichever of its two rows came second. As in
// Spark, an epoch's left rows are processed first (as they arrive) and its right rows after all
// of them (held until the epoch's end), so a right row has met every left row of its epoch and
// is only buffered when a future left row could still match it (OneSideHashJoiner's
// add-to-state rule): numRowsUpdated and numRowsTotal are Spark's. A left semi join keeps its
// state as Spark 4.2 is observed to (its state store, read batch by batch; the conformance case
// stream_left_semi): the epoch's right rows go first, a left row they match is emitted and
// leaves the state, and a left row that matches a buffered right row is emitted and never
// buffered, so only left rows still waiting for their first match are kept. At the end of an
// epoch the watermark evicts rows that can never match again (state-watermark.ts); in an outer
// join an evicted row that never matched is emitted null-padded then. Rows at or below the
// previous epoch's watermark are dropped as late. The state is checkpointed by the runtime, so a
// restart resumes with the same buffers and matched flags.
import type { Row } from '../../data/row.js';
import type { OperatorContext, OperatorLogic } from '../../actors/operator.js';
import type { JoinNode } from '../../plan/logical.js';
import type { StoreMetrics } from '../../state/keyed-store.js';
import { compileJoinFunctions, evictionTimeOf } from './join-functions.js';
import { JoinSideState } from './join-side-state.js';
import { JoinStore } from './join-store.js';
import type { JoinSide } from './pair.js';
import { JOIN_SIDES, otherSide } from './pair.js';
import { joinStateWatermarks, stateWatermarkMs } from './state-watermark.js';

/** The keyed store of each side: equi-join key → buffered rows. */
export const JOIN_STORES: Readonly<Record<JoinSide, string>> = { left: 'left-keyToRows', right: 'right-keyToRows' };

export function symmetricHashJoin(node: JoinNode): OperatorLogic {
  const f = compileJoinFunctions(node);
  const eviction = joinStateWatermarks(node);
  const evictionTime = { left: evictionTimeOf(node, 'left', eviction.left), right: evictionTimeOf(node, 'right', eviction.right) };
  const type = node.joinType;
  if (type === 'leftAnti') throw new Error('internal: a stream-stream left anti join reached the operator (start() refuses it)');
  const semi = type === 'leftSemi';
  const keepsUnmatched = { left: type === 'leftOuter' || type === 'fullOuter', right: type === 'rightOuter' || type === 'fullOuter' };
  // Whether a side's matched flags are ever read (outer emission; a semi join's matched left
  // rows, removed at once); flipping one re-writes its key's rows into the epoch's checkpoint
  // delta, so inner joins never do.
  const tracksMatches = { left: keepsUnmatched.left || semi, right: keepsUnmatched.right };
  const nullPadded = (side: JoinSide, row: Row): Row => (side === 'left' ? f.output(row, null) : f.output(null, row));
  const state = {} as Record<JoinSide, JoinSideState>;
  /** Each side's store, made by createStore (the runtime restores and snapshots it). */
  const stores: Partial<Record<JoinSide, JoinStore>> = {};
  /** The epoch's right rows, processed once every left row of the epoch has been. */
  let pendingRight: Row[][] = [];
  /** A left semi join's left rows of the epoch, processed after its right rows. */
  let pendingLeft: Row[][] = [];
  let dropped = 0;
  let lastEvictionWatermark = 0;
  let metrics: StoreMetrics = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0 };

  /**
   * Matches `rows` of `side` against the other side's buffer and buffers them. `evictedBy`
   * (right rows only, given the epoch's state watermark) says which rows this epoch's eviction
   * removes at once: those are not buffered, as no future left row can match them, unless an
   * outer join must still emit them null-padded.
   */
  const processSide = (side: JoinSide, rows: Row[], ctx: OperatorContext, evictedBy: number | null = null): void => {
    const own = f[side];
    const mine = state[side];
    const other = state[otherSide(side)];
    const buffered = other.store;
    const flipsMatched = tracksMatches[otherSide(side)];
    const eventTime = own.eventTime;
    const timeOf = evictionTime[side];
    const late = ctx.lateWatermarkMs;
    const out: Row[] = [];
    for (const row of rows) {
      if (eventTime !== null) {
        const t = eventTime(row);
        if (t !== null && t <= late) {
          dropped++;
          ctx.dropLate(row);
          continue;
        }
      }
      const key = own.filter(row) ? own.key(row) : undefined;
      if (key === undefined) {
        // It can match nothing (a one-side condition failed, or a null key): an outer side's row is final now.
        if (keepsUnmatched[side]) out.push(nullPadded(side, row));
        continue;
      }
      let matched = false;
      const slot = buffered.find(key);
      if (slot >= 0) {
        let flipped = false;
        const n = buffered.count(slot);
        for (let i = 0; i < n; i++) {
          const m = buffered.matchedAt(slot, i);
          // Left semi: a left row is emitted once, at its first match.
          if (semi && side === 'right' && m) continue;
          const r = buffered.rowAt(slot, i);
          if (!(side === 'left' ? f.matches(row, r) : f.matches(r, row))) continue;
          matched = true;
          if (semi) {
            if (side === 'left') break;
            out.push(r);
          } else {
            out.push(side === 'left' ? f.output(row, r) : f.output(r, row));
          }
          if (flipsMatched && !m) {
            buffered.setMatched(slot, i);
            flipped = true;
          }
        }
        // Left semi: an emitted left row is of no further use, so it leaves the state.
        if (semi && side === 'right' && matched) other.removeMatched(slot);
        else if (flipped) buffered.touch(slot);
      }
      if (semi && side === 'left' && matched) {
        out.push(row);
        continue;
      }
      const t = timeOf === null ? null : timeOf(row);
      const evictedNow = evictedBy !== null && t !== null && t <= evictedBy;
      if (!evictedNow || (keepsUnmatched[side] && !matched)) mine.append(key, row, matched, t);
    }
    ctx.emit(out);
  };

  return {
    name: 'symmetricHashJoin',
    stores: [JOIN_STORES.left, JOIN_STORES.right],
    createStore(name, partitions) {
      const side: JoinSide = name === JOIN_STORES.left ? 'left' : 'right';
      const store = new JoinStore(name, partitions, node[side].schema.fields.map((c) => c.name));
      stores[side] = store;
      return store;
    },
    open() {
      for (const side of JOIN_SIDES) {
        const store = stores[side];
        if (store === undefined) throw new Error(`internal: the join's store '${JOIN_STORES[side]}' was never created`);
        state[side] = new JoinSideState(store, eviction[side] !== null);
      }
    },
    process(rows, input, ctx) {
      if (input !== 0) pendingRight.push(rows);
      else if (semi) pendingLeft.push(rows);
      else processSide('left', rows, ctx);
    },
    onEpochEnd(_barrier, ctx) {
      const watermark = ctx.evictionWatermarkMs;
      const rightEviction = eviction.right === null ? null : stateWatermarkMs(eviction.right, watermark);
      for (const rows of pendingRight) processSide('right', rows, ctx, rightEviction);
      pendingRight = [];
      for (const rows of pendingLeft) processSide('left', rows, ctx);
      pendingLeft = [];
      const out: Row[] = [];
      for (const side of JOIN_SIDES) {
        const e = eviction[side];
        if (e === null) continue;
        const emit = keepsUnmatched[side];
        state[side].evict(stateWatermarkMs(e, watermark), (row, matched) => { if (emit && !matched) out.push(nullPadded(side, row)); });
      }
      lastEvictionWatermark = watermark;
      const left = state.left.takeEpochCounts();
      const right = state.right.takeEpochCounts();
      metrics = {
        numRowsTotal: state.left.rows + state.right.rows,
        numRowsUpdated: left.added + right.added,
        numRowsRemoved: left.removed + right.removed,
      };
      const c = ctx.counters;
      c['numRowsDroppedByWatermark'] = (c['numRowsDroppedByWatermark'] ?? 0) + dropped;
      dropped = 0;
      c['leftRows'] = state.left.rows;
      c['rightRows'] = state.right.rows;
      c['leftKeys'] = state.left.keys;
      c['rightKeys'] = state.right.keys;
      c['leftRowsRemoved'] = left.removed;
      c['rightRowsRemoved'] = right.removed;
      ctx.emit(out);
    },
    wantsNoDataBatch(nextWatermarkMs: number, at?: { readonly lastEvictionWatermarkMs: number }) {
      // `at` (when the engine passes it) knows the last eviction watermark across a restart too.
      const last = at?.lastEvictionWatermarkMs ?? lastEvictionWatermark;
      return (eviction.left !== null || eviction.right !== null) && nextWatermarkMs > last;
    },
    outputWatermark(inputWatermarkMs) {
      // Rows of either side down to its state watermark may still be emitted (Spark 3.5's join output watermark).
      let wm = inputWatermarkMs;
      for (const side of JOIN_SIDES) {
        const e = eviction[side];
        if (e !== null) wm = Math.min(wm, stateWatermarkMs(e, inputWatermarkMs));
      }
      return wm;
    },
    stateMetrics() {
      return metrics;
    },
  };
}
