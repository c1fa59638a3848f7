// How rows reach the owner of their state (Spark's HashPartitioning at a ShuffleExchange): a
// keyed stateful operator's input is routed by the very key the operator stores the row's
// state under, so the key group of that key (hash mod spate.sql.shuffle.partitions, as the
// state store partitions it) names the one thread that owns it. An aggregation first combines
// its rows per group where they are read and routes the partial aggregates; a stream-stream
// join routes each side by its join key; dropDuplicates by its columns; session windows by the
// grouping key their sessions are stored under.
import type { OperatorLogic } from '../../actors/operator.js';
import type { FusedInput } from '../../operators/aggregate.js';
import type { ColumnSpec } from '../../data/chunk-codec.js';
import { columnsOf } from '../../data/chunk-codec.js';
import type { Row } from '../../data/row.js';
import { compileValue } from '../../expr/codegen.js';
import type { LogicalPlan, OutputMode } from '../../plan/logical.js';
import { isStreaming } from '../../plan/logical.js';
import { dedupKey } from '../../operators/dedup.js';
import { compileJoinFunctions } from '../../operators/join/join-functions.js';
import type { PartialRow } from '../../operators/partial-aggregate.js';
import { PARTIAL_COLUMNS, partialAggregate } from '../../operators/partial-aggregate.js';
import { sessionGroupKey } from '../../operators/session-window-aggregate.js';

/** One input of a keyed operator, as the exchange in front of it sees it. */
export interface ExchangeInput {
  /** Runs on the sending thread before the exchange (partial aggregation, with the stateless steps in front), or null. */
  readonly combine: ((input: FusedInput) => OperatorLogic) | null;
  /** The columns rows cross the exchange in. */
  readonly columns: readonly ColumnSpec[];
  /** The key whose key group owns a row; undefined for a row no key owns (it touches no state). */
  readonly routingKey: (row: Row) => string | undefined;
  /** What the exchange is called in explain() and progress. */
  readonly description: string;
}

/** Whether a node keeps keyed state, so that its streaming inputs go through an exchange. */
export function isKeyed(node: LogicalPlan): boolean {
  switch (node.k) {
    case 'aggregate': case 'dedup': return isStreaming(node.child);
    case 'join': return isStreaming(node.left) && isStreaming(node.right);
    case 'groupState': return isStreaming(node.child);
    default: return false;
  }
}

/** Whether an aggregation combines on the map side (every aggregate but session windows). */
export function combinesPartially(node: LogicalPlan): boolean {
  return node.k === 'aggregate' && node.window?.kind !== 'session';
}

export function exchangeInput(node: LogicalPlan, input: number, mode: OutputMode, keyGroups: number): ExchangeInput {
  switch (node.k) {
    case 'aggregate': {
      const keys = node.keys.map((k) => k.name).join(', ');
      if (node.window?.kind === 'session') {
        const values = node.keys.map((k) => compileValue(k.expr));
        const key = sessionGroupKey(node);
        return {
          combine: null,
          columns: columnsOf(node.child.schema),
          routingKey: (row) => key(values.map((v) => v(row))),
          description: `hashpartitioning(${keys})`,
        };
      }
      return {
        combine: (fused) => partialAggregate(node, mode, keyGroups, fused),
        columns: PARTIAL_COLUMNS,
        routingKey: (row) => (row as unknown as PartialRow).key,
        description: `hashpartitioning(${[...(node.window ? [node.window.name] : []), keys].filter((x) => x).join(', ') || 'single group'})`,
      };
    }
    case 'dedup':
      return { combine: null, columns: columnsOf(node.child.schema), routingKey: dedupKey(node), description: `hashpartitioning(${node.columns.join(', ')})` };
    case 'join': {
      const side = compileJoinFunctions(node)[input === 0 ? 'left' : 'right'];
      return {
        combine: null,
        columns: columnsOf((input === 0 ? node.left : node.right).schema),
        routingKey: (row) => (side.filter(row) ? side.key(row) : undefined),
        description: `hashpartitioning(join key, ${input === 0 ? 'left' : 'right'})`,
      };
    }
    default:
      throw new Error(`internal: no exchange in front of a '${node.k}' node`);
  }
}
