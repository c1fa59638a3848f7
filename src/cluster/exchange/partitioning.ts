// How rows reach the owner of their state (Spark's HashPartitioning at a ShuffleExchange): a
// keyed stateful operator's input is routed by the very key the operator stores the row's
// state under, so the key group of that key (hash mod spate.sql.shuffle.partitions, as the
// state store partitions it) names the one thread that owns it. An aggregation first combines
// its rows per group where they are read and routes the partial aggregates; a stream-stream
// join routes each side by its join key; dropDuplicates by its columns; session windows by the
// grouping key their sessions are stored under; (flat)mapGroupsWithState by the user's key.
import type { OperatorLogic } from '../../actors/operator.js';
import type { FusedInput } from '../../operators/aggregate.js';
import type { ByteReader } from '../../data/bytes.js';
import type { ChunkCodec } from '../../data/chunk-codec.js';
import { schemaCodec } from '../../data/chunk-codec.js';
import type { Row } from '../../data/row.js';
import { compileValue } from '../../expr/codegen.js';
import type { LogicalPlan, OutputMode } from '../../plan/logical.js';
import { isStreaming } from '../../plan/logical.js';
import { dedupKey } from '../../operators/dedup.js';
import { singleKey } from '../../operators/group-key.js';
import { compileJoinFunctions } from '../../operators/join/join-functions.js';
import type { PartialRow } from '../../operators/partial-aggregate.js';
import { PartialColumns, PartialGroups, partialAggregate, partialCodec } from '../../operators/partial-aggregate.js';
import type { KeyGroupSections } from './shuffle-writer.js';
import { sessionGroupKey } from '../../operators/session-window-aggregate.js';
import { partitionOf } from '../../state/keyed-store.js';

/** One input of a keyed operator, as the exchange in front of it sees it. */
export interface ExchangeInput {
  /** Runs on the sending thread before the exchange (partial aggregation, with the stateless steps in front), or null. */
  readonly combine: ((input: FusedInput) => OperatorLogic) | null;
  /** How rows cross the exchange. */
  readonly codec: ChunkCodec;
  /** The key group that owns a row: hash of the key its state is stored under; 0 for a row no key owns (it touches no state). */
  readonly keyGroup: (row: Row) => number;
  /** What the exchange is called in explain() and progress. */
  readonly description: string;
  /** A chunk the combine step emitted as key-group sections (partial groups) rather than rows; absent: rows. */
  readonly sections?: (rows: readonly Row[]) => readonly KeyGroupSections[] | null;
  /** Reads one key group's section of a frame as the receiving operator takes it; absent: the codec's rows. */
  readonly readSection?: (r: ByteReader) => Row[];
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
          codec: schemaCodec(node.child.schema),
          keyGroup: byKey((row) => key(values.map((v) => v(row))), keyGroups),
          description: `hashpartitioning(${keys})`,
        };
      }
      const codec = partialCodec(node);
      return {
        combine: (fused) => partialAggregate(node, mode, keyGroups, fused),
        codec,
        keyGroup: (row) => (row as unknown as PartialRow).g!,
        // The partial aggregation emits its flushed table; the owner merges the decoded columns.
        sections: (rows) => (rows.length > 0 && rows.every((r) => r instanceof PartialGroups) ? rows as unknown as PartialGroups[] : null),
        readSection: (r) => [new PartialColumns(codec.readColumns(r)) as unknown as Row],
        description: `hashpartitioning(${[...(node.window ? [node.window.name] : []), keys].filter((x) => x).join(', ') || 'single group'})`,
      };
    }
    case 'groupState':
      return { combine: null, codec: schemaCodec(node.child.schema), keyGroup: byKey((row) => singleKey(node.keyFn(row)), keyGroups), description: 'hashpartitioning(group key)' };
    case 'dedup':
      return { combine: null, codec: schemaCodec(node.child.schema), keyGroup: byKey(dedupKey(node), keyGroups), description: `hashpartitioning(${node.columns.join(', ')})` };
    case 'join': {
      const side = compileJoinFunctions(node)[input === 0 ? 'left' : 'right'];
      return {
        combine: null,
        codec: schemaCodec((input === 0 ? node.left : node.right).schema),
        keyGroup: byKey((row) => (side.filter(row) ? side.key(row) : undefined), keyGroups),
        description: `hashpartitioning(join key, ${input === 0 ? 'left' : 'right'})`,
      };
    }
    default:
      throw new Error(`internal: no exchange in front of a '${node.k}' node`);
  }
}

/** Routing by a key's hash, as the state store partitions it; a row without a key goes to key group 0. */
function byKey(routingKey: (row: Row) => string | undefined, keyGroups: number): (row: Row) => number {
  return (row) => {
    const key = routingKey(row);
    return key === undefined ? 0 : partitionOf(key, keyGroups);
  };
}
