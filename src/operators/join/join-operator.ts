// Which join operator a join runs on: both sides streaming → the symmetric hash join (stateful);
// one side streaming → the stream-static join (stateless); neither → the batch join.
import type { Row } from '../../actors/messages.js';
import type { OperatorLogic } from '../../actors/operator.js';
import type { JoinNode, LogicalPlan } from '../../plan/logical.js';
import { batchJoin } from './batch-join.js';
import { streamStaticJoin } from './stream-static-join.js';
import { symmetricHashJoin } from './symmetric-hash-join.js';

export function joinOperator(
  node: JoinNode,
  streaming: { readonly left: boolean; readonly right: boolean },
  loadStatic: (plan: LogicalPlan) => Promise<Row[]>,
): OperatorLogic {
  if (streaming.left && streaming.right) return symmetricHashJoin(node);
  if (streaming.left) return streamStaticJoin(node, 'left', loadStatic);
  if (streaming.right) return streamStaticJoin(node, 'right', loadStatic);
  return batchJoin(node);
}
