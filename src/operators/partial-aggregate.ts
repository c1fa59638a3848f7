// The map side of a streaming aggregation (Spark's partial aggregate before a shuffle, the
// map-side combine): where rows are read, before the exchange, the aggregation's generated
// stage (aggregate-stage.ts, with the stateless operators fused in front) folds each group's
// rows into a table of this task's own, so the exchange carries one row per group touched
// instead of one per input row. At the end of the epoch, or when the table holds too many
// groups, it emits the groups with their key groups; the owner of each key group merges them
// (streamingAggregate with input 'partials'). On the exchange a partial group is typed columns:
// one per grouping value, the window start, one per accumulator (numbers for sums and counts);
// its key group is the frame section it travels in, so no key string crosses. No object is made
// per group on the way: a flush hands the exchange the table itself, its groups ordered by key
// group (PartialGroups), each key group's section is written from the table's columns, and the
// owner merges from the decoded columns (PartialColumns). The key groups the reading thread owns
// itself are not encoded at all: the owner merges them from the flushed table (PartialSlots). Late rows are dropped and counted here, as
// Spark's late filter runs after its partial aggregation. Nothing here is state: a restart
// simply recomputes the partials.
import type { OperatorContext, OperatorLogic } from '../actors/operator.js';
import type { ByteWriter } from '../data/bytes.js';
import type { ChunkCodec, ColumnSpec, DecodedColumns } from '../data/chunk-codec.js';
import { columnarCodec } from '../data/chunk-codec.js';
import type { Row } from '../data/row.js';
import type { AggregateNode, OutputMode } from '../plan/logical.js';
import { AggTable, keyNormalizer } from './agg-table.js';
import type { FusedInput } from './aggregate.js';
import { runStage } from './aggregate.js';
import type { StageState } from './aggregate-stage.js';
import { LateGroups, compileAggregateStage } from './aggregate-stage.js';
import { prepareLookups } from './join/lookup-join.js';
import { eventTimeBySplit, lookupJoinsOf } from './stateless-chain.js';

/** Groups held before an early flush: bounds the map side's memory within a large epoch. */
export const PARTIAL_FLUSH_GROUPS = 65_536;

/** A group's partial aggregate on its way to the group's owner: its key values, window start and accumulators. */
export interface PartialRow {
  readonly k: unknown[];
  readonly w: number | null;
  readonly a: unknown[];
  /** The group's key group (hash of its state-store key), set where the partial was made: the exchange routes by it. */
  readonly g?: number;
}

/**
 * The groups of a flushed partial table, ordered by key group: what a flush emits, as the one
 * row of its chunk (a table is never written to once flushed). The exchange writes each key
 * group's section from the table's columns; `rows()` gives them as PartialRows where rows are needed.
 */
export class PartialGroups {
  private constructor(
    private readonly table: AggTable,
    /** The table's slots, ordered by key group. */
    private readonly slots: Int32Array,
    /** Key group g's slots are slots[starts[g]] up to slots[starts[g + 1]]. */
    private readonly starts: Int32Array,
  ) {}

  /** Orders a table's groups by key group (a counting sort over the key groups). */
  static of(table: AggTable): PartialGroups {
    const groups = table.partitions;
    const all: number[] = [];
    for (const slot of table.slots()) all.push(slot);
    const groupOf = new Int32Array(all.length);
    const starts = new Int32Array(groups + 1);
    for (let i = 0; i < all.length; i++) starts[(groupOf[i] = table.keyGroupOf(all[i]!)) + 1]!++;
    for (let g = 0; g < groups; g++) starts[g + 1]! += starts[g]!;
    const next = starts.slice(0, groups);
    const slots = new Int32Array(all.length);
    for (let i = 0; i < all.length; i++) slots[next[groupOf[i]!]!++] = all[i]!;
    return new PartialGroups(table, slots, starts);
  }

  get size(): number {
    return this.slots.length;
  }

  /** How many groups key group g holds. */
  count(g: number): number {
    return this.starts[g + 1]! - this.starts[g]!;
  }

  /** Writes key group g's groups with the partial codec (partialCodec's columns, from the table's). */
  write(codec: ChunkCodec, w: ByteWriter, g: number): void {
    const t = this.table;
    const from = this.starts[g]!;
    const n = this.starts[g + 1]! - from;
    const cols: unknown[][] = [];
    for (const keyCol of t.keys) {
      const c = new Array<unknown>(n);
      for (let r = 0; r < n; r++) c[r] = keyCol[this.slots[from + r]!];
      cols.push(c);
    }
    if (t.windowed) {
      const c = new Array<number>(n);
      for (let r = 0; r < n; r++) c[r] = t.windows[this.slots[from + r]!]!;
      cols.push(c);
    }
    for (let j = 0; j < t.accumulators.length; j++) {
      const c = new Array<unknown>(n);
      for (let r = 0; r < n; r++) c[r] = t.accumulator(this.slots[from + r]!, j);
      cols.push(c);
    }
    codec.writeColumns(w, n, cols);
  }

