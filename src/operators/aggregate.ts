// The streaming aggregation (Spark's StateStoreSave): one state entry per group (and tumbling or
// sliding window), updated as chunks arrive; at the end of each epoch it emits what the output
// mode asks for and evicts what the watermark allows (SEMANTICS §4):
//   complete: every group, no late filter, no eviction;
//   update:   the groups this epoch changed, then groups at or below the watermark are dropped;
//   append:   groups at or below the watermark are dropped and emitted, each exactly once.
// Rows whose window (or event-time key) is at or below the previous epoch's watermark are late:
// dropped and counted as Spark counts them (LateGroups, aggregate-stage.ts). The per-row work is
// one generated function per chunk (aggregate-stage.ts),
// which also runs the stateless operators fused in front; the groups live in an AggTable, which
// is the operator's state store (agg-table.ts).
//
// Under master('local[N]'), the rows reach the owner of their key group already aggregated per
// group where they were read (partial-aggregate.ts): the owner merges those partial groups.
import { isDate } from 'node:util/types';
import type { Row } from '../data/row.js';
import type { NoDataBatchContext, OperatorContext, OperatorLogic } from '../actors/operator.js';
import type { BoundAggregate } from '../expr/functions/registry.js';
import type { AggregateNode, OutputMode } from '../plan/logical.js';
import { RowColumns } from '../data/chunk-codec.js';
import { compileAggregateColumns, compileAggregateOutput } from './aggregate-output.js';
import { AggTable, keyNormalizer } from './agg-table.js';
import type { CompiledStage, StageState } from './aggregate-stage.js';
import type { SplitEventTime } from './event-time-stats.js';
import { LateGroups, compileAggregateStage } from './aggregate-stage.js';
import type { StatelessStep } from './chain-code.js';
import type { ChainCounters } from './stateless-chain.js';
import { prepareLookups } from './join/lookup-join.js';
import { compileChain, eventTimeBySplit, locateFailure, lookupJoinsOf } from './stateless-chain.js';
import { groupKey } from './group-key.js';
import type { PartialRow } from './partial-aggregate.js';
import { PartialColumns, PartialSlots } from './partial-aggregate.js';

const STORE = 'default';

/** The stateless operators fused in front of the aggregation, run by its generated stage. */
export interface FusedInput {
  readonly steps: readonly StatelessStep[];
  readonly counters: ChainCounters;
}

const NO_INPUT: FusedInput = { steps: [], counters: { malformedDropped: 0 } };

/**
 * `input`: the stateless operators fused in front, or 'partials': the rows are partial groups
 * (PartialRow) from the threads that read them, merged into the state instead of aggregated.
 */
/**
 * `columnsPerChunk`: set where the output rows are only encoded (an owner's output to the driver
 * under local[N]): the output is emitted as RowColumns of up to that many rows each, taken from
 * the table without building row objects (when every output column is a plain grouping value,
 * window or aggregate; else rows).
 */
