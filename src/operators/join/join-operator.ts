// Which join operator a join runs on: both sides streaming → the symmetric hash join (stateful);
// neither → the batch join. A stream joined to a static side is not an operator of its own: it
// is a step of the streaming side's fused stage (lookup-join.ts, planned in plan/physical.ts).
import type { OperatorLogic } from '../../actors/operator.js';
import type { JoinNode } from '../../plan/logical.js';
import { batchJoin } from './batch-join.js';
import { symmetricHashJoin } from './symmetric-hash-join.js';

export function joinOperator(node: JoinNode, streaming: { readonly left: boolean; readonly right: boolean }): OperatorLogic {
  if (streaming.left && streaming.right) return symmetricHashJoin(node);
  if (streaming.left || streaming.right) {
    throw new Error('internal: a stream-static join reached the operator factory; the planner makes it a step of the stream\'s stage');
  }
  return batchJoin(node);
}