  /** The groups of the key groups `owners` gives to `thread`, as a view of the table (null: none). */
  take(owners: readonly number[], thread: number): Row | null {
    let n = 0;
    for (let g = 0; g < owners.length; g++) if (owners[g] === thread) n += this.count(g);
    if (n === 0) return null;
    const slots = new Int32Array(n);
    for (let g = 0, at = 0; g < owners.length; g++) {
      if (owners[g] !== thread) continue;
      slots.set(this.slots.subarray(this.starts[g]!, this.starts[g + 1]!), at);
      at += this.count(g);
    }
    return new PartialSlots(this.table, slots) as unknown as Row;
  }

  /** Every group as a PartialRow (for a transport that moves rows). */
  rows(): PartialRow[] {
    const t = this.table;
    return Array.from(this.slots, (slot) => ({ k: t.keyValues(slot), w: t.windowOf(slot), a: t.accumulators.map((_, j) => t.accumulator(slot, j)), g: t.keyGroupOf(slot) }));
  }
}

/** Partial groups read on the thread that owns them: slots of a flushed partial table, merged from its columns. */
export class PartialSlots {
  constructor(readonly table: AggTable, readonly slots: Int32Array) {}
}

/** Partial groups as the owner decodes them: partialCodec's columns, merged without a row per group. */
export class PartialColumns {
  constructor(readonly decoded: DecodedColumns) {}
}

/**
 * How partial groups of this aggregation cross the exchange: a column per grouping value (typed
 * as the key), the window start, a column per accumulator (numbers when the aggregate keeps a
 * numeric buffer, else in the value encoding). The key group is not written: the frame's
 * section says it.
 */
export function partialCodec(node: AggregateNode): ChunkCodec {
  const keys = node.keys.length;
  const windowed = node.window !== null;
  const accs = node.aggregates.length;
  const columns: ColumnSpec[] = [
    ...node.keys.map((k, i) => ({ name: `k${i}`, type: k.expr.type })),
    ...(windowed ? [{ name: 'w', type: { kind: 'long' } as const }] : []),
    ...node.aggregates.map((a, j) => ({ name: `a${j}`, type: a.fn.numericBuffer ? { kind: 'double' } as const : null })),
  ];
  return columnarCodec(columns, (rows, cols) => {
    for (let r = 0; r < rows.length; r++) {
      const p = rows[r] as unknown as PartialRow;
      for (let i = 0; i < keys; i++) cols[i]![r] = p.k[i];
      if (windowed) cols[keys]![r] = p.w;
      for (let j = 0, c = keys + (windowed ? 1 : 0); j < accs; j++) cols[c + j]![r] = p.a[j];
    }
  }, (n, cols) => {
    const out = new Array<Row>(n);
    const first = keys + (windowed ? 1 : 0);
    for (let r = 0; r < n; r++) {
      const k = new Array<unknown>(keys);
      for (let i = 0; i < keys; i++) k[i] = cols[i]![r];
      const a = new Array<unknown>(accs);
      for (let j = 0; j < accs; j++) a[j] = cols[first + j]![r];
      out[r] = { k, w: windowed ? (cols[keys]![r] as number) : null, a } satisfies PartialRow as unknown as Row;
    }
    return out;
  });
}

export function partialAggregate(
  node: AggregateNode, mode: OutputMode, keyGroups: number, input: FusedInput = { steps: [], counters: { malformedDropped: 0 } },
  flushGroups = PARTIAL_FLUSH_GROUPS,
): OperatorLogic & { readonly generatedCode: string } {
  if (node.window?.kind === 'session') throw new Error('internal: session windows merge sessions at their owner, without a partial aggregate');
  const evicts = node.eventTime !== null && mode !== 'complete';
  const stage = compileAggregateStage(node, input.steps, evicts);
  const fns = node.aggregates.map((a) => a.fn);
  const newTable = (): AggTable => new AggTable('partial', keyGroups, node.window !== null, node.keys.map((k) => keyNormalizer(k.expr.type)), fns);
  let table = newTable();
  const st: StageState = { lateWatermarkMs: 0, late: new LateGroups(), ctx: null };
  const joins = lookupJoinsOf(input.steps);
  const eventTimeOf = eventTimeBySplit(input.steps);

  const flush = (ctx: OperatorContext): void => {
    if (table.size === 0) return;
    const groups = PartialGroups.of(table);
    table = newTable();
    ctx.emit([groups as unknown as Row]);
  };
  const runChunk = (rows: Row[], ctx: OperatorContext): void => {
    runStage(stage, input, rows, table, st, ctx, eventTimeOf(ctx.split));
    if (table.size >= flushGroups) flush(ctx);
  };

  return {
    name: 'partialAggregate',
    stores: [],
    generatedCode: stage.source,
    process(rows, _input, ctx) {
      st.lateWatermarkMs = ctx.lateWatermarkMs;
      if (joins.length) return prepareLookups(joins).then(() => runChunk(rows, ctx));
      runChunk(rows, ctx);
    },
    onEpochEnd(_b, ctx) {
      for (const j of joins) j.reset();
      flush(ctx);
      // Late groups as Spark counts them after its partial aggregation: once per group per task and epoch.
      const late = st.late.take();
      if (late > 0) ctx.counters['numRowsDroppedByWatermark'] = (ctx.counters['numRowsDroppedByWatermark'] ?? 0) + late;
    },
  };
}
