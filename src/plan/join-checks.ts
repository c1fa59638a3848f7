// start()'s join rules (Spark's UnsupportedOperationChecker): which join types a stream may
// take part in, on which side, and what a stream-stream outer or semi join needs to ever emit
// its unmatched rows. Messages keep Spark's key phrase and say which side must be streaming.
import { AnalysisError } from '../errors.js';
import { joinStateWatermarks, stateValueBounds, watermarkKeyIndex } from '../operators/join/state-watermark.js';
import type { JoinNode, LogicalPlan } from './logical.js';
import { isStreaming, nodes } from './logical.js';
import { SPARK_JOIN_NAME } from './join.js';

export function checkJoins(plan: LogicalPlan): void {
  for (const n of nodes(plan)) if (n.k === 'join') checkJoin(n);
}

/**
 * What start() warns about in joins Spark accepts: a stream-stream outer or semi join whose
 * preserved side has no watermark. The range condition bounds that side against the other
 * side's watermark, which satisfies the support matrix, but Spark only evicts a side that
 * carries a watermark itself (StreamingSymmetricHashJoinHelper's state watermark predicates):
 * its rows are buffered forever and the ones that never match are never emitted null-padded.
 * spate runs the join as Spark does, and says so.
 */
export function joinWarnings(plan: LogicalPlan): string[] {
  const warnings: string[] = [];
  for (const j of nodes(plan)) {
    if (j.k !== 'join' || !isStreaming(j.left) || !isStreaming(j.right)) continue;
    const preserved: ('left' | 'right')[] = j.joinType === 'leftOuter' || j.joinType === 'leftSemi' ? ['left']
      : j.joinType === 'rightOuter' ? ['right']
      : j.joinType === 'fullOuter' ? ['left', 'right']
      : [];
    const eviction = joinStateWatermarks(j);
    for (const side of preserved.filter((s) => eviction[s] === null)) {
      const unmatched = j.joinType === 'leftSemi' ? 'only its matched rows are emitted' : 'its rows that never match are never emitted null-padded';
      warnings.push(
        `Stream-stream ${SPARK_JOIN_NAME[j.joinType]} join: the ${side} side has no watermark, so its buffered rows are never evicted. ` +
        `Its state grows without bound and ${unmatched} (Spark runs this join the same way). ` +
        `Call withWatermark(eventTimeColumn, delay) on the ${side} side, on the event-time column the join condition bounds, to evict its state and emit them`,
      );
    }
  }
  return warnings;
}

function checkJoin(j: JoinNode): void {
  const left = isStreaming(j.left);
  const right = isStreaming(j.right);
  if (!left && !right) return;
  const name = SPARK_JOIN_NAME[j.joinType];
  switch (j.joinType) {
    case 'inner':
      return;
    case 'fullOuter':
      if (left && !right) {
        throw new AnalysisError(
          'FullOuter joins with streaming DataFrames/Datasets on the left and a static DataFrame/Dataset on the right is not supported: ' +
          "a full outer join would have to emit the static rows no streamed row ever matches, which is only known when the stream ends. Use a left outer join (stream.join(static, on, 'left_outer'))",
        );
      }
      if (!left && right) {
        throw new AnalysisError(
          'FullOuter joins with streaming DataFrames/Datasets on the right and a static DataFrame/Dataset on the left is not supported: ' +
          "a full outer join would have to emit the static rows no streamed row ever matches, which is only known when the stream ends. Use a right outer join (static.join(stream, on, 'right_outer'))",
        );
      }
      return checkStreamStreamWatermark(j, name);
    case 'leftAnti':
      if (right) {
        throw new AnalysisError(
          'LeftAnti joins with a streaming DataFrame/Dataset on the right are not supported: a left row could only be emitted once no right row can ever match it, ' +
          'which a stream never guarantees. The right side must be static (stream.join(static, on, \'left_anti\')); against a stream, use a left outer join with ' +
          'a watermark and a time constraint and keep the rows whose right columns are null',
        );
      }
      return;
    case 'leftOuter':
    case 'leftSemi':
      if (!left && right) {
        throw new AnalysisError(
          `${name} join with a streaming DataFrame/Dataset on the right and a static DataFrame/Dataset on the left is not supported: ` +
          `in a ${name} join the stream must be on the left. Swap the sides${j.joinType === 'leftOuter' ? " (stream.join(static, on, 'left_outer')), or keep them and use a right outer join" : ' (stream.join(static, on, \'left_semi\'))'}`,
        );
      }
      if (left && right) checkStreamStreamWatermark(j, name);
      return;
    case 'rightOuter':
      if (left && !right) {
        throw new AnalysisError(
          'RightOuter join with a streaming DataFrame/Dataset on the left and a static DataFrame/DataSet on the right not supported: ' +
          "in a right outer join the stream must be on the right. Swap the sides (static.join(stream, on, 'right_outer')), or keep them and use a left outer join",
        );
      }
      if (left && right) checkStreamStreamWatermark(j, name);
      return;
  }
}

/**
 * An outer or semi stream-stream join emits a row's final result only when that row is evicted,
 * so eviction must be possible: a watermarked column among the join keys, or a watermark on the
 * other (nullable) side and a range condition bounding the buffered side against it.
 */
function checkStreamStreamWatermark(j: JoinNode, name: string): void {
  if (watermarkKeyIndex(j) >= 0) return;
  const bounded = (side: 'left' | 'right'): boolean => stateValueBounds(j, side, () => true) !== null;
  const ok = j.joinType === 'leftOuter' || j.joinType === 'leftSemi' ? bounded('left')
    : j.joinType === 'rightOuter' ? bounded('right')
    : bounded('left') || bounded('right');
  if (ok) return;
  const nullable = j.joinType === 'rightOuter' ? 'left' : 'right';
  const kept = nullable === 'left' ? 'right' : 'left';
  throw new AnalysisError(
    `Stream-stream ${name} join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, ` +
    'or a watermark on the nullable side and an appropriate range condition: ' +
    `add withWatermark(...) on the ${j.joinType === 'fullOuter' ? 'event-time columns of both sides' : `${nullable} side's event-time column`} and a time constraint in the join condition ` +
    `bounding the ${j.joinType === 'fullOuter' ? 'one side\'s time by the other\'s' : `${kept} side's time by it`}, ` +
    'e.g. clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour',
  );
}
