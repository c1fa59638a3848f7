// The result of groupBy(...): aggregations over the groups. R is the input's row type, K the
// grouping columns' part of the result (src/api/row-types.ts).
import type { Row } from '../data/row.js';
import type { Expr } from '../expr/tree.js';
import { call } from '../expr/tree.js';
import { INTEGER } from '../expr/types.js';
import { aggregate } from '../plan/aggregate.js';
import type { LogicalPlan } from '../plan/logical.js';
import { Column } from './column.js';
import { argumentError, requireString } from './arguments.js';
import { DataFrame } from './dataframe.js';
import type { AsRow, SelectRow, Simplify } from './row-types.js';
import type { SessionContext } from './session-context.js';

/** The result of a shorthand aggregation (`sum('amount')`): one `fn(column)` column per name. */
type NamedAggregates<K, Fn extends string, Ns extends readonly string[], V> = AsRow<Simplify<K & { [N in Ns[number] as `${Fn}(${N})`]: V }>>;

/**
 * The rows of a frame grouped by columns, from {@link DataFrame.groupBy} (Spark's
 * `RelationalGroupedDataset`): aggregate it with {@link GroupedData.agg} or a shorthand
 * (`count()`, `sum(...)`, `avg(...)`, `min(...)`, `max(...)`). On a stream, the aggregation keeps
 * its groups in state. With a watermark on an event-time grouping column (a `window(...)` or the
 * watermarked column itself), a group whose window ends at or before the watermark is final:
 * append mode emits it then, append and update mode drop it from state, and rows arriving for it
 * later are dropped as late (progress `numRowsDroppedByWatermark`). Complete mode keeps every
 * group.
 *
 * @example
 * ```ts
 * trades.withWatermark('ts', '30 minutes')
 *   .groupBy(window(col('ts'), '15 minutes'), 'BrokerCode')
 *   .agg(sum('Amount').alias('total'), count('*').alias('n'));
 * ```
 */
export class GroupedData<R extends Row = Row, K extends Row = Row> {
  /** Made by {@link DataFrame.groupBy}, not with `new`. */
  constructor(
    private readonly session: SessionContext,
    private readonly plan: LogicalPlan,
    private readonly keys: readonly Expr[],
  ) {}

  /**
   * One row per group: the grouping columns, then the aggregates, e.g.
   * `agg(sum(col('Amount')).alias('total'), count('*').alias('n'))`.
   */
  agg<const Cs extends readonly Column<unknown, string>[]>(...aggs: Cs): DataFrame<AsRow<Simplify<K & SelectRow<R, Cs>>>> {
    for (const a of aggs) {
      if (!(a instanceof Column)) throw argumentError('agg()', 'each aggregate', "a Column such as sum(col('amount')).alias('total') or count('*')", a);
    }
    return new DataFrame(this.session, aggregate(this.plan, this.keys, aggs.map((a) => a.expr)));
  }

  /** A `count` column with the number of rows of each group. */
  count(): DataFrame<AsRow<Simplify<K & {
    /** The number of rows in the group (a `long`). */
    count: number;
  }>>> {
    return new DataFrame(this.session, aggregate(this.plan, this.keys, [
      { k: 'alias', child: call('count', [{ k: 'lit', value: 1, type: INTEGER }]), name: 'count' },
    ]));
  }

  /** `sum(<column>)` of each named column, per group. */
  sum<const Ns extends readonly (keyof R & string)[]>(...columns: Ns): DataFrame<NamedAggregates<K, 'sum', Ns, number | null>> { return this.each('sum', columns); }
  /** `avg(<column>)` of each named column, per group. */
  avg<const Ns extends readonly (keyof R & string)[]>(...columns: Ns): DataFrame<NamedAggregates<K, 'avg', Ns, number | null>> { return this.each('avg', columns); }
  /** The same as avg (its columns are named `avg(<column>)`, as Spark names them). */
  mean<const Ns extends readonly (keyof R & string)[]>(...columns: Ns): DataFrame<NamedAggregates<K, 'avg', Ns, number | null>> { return this.each('avg', columns); }
  /** `min(<column>)` of each named column, per group. */
  min<const Ns extends readonly (keyof R & string)[]>(...columns: Ns): DataFrame<NamedAggregates<K, 'min', Ns, R[Ns[number]] | null>> { return this.each('min', columns); }
  /** `max(<column>)` of each named column, per group. */
  max<const Ns extends readonly (keyof R & string)[]>(...columns: Ns): DataFrame<NamedAggregates<K, 'max', Ns, R[Ns[number]] | null>> { return this.each('max', columns); }

  private each<T extends Row>(fn: string, columns: readonly string[]): DataFrame<T> {
    for (const c of columns) requireString(c, `${fn}()`, 'each column name', "'amount'");
    return new DataFrame<T>(this.session, aggregate(this.plan, this.keys, columns.map((c) => call(fn, [{ k: 'col', path: [c] }]))));
  }
}