export function streamingAggregate(
  node: AggregateNode, mode: OutputMode, input: FusedInput | 'partials' = NO_INPUT, columnsPerChunk = 0,
): OperatorLogic & { readonly generatedCode: string } {
  const partials = input === 'partials';
  const fused = partials ? NO_INPUT : input;
  const window = node.window;
  if (window?.kind === 'session') {
    throw new Error('internal: session windows are planned by sessionWindowAggregate, not streamingAggregate');
  }
  // Complete mode keeps every group forever, so nothing is late and nothing is evicted.
  const evicts = node.eventTime !== null && mode !== 'complete';
  const stage = compileAggregateStage(node, fused.steps, evicts);
  const output = compileAggregateOutput<(t: AggTable, s: number) => Row>(node, {
    params: ['t', 's'],
    key: (i) => `t.keys[${i}][s]`,
    accumulator: (j) => (node.aggregates[j]!.fn.numericBuffer?.nullable
      ? `(t.accumulators[${j}].seen[s] === 0 ? null : t.accumulators[${j}].values[s])`
      : `t.accumulators[${j}].values[s]`),
    window: window ? { start: 't.windows[s]', end: `t.windows[s] + ${window.windowMs}` } : null,
  });
  const columns = columnsPerChunk > 0 ? compileAggregateColumns(node) : null;
  const fns = node.aggregates.map((a) => a.fn);
  const newTable = (partitions: number): AggTable =>
    new AggTable(STORE, partitions, window !== null, node.keys.map((k) => keyNormalizer(k.expr.type)), fns);
  // The runtime asks for the store (with the query's partitions); a batch query never does.
  let table = newTable(1);
  const st: StageState = { lateWatermarkMs: 0, late: new LateGroups(), ctx: null };
  const expired = evicts ? expiredGroups(node) : () => [];
  const joins = lookupJoinsOf(fused.steps);
  const eventTimeOf = eventTimeBySplit(fused.steps);
  // A global aggregation (no grouping keys, no window) has one group.
  const global = node.keys.length === 0 && !window;
  const runChunk = (rows: Row[], ctx: OperatorContext): void => {
    if (partials) mergePartials(rows as unknown as PartialRow[], table, fns);
    else runStage(stage, fused, rows, table, st, ctx, eventTimeOf(ctx.split));
  };

  return {
    name: 'stateStoreSave',
    stores: [STORE],
    generatedCode: stage.source,
    createStore(_name, partitions) {
      table = newTable(partitions);
      return table;
    },
    process(rows: Row[], _input: number, ctx: OperatorContext) {
      st.lateWatermarkMs = ctx.lateWatermarkMs;
      // A stream-static join in the stage reads its static side at the first rows of each epoch.
      if (joins.length) return prepareLookups(joins).then(() => runChunk(rows, ctx));
      runChunk(rows, ctx);
    },
    onEpochEnd(_b, ctx) {
      for (const j of joins) j.reset();
      const wm = ctx.evictionWatermarkMs;
      // Every batch updates the one group of a global aggregation, an empty one too: Spark
      // aggregates empty input to one row (count 0), saves it and, in update mode, emits it.
      // Under master('local[N]'), the thread that owns its key group does.
      if (global && ctx.ownsKey?.(groupKey([])) !== false) table.touch(table.findOrAdd([], null));
      // Output rows are built only now, from the groups: the ones the epoch changed, or all, or
      // (append) the ones the watermark evicts; before the evicted groups leave the table.
      const gone = evicts ? expired(table, wm) : [];
      const slots = mode === 'update' ? table.changedSlots() : mode === 'complete' ? [...table.slots()] : gone;
      const out: Row[] = [];
      if (columns) {
        for (let from = 0; from < slots.length; from += columnsPerChunk) {
          const to = Math.min(slots.length, from + columnsPerChunk);
          out.push(new RowColumns(to - from, columns(table, slots, from, to)) as unknown as Row);
        }
      } else {
        for (const slot of slots) out.push(output(table, slot));
      }
      for (const slot of gone) table.remove(slot);
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

/**
 * The groups whose event time is at or below the watermark: those of the windows that ended
 * by it (found among the windows, not the groups), or those whose event-time key is that old.
 */
function expiredGroups(node: AggregateNode): (table: AggTable, wm: number) => number[] {
  const et = node.eventTime!;
  const w = node.window;
  if (et.isWindow && w?.kind === 'window') return (table, wm) => table.slotsOfWindowsEndingBy(wm, w.windowMs);
  const index = node.keys.findIndex((k) => k.name === et.column);
  return (table, wm) => {
    const out: number[] = [];
    const keys = table.keys[index]!;
    for (const slot of table.slots()) {
      const t = keys[slot];
      // A watermarked window struct used as a plain grouping key: its end bounds it.
      const end = isDate(t) ? t : (t as { end?: unknown } | null)?.end;
      if (isDate(end) && end.getTime() <= wm) out.push(slot);
    }
    return out;
  };
}

/** Runs the generated stage over a chunk; a failure names the record that caused it. */
export function runStage(
  stage: CompiledStage, fused: FusedInput, rows: Row[], table: AggTable, st: StageState, ctx: OperatorContext, eventTime: readonly SplitEventTime[],
): void {
  try {
    st.ctx = ctx;
    stage.run(rows, table, st, fused.counters, eventTime);
  } catch (e) {
    // Name the failing record by running the fused chain alone (the aggregation is not re-run;
    // the query fails, so event times counted twice do not matter).
    if (!fused.steps.length) throw e;
    const chain = compileChain(fused.steps);
    throw locateFailure(e, rows, (one) => chain(one, [], { malformedDropped: 0 }, eventTime));
  } finally {
    st.ctx = null;
  }
}

/**
 * Folds partial groups into the table: one lookup per group, each marked changed. They come as
 * decoded columns from another thread (PartialColumns), as the slots of a partial table made
 * on this thread (PartialSlots), or as rows (PartialRow).
 */
function mergePartials(rows: readonly PartialRow[], table: AggTable, fns: readonly BoundAggregate[]): void {
  for (const p of rows) {
    if (p instanceof PartialColumns) {
      table.mergeColumns(p.decoded.n, p.decoded.cols);
      continue;
    }
    if (p instanceof PartialSlots) {
      table.mergeSlots(p.table, p.slots);
      continue;
    }
    const slot = table.findOrAdd(p.k, p.w);
    for (let j = 0; j < fns.length; j++) table.setAccumulator(slot, j, fns[j]!.merge(table.accumulator(slot, j), p.a[j]));
    table.touch(slot);
  }
}
