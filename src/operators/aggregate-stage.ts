// Whole-stage code generation for a streaming aggregation (Spark's WholeStageCodegenExec over
// HashAggregateExec): one generated function per chunk, from the rows as the stage's input
// hands them over, through the fused stateless chain (chain-code.ts), to the window assignment,
// the late-row check, the grouping values and the accumulator updates of the row's group in an
// AggTable. No object is made per row on this path: the chain's columns are local variables, a
// window start is a number, a group is found through Maps keyed by the grouping values themselves.
//
// The function aggregates into whichever table it is given: the operator's state (one thread
// today), or a partial table per task before an exchange (agg-table.ts, mergeFrom).
import type { Row } from '../data/row.js';
import type { OperatorContext } from '../actors/operator.js';
import type { RowBinding } from '../expr/codegen.js';
import { Codegen } from '../expr/codegen.js';
import type { AggregateNode, TimeWindowSpec } from '../plan/logical.js';
import type { AggTable } from './agg-table.js';
import { keyNormalizer } from './agg-table.js';
import { groupKey, singleKey } from './group-key.js';
import type { StatelessStep } from './chain-code.js';
import type { SplitEventTime } from './event-time-stats.js';
import { chainCode } from './chain-code.js';
import { aggregateReads, pruneSteps } from './prune-columns.js';
import type { ChainCounters } from './stateless-chain.js';
import { timeWindowLoopCode } from './window-assignment.js';

/**
 * numRowsDroppedByWatermark as Spark counts it: its late filter (StateStoreSaveExec) runs after
 * the partial aggregation has merged each grouping key's rows into one, so an epoch's late rows
 * count once per late group (window and keys), not once per input row: three late rows of one
 * window count 1, a late row of a sliding window counts once per late window it falls in.
 */
export class LateGroups {
  private readonly seen = new Set<string>();

  /** A late row of the group with this window start (null if none) and these key values was dropped. */
  add(window: number | null, keys: readonly unknown[]): void {
    this.seen.add(window === null ? groupKey(keys) : `${window}\u0003${groupKey(keys)}`);
  }

  /** The late groups of the epoch, then forgets them for the next. */
  take(): number {
    const n = this.seen.size;
    this.seen.clear();
    return n;
  }
}

/** What the generated update reads and writes besides the table. */
export interface StageState {
  /** Rows whose window (or event-time key) is at or below this are late. */
  lateWatermarkMs: number;
  /** The groups of the late rows dropped since the operator last reported them. */
  readonly late: LateGroups;
  /** The operator's context while a chunk is processed: late rows go to its dropLate. */
  ctx: OperatorContext | null;
}

/** `eventTime`: where the fused chain's withWatermark steps count the chunk's event times (see chainCode). */
export type StageFunction = (rows: Row[], table: AggTable, st: StageState, counters: ChainCounters, eventTime: readonly SplitEventTime[]) => void;

export interface CompiledStage {
  readonly run: StageFunction;
  /** The generated function's text, for explain('codegen'). */
  readonly source: string;
}

/**
 * Compiles the stage: `steps` (the stateless operators fused in front, possibly none) then the
 * aggregation `node`. `dropLate`: rows at or below the late watermark are dropped and counted.
 */
export function compileAggregateStage(node: AggregateNode, steps: readonly StatelessStep[], dropLate: boolean): CompiledStage {
  const w = node.window?.kind === 'window' ? node.window : null;
  const g = new Codegen();
  const body = [
    // The index level under the last first-level value (a window start), so rows of one window skip its lookup.
    'const root = table.root;',
    'let lastFirst = NaN;',
    'let lastLevel;',
    ...chainCode(g, pruneSteps(steps, aggregateReads(node)), 'rows', (row, skip) => aggregateRow(g, node, w, dropLate, row, skip)),
  ];
  const run = g.compile<StageFunction>(['rows', 'table', 'st', 'counters', 'eventTime'], body);
  return { run, source: g.source };
}

/** The consumer of the chain: one row into its group(s). */
function aggregateRow(g: Codegen, node: AggregateNode, w: TimeWindowSpec | null, dropLate: boolean, row: RowBinding, skip: string): string[] {
  g.skipRow = `counters.malformedDropped++; ${skip}`;
  const lines: string[] = [];
  // Keys and arguments first, as the rows' values (a malformed value drops the row, window or not).
  const keyVals = node.keys.map((k) => g.value(k.expr, row));
  const argVals = node.aggregates.map((a) => a.args.map((x) => g.value(x, row)));
  lines.push(...g.takeLines());
  if (w) {
    const t = g.value(w.timeColumn, row);
    lines.push(...g.takeLines());
    // Rows without an event time belong to no window (Spark drops them).
    lines.push(`if (${t} == null) ${skip};`, `const ms = ${t}.getTime();`, `if (ms !== ms) ${skip}; // an Invalid Date has no window`);
    const loop = timeWindowLoopCode(w, 'ms', 'ws', 'W0');
    lines.push(...loop.open);
    if (dropLate && node.eventTime?.isWindow) {
      lines.push(...lateRow(g, row, `ws + ${w.windowMs} <= st.lateWatermarkMs`, 'ws', keyVals, loop.skip));
    }
    lines.push(...lateKeyCheck(g, node, row, keyVals, 'ws', dropLate, loop.skip), ...findGroup(g, node, keyVals, 'ws'), ...accumulate(g, node, argVals), loop.close);
  } else {
    lines.push(...lateKeyCheck(g, node, row, keyVals, null, dropLate, skip), ...findGroup(g, node, keyVals, null), ...accumulate(g, node, argVals));
  }
  return lines;
}

