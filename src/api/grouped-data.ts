// The result of groupBy(...): aggregations over the groups.
import type { Expr } from '../expr/tree.js';
import { call } from '../expr/tree.js';
import { INTEGER } from '../expr/types.js';
import { aggregate } from '../plan/aggregate.js';
import type { LogicalPlan } from '../plan/logical.js';
import { Column } from './column.js';
import { argumentError, requireString } from './arguments.js';
import { DataFrame } from './dataframe.js';
import type { SessionContext } from './session-context.js';

export class GroupedData {
  constructor(
    private readonly session: SessionContext,
    private readonly plan: LogicalPlan,
    private readonly keys: readonly Expr[],
  ) {}

  /** agg(sum(col('Amount')).alias('total'), count(lit(1))...). */
  agg(...aggs: Column[]): DataFrame {
    for (const a of aggs) {
      if (!(a instanceof Column)) throw argumentError('agg()', 'each aggregate', "a Column such as sum(col('amount')).alias('total') or count('*')", a);
    }
    return new DataFrame(this.session, aggregate(this.plan, this.keys, aggs.map((a) => a.expr)));
  }

  /** A `count` column with the number of rows of each group. */
  count(): DataFrame {
    return new DataFrame(this.session, aggregate(this.plan, this.keys, [
      { k: 'alias', child: call('count', [{ k: 'lit', value: 1, type: INTEGER }]), name: 'count' },
    ]));
  }

  sum(...columns: string[]): DataFrame { return this.each('sum', columns); }
  avg(...columns: string[]): DataFrame { return this.each('avg', columns); }
  mean(...columns: string[]): DataFrame { return this.each('avg', columns); }
  min(...columns: string[]): DataFrame { return this.each('min', columns); }
  max(...columns: string[]): DataFrame { return this.each('max', columns); }

  private each(fn: string, columns: string[]): DataFrame {
    for (const c of columns) requireString(c, `${fn}()`, 'each column name', "'amount'");
    return new DataFrame(this.session, aggregate(this.plan, this.keys, columns.map((c) => call(fn, [{ k: 'col', path: [c] }]))));
  }
}
