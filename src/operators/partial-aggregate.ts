// The map side of a streaming aggregation (Spark's partial aggregate before a shuffle, the
// map-side combine): where rows are read, before the exchange, each group's rows are folded
// into one partial entry with the same generated update the state uses (window assignment,
// late-row check, accumulators), so the exchange carries one row per group touched instead of
// one per input row. At the end of the epoch, or when it holds too many groups, it emits the
// partials with their state keys; the owner of each key group merges them (streamingAggregate
// with input 'partials'). Nothing here is state: a restart simply recomputes the partials.
import type { OperatorContext, OperatorLogic } from '../actors/operator.js';
import type { Row } from '../data/row.js';
import type { AggregateNode, OutputMode } from '../plan/logical.js';
import type { GroupEntry, PartialRow, RunState } from './aggregate.js';
import { LateGroups, compileUpdate } from './aggregate.js';

/** Groups held before an early flush: bounds the map side's memory within a large epoch. */
export const PARTIAL_FLUSH_GROUPS = 65_536;

export function partialAggregate(node: AggregateNode, mode: OutputMode, flushGroups = PARTIAL_FLUSH_GROUPS): OperatorLogic {
  if (node.window?.kind === 'session') throw new Error('internal: session windows merge sessions at their owner, without a partial aggregate');
  const evicts = node.eventTime !== null && mode !== 'complete';
  const update = compileUpdate(node, node.window, evicts);
  let groups = new Map<string, GroupEntry>();
  const view = { get: (key: string) => groups.get(key), put: (key: string, e: GroupEntry) => { groups.set(key, e); } };
  let st: RunState = { lateWatermarkMs: 0, ctx: null, late: new LateGroups(), epoch: 0, windows: new Map() };

  const flush = (ctx: OperatorContext): void => {
    if (groups.size === 0) return;
    const out: Row[] = [];
    for (const [key, e] of groups) out.push({ key, k: e.k, w: e.w, a: e.a } satisfies PartialRow);
    groups = new Map();
    st = { lateWatermarkMs: st.lateWatermarkMs, ctx: st.ctx, late: st.late, epoch: st.epoch + 1, windows: new Map() };
    ctx.emit(out);
  };

  return {
    name: 'partialAggregate',
    stores: [],
    process(rows, _input, ctx) {
      st.lateWatermarkMs = ctx.lateWatermarkMs;
      st.ctx = ctx;
      update(rows, view, st);
      if (groups.size >= flushGroups) flush(ctx);
    },
    onEpochEnd(_b, ctx) {
      flush(ctx);
      // Late groups as Spark counts them after its partial aggregation: once per group per task and epoch.
      const late = st.late.take();
      if (late > 0) ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + late;
    },
  };
}