// ---- late rows --------------------------------------------------------------------------------
// A row at or below the last epoch's watermark was already final: it is dropped, its group
// counted (LateGroups), and the row handed to the operator's dropLate (the dead letters). Only
// this path builds anything: the group's key, and the row as an object.

function lateRow(g: Codegen, row: RowBinding, condition: string, windowVar: string | null, keyVals: readonly string[], skip: string): string[] {
  const before = g.takeLines();
  const obj = g.rowObject(row);
  const build = g.takeLines().join(' ');
  return [
    ...before,
    `if (${condition}) { st.late.add(${windowVar ?? 'null'}, [${keyVals.join(', ')}]); ${build} st.ctx.dropLate(${obj}); ${skip}; }`,
  ];
}

/** The late check on a watermarked grouping key other than the window (a timestamp or a window struct). */
function lateKeyCheck(g: Codegen, node: AggregateNode, row: RowBinding, keyVals: readonly string[], windowVar: string | null, dropLate: boolean, skip: string): string[] {
  if (!dropLate || !node.eventTime || node.eventTime.isWindow) return [];
  const idx = node.keys.findIndex((k) => k.name === node.eventTime!.column);
  const v = keyVals[idx]!;
  const type = node.keys[idx]!.expr.type;
  const ms = type.kind === 'struct' ? `(${v} == null || ${v}.end == null ? null : ${v}.end.getTime())` : `(${v} == null ? null : ${v}.getTime())`;
  const et = g.fresh('et');
  return [`const ${et} = ${ms};`, ...lateRow(g, row, `${et} !== null && ${et} <= st.lateWatermarkMs`, windowVar, keyVals, skip)];
}

// ---- the group and its accumulators -------------------------------------------------------------

/**
 * Finds (or creates) the row's group: one Map lookup per level (the window start, then each
 * grouping value), the level under the first cached while consecutive rows share their first
 * level value (rows of one window, mostly).
 */
function findGroup(g: Codegen, node: AggregateNode, keyVals: readonly string[], windowVar: string | null): string[] {
  const lines: string[] = [];
  const levels: string[] = windowVar ? [windowVar] : [];
  node.keys.forEach((k, i) => {
    const how = keyNormalizer(k.expr.type);
    const v = keyVals[i]!;
    const n = g.fresh('kn');
    if (how === 'identity') lines.push(`const ${n} = ${v} ?? null;`);
    else if (how === 'time') lines.push(`const ${n} = ${v} == null ? null : ${v}.getTime();`);
    else lines.push(`const ${n} = ${v} == null ? null : ${g.constant(singleKey)}(${v});`);
    levels.push(n);
  });
  if (levels.length === 0) levels.push('0');
  let map = 'root';
  if (levels.length > 1) {
    const first = levels[0]!;
    lines.push(
      'let m1;',
      `if (${first} === lastFirst) m1 = lastLevel;`,
      `else { m1 = root.get(${first}); if (m1 === undefined) { m1 = new Map(); root.set(${first}, m1); } lastFirst = ${first}; lastLevel = m1; }`,
    );
    map = 'm1';
    for (let i = 1; i < levels.length - 1; i++) {
      const next = `m${i + 1}`;
      lines.push(`let ${next} = ${map}.get(${levels[i]});`, `if (${next} === undefined) { ${next} = new Map(); ${map}.set(${levels[i]}, ${next}); }`);
      map = next;
    }
  }
  const last = levels[levels.length - 1]!;
  lines.push(
    `let slot = ${map}.get(${last});`,
    `if (slot === undefined) { slot = table.add([${keyVals.join(', ')}], ${windowVar ?? 'null'}); ${map}.set(${last}, slot); }`,
  );
  return lines;
}

/**
 * The accumulator updates of the row's group: a numeric accumulator in its typed array (no boxed
 * number), any other through its function; then the group is marked changed in this epoch.
 */
function accumulate(g: Codegen, node: AggregateNode, argVals: readonly (readonly string[])[]): string[] {
  const lines: string[] = [];
  node.aggregates.forEach((a, j) => {
    const args = argVals[j]!;
    const col = `table.accumulators[${j}]`;
    if (a.fn.numericBuffer) {
      lines.push(a.fn.numericBuffer.bufferCode(`${col}.values[slot]`, args, `${col}.seen[slot]`));
      return;
    }
    const acc = `${col}.values[slot]`;
    lines.push(`${acc} = ${a.fn.updateCode ? a.fn.updateCode(acc, args) : `${g.constant(a.fn)}.update(${acc}${args.map((v) => `, ${v}`).join('')})`};`);
  });
  lines.push('if (table.changedIn[slot] !== table.epoch) { table.changedIn[slot] = table.epoch; table.changed.push(slot); }');
  return lines;
}
