// The operator contract (after Arroyo's and Kafka Streams' processor APIs): a name, the state
// stores it declares, and `process`; hooks for watermarks, the end of an epoch and close
// default to nothing. Operators never align barriers, persist state or close stores: the
// runtime (OperatorActor) does, after `onEpochEnd` returns.
import type { KeyValueStore, ManagedStore, StoreMetrics } from '../state/keyed-store.js';
import type { Barrier, Row } from './messages.js';

export interface OperatorContext {
  /** Sends rows downstream; the runtime forwards them in chunks, with backpressure. */
  emit(rows: Row[]): void;
  /** A store this operator declared in `stores`. */
  store<V>(name: string): KeyValueStore<V>;
  /** Rows with event time at or below this are late (the previous epoch's watermark). */
  readonly lateWatermarkMs: number;
  /** State whose event time is at or below this may be evicted (this epoch's watermark). */
  readonly evictionWatermarkMs: number;
  /** Counters reported in progress under stateOperators[].customMetrics and known fields. */
  readonly counters: Record<string, number>;
  /** The source split of the chunk being processed (see messages.ts), null when unknown. */
  readonly split: string | null;
  /**
   * A row this operator drops as late (at or below `lateWatermarkMs`): the runtime sends it to
   * the query's dead-letter sink, if it has one, committed with the epoch. The operator still
   * counts it itself (numRowsDroppedByWatermark).
   */
  dropLate(row: Row): void;
  /**
   * Whether this instance owns the key group of a state key: false only on a worker thread
   * (master('local[N]')) for a key another thread owns. Absent: it owns every key.
   */
  ownsKey?(storeKey: string): boolean;
}

/** What an operator knows when asked whether a batch without new data should run. */
export interface NoDataBatchContext {
  /** The eviction watermark of the operator's last epoch (restored on recovery). */
  readonly lastEvictionWatermarkMs: number;
  /** The processing time the batch would run at (batchTimestampMs). */
  readonly batchTimestampMs: number;
}

/**
 * Thrown by an operator that knows which row of the chunk it was given made it fail: the
 * runtime names that row's source position (when the chunk carries one) in the error.
 */
export class RowFailure extends Error {
  constructor(readonly error: unknown, readonly rowIndex: number) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

export interface OperatorLogic {
  /** Spark's operator name in progress, e.g. `stateStoreSave`, `dedupe`, `symmetricHashJoin`. */
  readonly name: string;
  /** Names of the keyed stores this operator uses; the runtime creates, restores and snapshots them. */
  readonly stores: readonly string[];
  /**
   * The part of a store key that chooses its key group (default: the whole key). Keys that
   * must meet in one operator instance (a group's sessions) share it, so that the instance
   * owning the key group holds them all.
   */
  readonly partitionKey?: (storeKey: string) => string;
  /**
   * Optional: makes the store of a declared name itself, kept in a form suited to the operator
   * (the aggregation's table of groups); the runtime still restores and snapshots it. Without
   * it, stores are InMemoryKeyedStores, reached through `ctx.store(name)`.
   */
  createStore?(name: string, partitions: number): ManagedStore;
  /**
   * The runtime restored the declared stores (at every start, also when they are empty), before
   * any epoch runs: rebuild what the operator derives from them (indexes, the next timeout).
   */
  restored?(ctx: OperatorContext): void;
  open?(ctx: OperatorContext): void | Promise<void>;
  /** Handles a chunk from input `input` (0 unless the operator has several inputs). */
  process(rows: Row[], input: number, ctx: OperatorContext): void | Promise<void>;
  /** The watermark moved; `ctx` shows the new values. */
  onWatermark?(ctx: OperatorContext): void;
  /** Every input delivered the epoch's barrier: emit the epoch's results, evict state. */
  onEpochEnd?(barrier: Barrier, ctx: OperatorContext): void | Promise<void>;
  /**
   * Whether a batch without new data should run next, with watermark `nextWatermarkMs` (e.g. to
   * evict and emit state the watermark passed, or to fire timeouts). `at` tells the watermark
   * the operator evicted with in its last epoch and the time the batch would carry.
   */
  wantsNoDataBatch?(nextWatermarkMs: number, at?: NoDataBatchContext): boolean;
  /**
   * Whether a batch runs on every trigger once the query has run one, new data or not (Spark's
   * FlatMapGroupsWithStateExec with processing-time timeouts: "always run batches to process
   * timeouts"). Unlike a batch wantsNoDataBatch asks for, such a batch has nothing known to do:
   * processAllAvailable() and Trigger.AvailableNow treat the sources being caught up as done.
   */
  readonly runsEveryTrigger?: boolean;
  /**
   * The watermark downstream operators see, given this operator's input watermark (default: the
   * same). A stream-stream join can still emit rows older than its input watermark, down to its
   * state watermarks, so it lowers it (Spark's watermark propagation between stateful operators).
   */
  outputWatermark?(inputWatermarkMs: number): number;
  /** The text of the function the operator generated for its per-row work, if any (explain('codegen')). */
  readonly generatedCode?: string;
  /** State figures for progress that the operator counts itself (a join buffers many rows per store key). */
  stateMetrics?(): Partial<StoreMetrics>;
  close?(): void | Promise<void>;
}
