// Which operator runs each non-fused plan node. The query layer passes this to the physical
// planner, with what the planner needs from it (loading the static side of a stream-static join).
import type { Row } from '../data/row.js';
import type { OperatorLogic } from '../actors/operator.js';
import type { FusedInput } from '../operators/aggregate.js';
import { streamingAggregate } from '../operators/aggregate.js';
import { deduplicate } from '../operators/dedup.js';
import { flatMapGroupsWithState } from '../operators/flat-map-groups-with-state.js';
import { sessionWindowAggregate } from '../operators/session-window-aggregate.js';
import { joinOperator } from '../operators/join/join-operator.js';
import { unionOperator } from '../operators/union.js';
import { epochLimit, streamingGlobalLimit } from '../operators/limit.js';
import { sortOperator } from '../operators/sort.js';
import type { LogicalPlan, OutputMode } from './logical.js';
import { isStateful, isStreaming } from './logical.js';

export interface StatefulOperatorOptions {
  readonly outputMode: OutputMode;
  readonly operatorId: string;
  /** The stateless operators in front, for an operator that runs them in its own generated stage (see fusesInput). */
  readonly input?: FusedInput;
}

/**
 * Whether the operator of `node` runs the stateless operators in front of it in its own
 * generated stage (whole-stage code generation) rather than behind a chain actor: a streaming
 * aggregation over time windows or plain keys does.
 */
export function fusesInput(node: LogicalPlan): boolean {
  return node.k === 'aggregate' && node.window?.kind !== 'session';
}

export type StatefulOperatorFactory = (node: LogicalPlan, opts: StatefulOperatorOptions) => OperatorLogic;

/** What the query layer gives the physical planner. */
export interface OperatorServices {
  /** Evaluates a static plan (the static side of a stream-static join), afresh on every call. */
  readonly loadStatic: (plan: LogicalPlan) => Promise<Row[]>;
}

export function statefulOperatorFactory(): StatefulOperatorFactory {
  return (node, opts) => {
    switch (node.k) {
      case 'aggregate':
        return node.window?.kind === 'session' ? sessionWindowAggregate(node, opts.outputMode) : streamingAggregate(node, opts.outputMode, opts.input);
      case 'dedup': return deduplicate(node);
      case 'groupState': return flatMapGroupsWithState(node);
      case 'union': return unionOperator();
      case 'sort': return sortOperator(node);
      case 'limit': return isStateful(node, opts.outputMode) ? streamingGlobalLimit(node) : epochLimit(node);
      case 'join': return joinOperator(node, { left: isStreaming(node.left), right: isStreaming(node.right) });
      default:
        throw new Error(`internal: no operator for plan node '${node.k}'`);
    }
  };
}
