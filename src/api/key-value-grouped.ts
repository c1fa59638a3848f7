// The result of groupByKey(fn): arbitrary stateful processing per key with a user function and
// a GroupState (Spark's KeyValueGroupedDataset.mapGroupsWithState / flatMapGroupsWithState).
import type { Row } from '../data/row.js';
import { AnalysisError } from '../errors.js';
import type { StructType } from '../expr/types.js';
import type { GroupState } from '../operators/group-state.js';
import type { GroupStateFunction, LogicalPlan } from '../plan/logical.js';
import { GroupStateTimeout } from '../plan/logical.js';
import { watermarkedColumn } from '../plan/nodes.js';
import { DataFrame } from './dataframe.js';
import type { SessionContext } from './session-context.js';

/** Options of {@link KeyValueGroupedDataFrame.mapGroupsWithState}. */
export interface MapGroupsWithStateOptions<U extends Row> {
  /** The schema of the rows the function returns. */
  readonly outputSchema: StructType<U>;
  /** When keys time out: GroupStateTimeout.NoTimeout (default), ProcessingTimeTimeout or EventTimeTimeout. */
  readonly timeout?: GroupStateTimeout;
  /** The shape of the state, if you declare it: a restart whose state schema changed is refused. */
  readonly stateSchema?: StructType;
}

/** Options of {@link KeyValueGroupedDataFrame.flatMapGroupsWithState}. */
export interface FlatMapGroupsWithStateOptions<U extends Row> extends MapGroupsWithStateOptions<U> {
  /** The operator's output mode: 'append' (rows are final) or 'update' (rows may be revised). */
  readonly outputMode: 'append' | 'update';
}

/** Called once per key with rows in the batch, and once per key that timed out (no rows, `state.hasTimedOut`). */
export type GroupsWithStateFunction<K, R extends Row, S, Out> = (key: K, rows: R[], state: GroupState<S>) => Out;

/**
 * The rows of a frame grouped by a key computed from each row, from {@link DataFrame.groupByKey}
 * (Spark's `KeyValueGroupedDataset`), for arbitrary stateful processing: a function called per key
 * with the key's rows in the batch and a {@link GroupState} it keeps across batches, with optional
 * timeouts ({@link GroupStateTimeout}).
 *
 * @example
 * ```ts
 * const sessions = events.groupByKey((e) => e.userId).mapGroupsWithState(
 *   { outputSchema: T.struct([T.field('userId', T.string()), T.field('clicks', T.long())]),
 *     timeout: GroupStateTimeout.ProcessingTimeTimeout },
 *   (userId, rows, state: GroupState<number>) => {
 *     if (state.hasTimedOut) { const n = state.get(); state.remove(); return { userId, clicks: n }; }
 *     state.update((state.getOption() ?? 0) + rows.length);
 *     state.setTimeoutDuration('30 minutes');
 *     return { userId, clicks: state.get() };
 *   });
 * ```
 */
export class KeyValueGroupedDataFrame<K, R extends Row = Row> {
  // Kept untyped so the class stays covariant in R, as DataFrame is.
  private readonly keyFn: (row: Row) => unknown;

  /** Made by {@link DataFrame.groupByKey}, not with `new`. */
  constructor(private readonly session: SessionContext, private readonly plan: LogicalPlan, keyFn: (row: R) => K) {
    this.keyFn = keyFn as (row: Row) => unknown;
  }

  /** Exactly one output row per call; the query must run in update mode. */
  mapGroupsWithState<S, U extends Row>(options: MapGroupsWithStateOptions<U>, fn: GroupsWithStateFunction<K, R, S, U>): DataFrame<U> {
    return this.build(options, fn as GroupStateFunction, true, 'update');
  }

  /** Any number of output rows per call (an array, or any iterable). */
  flatMapGroupsWithState<S, U extends Row>(options: FlatMapGroupsWithStateOptions<U>, fn: GroupsWithStateFunction<K, R, S, Iterable<U>>): DataFrame<U> {
    const mode = String(options.outputMode).toLowerCase();
    if (mode !== 'append' && mode !== 'update') {
      throw new AnalysisError(`The output mode of function should be append or update, got '${String(options.outputMode)}': pass outputMode: 'append' or 'update'`);
    }
    return this.build(options, fn as GroupStateFunction, false, mode);
  }

  private build<U extends Row>(options: MapGroupsWithStateOptions<U>, fn: GroupStateFunction, single: boolean, operatorMode: 'append' | 'update'): DataFrame<U> {
    const what = single ? 'mapGroupsWithState' : 'flatMapGroupsWithState';
    if (typeof fn !== 'function') throw new AnalysisError(`${what} needs a function (key, rows, state) => ...`);
    if (options.outputSchema?.kind !== 'struct') {
      throw new AnalysisError(`${what} needs the schema of the rows it returns: pass outputSchema: types.struct([...])`);
    }
    const timeout = options.timeout ?? GroupStateTimeout.NoTimeout;
    if (!Object.values(GroupStateTimeout).includes(timeout)) {
      throw new AnalysisError(`${what}: unknown timeout '${String(timeout)}'; use GroupStateTimeout.NoTimeout, ProcessingTimeTimeout or EventTimeTimeout`);
    }
    return new DataFrame<U>(this.session, {
      k: 'groupState', child: this.plan, keyFn: this.keyFn, fn, single, operatorMode, timeout,
      eventTime: watermarkedColumn(this.plan.schema), schema: options.outputSchema as StructType,
      ...(options.stateSchema ? { stateSchema: options.stateSchema } : {}),
    });
  }
}
