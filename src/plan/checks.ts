// The checks start() runs before anything executes: Spark's UnsupportedOperationChecker and its
// output-mode support matrix (SEMANTICS §1). Each message keeps Spark's key phrase (people
// search for it) and says what to do instead.
import { AnalysisError } from '../errors.js';
import type { AggregateNode, DedupNode, GroupStateNode, JoinNode, LogicalPlan, OutputMode } from './logical.js';
import { children, isStreaming, nodes, topDown } from './logical.js';
import { checkJoins } from './join-checks.js';

const MODE_NAME: Record<OutputMode, string> = { append: 'Append', update: 'Update', complete: 'Complete' };

function streamingAggregates(plan: LogicalPlan): AggregateNode[] {
  return topDown(plan).filter((n): n is AggregateNode => n.k === 'aggregate' && isStreaming(n));
}

/** Checks a streaming plan for the given output mode; throws AnalysisError when Spark would. */
export function checkStreamingQuery(plan: LogicalPlan, mode: OutputMode): void {
  if (!isStreaming(plan)) {
    throw new AnalysisError('Queries without streaming sources cannot be executed with writeStream.start(): use spark.readStream to read a stream, or collect() for a static DataFrame');
  }
  const all = nodes(plan);
  const groupStates = topDown(plan).filter((n): n is GroupStateNode => n.k === 'groupState' && isStreaming(n));
  checkGroupStateCounts(groupStates, mode);

  const aggs = streamingAggregates(plan);
  checkModeAgainstAggregation(aggs, mode);

  for (const a of aggs) {
    if (a.aggregates.some((call) => call.distinct)) {
      throw new AnalysisError('Distinct aggregations are not supported on streaming DataFrames/Datasets. Consider using approx_count_distinct() instead.');
    }
  }
  for (const g of groupStates) checkGroupState(g, aggs, mode);
  for (const d of all) {
    if (d.k === 'dedup' && d.withinWatermark && isStreaming(d) && d.eventTime === null) {
      throw new AnalysisError(
        'dropDuplicatesWithinWatermark is not supported on streaming DataFrames/DataSets without watermark: ' +
        'call withWatermark(eventTimeColumn, delay) before it',
      );
    }
  }
  for (const j of all.filter((n): n is JoinNode => n.k === 'join' && isStreaming(n.left) && isStreaming(n.right))) {
    if (mode !== 'append') {
      throw new AnalysisError(
        `Join between two streaming DataFrames/Datasets is not supported in ${MODE_NAME[mode]} output mode, only in Append output mode: ` +
        `a stream-stream ${j.joinType} join emits each joined row once; use append mode`,
      );
    }
  }
  for (const u of all) {
    if (u.k === 'union' && u.children.some(isStreaming) && !u.children.every(isStreaming)) {
      throw new AnalysisError(
        'Union between streaming and batch DataFrames/Datasets is not supported: read every side with readStream, ' +
        'or join the static frame to the stream instead',
      );
    }
  }
  checkSortAndLimit(all, mode);
  checkJoins(plan);
  checkChainedStatefulOperators(plan, mode);
}

/**
 * Spark's rules: a sort needs the whole result every epoch, which only an aggregation in
 * complete mode re-emits; a limit is refused in update mode, where a row may be emitted again.
 */
function checkSortAndLimit(all: readonly LogicalPlan[], mode: OutputMode): void {
  for (const n of all) {
    if (n.k === 'sort' && isStreaming(n) && !(mode === 'complete' && streamingAggregates(n).length > 0)) {
      throw new AnalysisError(
        'Sorting is not supported on streaming DataFrames/Datasets, unless it is on aggregated DataFrame/Dataset in Complete output mode: ' +
        "each micro-batch only has its new rows to sort. Sort an aggregation's result in complete mode, or sort each batch in foreachBatch",
      );
    }
    if (n.k === 'limit' && isStreaming(n.child) && mode === 'update') {
      throw new AnalysisError(
        'Limits are not supported on streaming DataFrames/Datasets in Update output mode: an updated row would count again. ' +
        'Use append or complete mode, or limit each batch in foreachBatch',
      );
    }
  }
}

function checkGroupStateCounts(groupStates: GroupStateNode[], mode: OutputMode): void {
  const maps = groupStates.filter((g) => g.single);
  const flatMaps = groupStates.filter((g) => !g.single);
  if (maps.length >= 2) {
    throw new AnalysisError('Multiple mapGroupsWithStates are not supported on a streaming DataFrames/Datasets: keep all per-key state in one mapGroupsWithState');
  }
  if (maps.length > 0 && flatMaps.length > 0) {
    throw new AnalysisError('Mixing mapGroupsWithStates and flatMapGroupsWithStates are not supported on a streaming DataFrames/Datasets: use flatMapGroupsWithState for both');
  }
  if (flatMaps.length >= 2 && (mode !== 'append' || flatMaps.some((g) => g.operatorMode !== 'append'))) {
    throw new AnalysisError(
      'Multiple flatMapGroupsWithStates are not supported when they are not all in append mode or the output mode is not append on a streaming DataFrames/Datasets: ' +
      "give each outputMode: 'append' and run the query in append mode",
    );
  }
}

