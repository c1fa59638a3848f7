// The checks start() runs before anything executes: Spark's UnsupportedOperationChecker.
// Each message keeps Spark's key phrase (people search for it) and says what to do instead.
import { AnalysisError } from '../errors.js';
import type { AggregateNode, GroupStateNode, JoinNode, LogicalPlan, OutputMode } from './logical.js';
import { children, isStateful, isStreaming, nodes } from './logical.js';
import { checkJoins } from './join-checks.js';

const MODE_NAME: Record<OutputMode, string> = { append: 'Append', update: 'Update', complete: 'Complete' };

function streamingAggregates(plan: LogicalPlan): AggregateNode[] {
  return nodes(plan).filter((n): n is AggregateNode => n.k === 'aggregate' && isStreaming(n));
}

/** Checks a streaming plan for the given output mode; throws AnalysisError when Spark would. */
export function checkStreamingQuery(plan: LogicalPlan, mode: OutputMode): void {
  if (!isStreaming(plan)) {
    throw new AnalysisError('Queries without streaming sources cannot be executed with writeStream.start(): use spark.readStream to read a stream, or collect() for a static DataFrame');
  }
  const all = nodes(plan);
  const aggs = streamingAggregates(plan);
  const groupStates = all.filter((n): n is GroupStateNode => n.k === 'groupState');
  const streamJoins = all.filter((n): n is JoinNode => n.k === 'join' && isStreaming(n.left) && isStreaming(n.right));

  for (const a of aggs) {
    for (const call of a.aggregates) {
      if (call.distinct) {
        throw new AnalysisError('Distinct aggregations are not supported on streaming DataFrames/Datasets. Consider using approx_count_distinct() instead.');
      }
    }
  }

  if (mode === 'complete' && aggs.length === 0) {
    throw new AnalysisError(
      'Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets: ' +
      'complete mode re-emits the whole result table, which only an aggregation has; use append or update mode',
    );
  }

  const first = aggs[0];
  if (mode === 'append' && first && first.eventTime === null && !hasAppendFlatMapGroupsWithState(groupStates)) {
    const keys = [...first.keys.map((k) => k.name), ...(first.window ? [first.window.name] : [])].join(', ') || '(no keys)';
    throw new AnalysisError(
      `Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark: ` +
      `the aggregation grouped by [${keys}] updates its groups, and append mode can only emit a row once it is final. ` +
      `Add withWatermark(...) on the event-time column and group by it (or by window(...) over it), or use update or complete mode`,
    );
  }

  for (const a of aggs) {
    if (a.window?.kind === 'session') {
      if (mode === 'update') {
        throw new AnalysisError('Update output mode not supported for session window on streaming DataFrames/DataSets: use append (with a watermark) or complete mode');
      }
      if (mode === 'append' && a.eventTime === null) {
        throw new AnalysisError('Append output mode on a session window needs a watermark on its time column: add withWatermark(...) before groupBy');
      }
    }
  }

  checkGroupState(groupStates, aggs, mode);

  if (streamJoins.length > 0 && mode !== 'append') {
    throw new AnalysisError(
      `Join between two streaming DataFrames/Datasets is not supported in ${MODE_NAME[mode]} output mode, only in Append output mode: ` +
      'a join emits each matched row once; use append mode',
    );
  }

  checkJoins(plan);
  checkChainedStateful(plan, mode);
}

function hasAppendFlatMapGroupsWithState(g: GroupStateNode[]): boolean {
  return g.some((n) => !n.single && n.operatorMode === 'append');
}

function checkGroupState(groupStates: GroupStateNode[], aggs: AggregateNode[], mode: OutputMode): void {
  const maps = groupStates.filter((g) => g.single);
  if (maps.length > 1) throw new AnalysisError('Multiple mapGroupsWithStates are not supported on a streaming DataFrames/Datasets');
  if (maps.length === 1 && groupStates.length > 1) {
    throw new AnalysisError('Mixing mapGroupsWithStates and flatMapGroupsWithStates are not supported on a streaming DataFrames/Datasets');
  }
  for (const g of groupStates) {
    if (g.single) {
      if (mode !== 'update') {
        throw new AnalysisError(`mapGroupsWithState is not supported with ${MODE_NAME[mode]} output mode on a streaming DataFrame/Dataset: use update mode`);
      }
      continue;
    }
    const aggAfter = aggs.some((a) => nodes(a).includes(g));
    if (g.operatorMode === 'update') {
      if (aggAfter) throw new AnalysisError('flatMapGroupsWithState in update mode is not supported with aggregation on a streaming DataFrame/Dataset');
      if (mode !== 'update') {
        throw new AnalysisError(`flatMapGroupsWithState in update mode is not supported with ${MODE_NAME[mode]} output mode on a streaming DataFrame/Dataset: use update output mode`);
      }
    } else if (mode !== 'append' && !aggAfter) {
      throw new AnalysisError(`flatMapGroupsWithState in append mode is not supported with ${MODE_NAME[mode]} output mode on a streaming DataFrame/Dataset: use append output mode`);
    }
  }
}

/**
 * A stateful operator above a streaming aggregation in a mode other than Append would read
 * rows the aggregation may still change (Spark's "possible correctness issue").
 */
function checkChainedStateful(plan: LogicalPlan, mode: OutputMode): void {
  if (mode === 'append') return;
  const visit = (n: LogicalPlan, aboveStateful: boolean): void => {
    const stateful = isStateful(n);
    if (n.k === 'aggregate' && isStreaming(n) && aboveStateful) {
      throw new AnalysisError(
        `Detected pattern of possible 'correctness' issue due to global watermark: a stateful operator reads the output of a streaming aggregation in ${MODE_NAME[mode]} mode, ` +
        'where aggregated rows can still change; use append mode (with watermarks) for chained stateful operators',
      );
    }
    for (const c of children(n)) visit(c, aboveStateful || stateful);
  };
  visit(plan, false);
}