function checkModeAgainstAggregation(aggs: AggregateNode[], mode: OutputMode): void {
  // Spark judges the outermost aggregation.
  const top = aggs[0];
  if (mode === 'append' && top && top.eventTime === null) {
    const keys = [...top.keys.map((k) => k.name), ...(top.window ? [top.window.name] : [])].join(', ') || '(no keys)';
    throw new AnalysisError(
      'Append output mode not supported when there are streaming aggregations on streaming DataFrames/DataSets without watermark: ' +
      `the aggregation grouped by [${keys}] updates its groups, and append mode can only emit a row once it is final. ` +
      'Add withWatermark(...) on the event-time column and group by it (or by window(...) over it), or use update or complete mode',
    );
  }
  if (mode === 'update' && top?.window?.kind === 'session') {
    throw new AnalysisError(
      'Update output mode not supported for session window on streaming DataFrames/DataSets: a session can still merge with later events, ' +
      'so its rows cannot be updated in place; use append mode (with a watermark) or complete mode',
    );
  }
  if (mode === 'complete' && !top) {
    throw new AnalysisError(
      'Complete output mode not supported when there are no streaming aggregations on streaming DataFrames/Datasets: ' +
      'complete mode re-emits the whole result table, which only an aggregation has; use append or update mode',
    );
  }
}

function checkGroupState(g: GroupStateNode, aggs: AggregateNode[], mode: OutputMode): void {
  if (g.single) {
    if (mode !== 'update') {
      throw new AnalysisError(`mapGroupsWithState is not supported with ${MODE_NAME[mode]} output mode on a streaming DataFrame/Dataset: run the query with outputMode('update')`);
    }
  } else if (aggs.length === 0) {
    // Without an aggregation the operator's output mode must be the query's.
    if (g.operatorMode !== mode) {
      throw new AnalysisError(
        `flatMapGroupsWithState in ${g.operatorMode} mode is not supported with ${MODE_NAME[mode]} output mode on a streaming DataFrame/Dataset: ` +
        `run the query with outputMode('${g.operatorMode}'), or give flatMapGroupsWithState outputMode: '${mode}'`,
      );
    }
  } else if (g.operatorMode === 'update') {
    throw new AnalysisError(
      "flatMapGroupsWithState in update mode is not supported with aggregation on a streaming DataFrame/Dataset: give flatMapGroupsWithState outputMode: 'append'",
    );
  } else if (streamingAggregates(g.child).length > 0) {
    throw new AnalysisError(
      'flatMapGroupsWithState in append mode is not supported after aggregation on a streaming DataFrame/Dataset: aggregate after flatMapGroupsWithState instead',
    );
  }
  if (g.timeout === 'EventTimeTimeout' && g.eventTime === null) {
    throw new AnalysisError(
      `Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timeout in a ` +
      `${g.single ? 'mapGroupsWithState' : 'flatMapGroupsWithState'}. Event-time timeout not supported without watermark.`,
    );
  }
}

/** Spark's list of streaming stateful operators for the chained-operator check (dedup counts only with an event time). */
function isStatefulOperation(n: LogicalPlan): boolean {
  if (!isStreaming(n)) return false;
  switch (n.k) {
    case 'aggregate': case 'groupState': return true;
    case 'join': return isStreaming(n.left) && isStreaming(n.right);
    case 'dedup': return n.withinWatermark || dedupKeysHaveEventTime(n);
    default: return false;
  }
}

function dedupKeysHaveEventTime(d: DedupNode): boolean {
  return d.eventTime !== null && d.columns.includes(d.eventTime.column);
}

/** Operators whose output may be late for a stateful operator after them, under the global watermark. */
function cannotBeFollowedByStatefulOperation(n: LogicalPlan, mode: OutputMode): boolean {
  if (!isStreaming(n)) return false;
  if (n.k === 'groupState') return n.timeout === 'EventTimeTimeout';
  return n.k === 'aggregate' && mode !== 'append';
}

/**
 * A stateful operator reading the output of an aggregation in Update/Complete mode (or of
 * flatMapGroupsWithState with event-time timeout) would see rows older than the watermark,
 * which it drops as late (Spark's "possible correctness issue" check).
 */
function checkChainedStatefulOperators(plan: LogicalPlan, mode: OutputMode): void {
  for (const n of topDown(plan)) {
    if (!isStatefulOperation(n)) continue;
    const below = children(n).flatMap(topDown).find((p) => cannotBeFollowedByStatefulOperation(p, mode));
    if (below) {
      const what = below.k === 'aggregate' ? `a streaming aggregation in ${MODE_NAME[mode]} output mode` : 'flatMapGroupsWithState with EventTimeTimeout';
      throw new AnalysisError(
        "Detected pattern of possible 'correctness' issue due to global watermark. The query contains stateful operation which can emit rows older than " +
        `the current watermark plus allowed late record delay, which are "late rows" in downstream stateful operations and these rows can be discarded: ` +
        `a stateful operator reads the output of ${what}. Run the query in append mode (with watermarks), or move the second stateful operation out of this query`,
      );
    }
  }
}
