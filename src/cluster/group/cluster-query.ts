// What a query must look like to run on many worker processes in this first cut: Kafka sources
// (subscribe to one topic each), each followed by a chain of stateless steps with at most one
// withWatermark (without the beyond-Spark options) and any stream-static joins (the static side
// a batch plan every worker reads from the query code, as each Spark executor gets the broadcast
// side), then at most one keyed step (a groupBy aggregation, session windows included, a
// dropDuplicates, a (flat)mapGroupsWithState without a processing-time timeout, or a
// stream-stream join of two such inputs), stateless steps after it, and a sink of CLUSTER_SINKS
// (cluster-sink.ts says who writes it). The plan is cut at the keyed step as Spark cuts it at its shuffle: stage one runs where a source partition is owned (read, the chain, the partial
// aggregate, the hash of the join key), stage two where the key group is owned (merge into the
// state or join against it, emit, the steps after). Anything else is refused at start with what
// is missing, never run with other semantics.
import { AnalysisError } from '../../errors.js';
import type { AggregateNode, DedupNode, GroupStateNode, JoinNode, LogicalPlan, OutputMode, SourceNode, WatermarkNode } from '../../plan/logical.js';
import { isStreaming } from '../../plan/logical.js';
import type { StatelessStep } from '../../operators/stateless-chain.js';
import { LookupJoin } from '../../operators/join/lookup-join.js';
import { executeBatch, stepOf } from '../../query/batch-execution.js';

/** A started writeStream as cluster mode needs it (DataStreamWriter.clusterQuery()). */
export interface ClusterQuery {
  readonly plan: LogicalPlan;
  readonly outputMode: OutputMode;
  readonly sinkFormat: string;
  readonly sinkOptions: Readonly<Record<string, string>>;
  readonly checkpointLocation: string | null;
  readonly queryName: string | null;
  readonly keyGroups: number;
  /** The file sink's output folder (option 'path'). */
  readonly path?: string;
  /** foreachBatch's function, as the writer keeps it. */
  readonly instance?: unknown;
}

/** One input of the keyed step (the aggregation's one, a join's left and right): a Kafka source and its chain. */
export interface ClusterInput {
  readonly source: SourceNode;
  readonly topic: string;
  /** Steps from the source to the keyed step (or to the sink when there is none). */
  readonly before: readonly LogicalPlan[];
  /** The delay of this input's withWatermark, if any. */
  readonly watermarkDelayMs: number | null;
}

export interface ClusterStages {
  /** The keyed step's inputs in its input order (one, or a join's left and right). */
  readonly inputs: readonly ClusterInput[];
  readonly aggregate: AggregateNode | null;
  readonly join: JoinNode | null;
  readonly dedup: DedupNode | null;
  /** (flat)mapGroupsWithState: its state per user key, in the key's key group. */
  readonly groupState: GroupStateNode | null;
  /** Steps after the keyed step. */
  readonly after: readonly LogicalPlan[];
  /** Input 0's source, topic, chain and watermark delay (the only input without a join). */
  readonly source: SourceNode;
  readonly topic: string;
  readonly before: readonly LogicalPlan[];
  readonly watermarkDelayMs: number | null;
}

const STATELESS = new Set(['project', 'filter', 'map']);
/** Sinks cluster mode writes: from every key group's task (kafka, files, foreachBatch) or gathered on the coordinator (complete mode, console). */
export const CLUSTER_SINKS = ['kafka', 'json', 'csv', 'text', 'foreachbatch', 'console'];

function refuse(what: string): never {
  throw new AnalysisError(`cluster mode (startWorker) does not run ${what} yet: ` +
    'it runs Kafka sources, stateless steps, stream-static joins and one withWatermark per source, ' +
    'at most one groupBy aggregation, dropDuplicates, (flat)mapGroupsWithState (no processing-time timeout) or stream-stream join, ' +
    'and a Kafka, file (json, csv, text), foreachBatch or console sink; run this query in one process instead');
}

/** The chain from a Kafka source up to (not including) `top`'s first keyed or unsupported step. */
function inputBelow(top: LogicalPlan, watermarkAllowed: boolean): ClusterInput {
  const before: LogicalPlan[] = [];
  let watermark: WatermarkNode | null = null;
  let node = top;
  for (;;) {
    if (STATELESS.has(node.k)) {
      before.unshift(node);
      node = (node as { child: LogicalPlan }).child;
    } else if (node.k === 'watermark') {
      if (!watermarkAllowed) refuse('a withWatermark without an aggregation or a join above it');
      if (watermark) refuse('two withWatermark steps on one input');
      if (node.tracking || node.lateRows) refuse('withWatermark options (idleTimeout, perPartition, maxFutureSkew, onLateRows)');
      watermark = node;
      before.unshift(node);
      node = node.child;
    } else if (node.k === 'join' && streamingSideOf(node) !== null) {
      // A stream-static join: a stateless step of stage one (lookup-join.ts), whatever its join type start() admits.
      before.unshift(node);
      node = streamingSideOf(node) === 'left' ? node.left : node.right;
    } else if (node.k === 'source') {
      break;
    } else if (node.k === 'aggregate' || node.k === 'join' || node.k === 'dedup' || node.k === 'groupState') {
      if (before.some((n) => n.k === 'join')) refuse('a stream-static join after an aggregation, dropDuplicates or stream-stream join (join the static side before it)');
      refuse('two stateful steps (an aggregation or join below another)');
    } else {
      refuse(`a '${node.k}' step`);
    }
  }
  const source = node as SourceNode;
  if (source.format.toLowerCase() !== 'kafka') refuse(`a '${source.format}' source`);
  const topics = (source.options['subscribe'] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (topics.length !== 1) refuse("a Kafka source other than option('subscribe', <one topic>)");
  return { source, topic: topics[0]!, before, watermarkDelayMs: watermark?.delayMs ?? null };
}

export function clusterStages(q: ClusterQuery): ClusterStages {
  if (!CLUSTER_SINKS.includes(q.sinkFormat.toLowerCase())) refuse(`a '${q.sinkFormat}' sink`);
  const after: LogicalPlan[] = [];
  let node = q.plan;
  while (STATELESS.has(node.k)) {
    after.unshift(node);
    node = (node as { child: LogicalPlan }).child;
  }
  let inputs: ClusterInput[];
  let aggregate: AggregateNode | null = null;
  let join: JoinNode | null = null;
  let dedup: DedupNode | null = null;
  let groupState: GroupStateNode | null = null;
  if (node.k === 'aggregate') {
    aggregate = node;
    inputs = [inputBelow(node.child, true)];
  } else if (node.k === 'dedup') {
    dedup = node;
    inputs = [inputBelow(node.child, true)];
  } else if (node.k === 'groupState') {
    // A processing-time timeout needs an epoch on every trigger, data or not: the coordinator plans epochs by data and watermark only.
    if (node.timeout === 'ProcessingTimeTimeout') refuse(`${node.single ? 'mapGroupsWithState' : 'flatMapGroupsWithState'} with GroupStateTimeout.ProcessingTimeTimeout (use EventTimeTimeout or NoTimeout)`);
    groupState = node;
    inputs = [inputBelow(node.child, true)];
  } else if (node.k === 'join' && streamingSideOf(node) === null) {
    if (node.leftKeys.length === 0) refuse('a join without an equality of keys');
    if (node.joinType === 'leftAnti') refuse('a stream-stream left anti join');
    join = node;
    inputs = [inputBelow(node.left, true), inputBelow(node.right, true)];
    if (inputs[0]!.topic === inputs[1]!.topic) refuse('a join of a topic with itself');
  } else {
    inputs = [inputBelow(node, false)];
    // No keyed step: the whole plan is the chain.
    inputs = [{ ...inputs[0]!, before: [...inputs[0]!.before, ...after] }];
    after.length = 0;
  }
  const first = inputs[0]!;
  return { inputs, aggregate, join, dedup, groupState, after, source: first.source, topic: first.topic, before: first.before, watermarkDelayMs: first.watermarkDelayMs };
}

/** A stream-static join's streaming side; null for a join of two streams. */
function streamingSideOf(join: JoinNode): 'left' | 'right' | null {
  const [left, right] = [isStreaming(join.left), isStreaming(join.right)];
  return left && right ? null : left ? 'left' : 'right';
}

/**
 * The compiled steps of a chain of stateless nodes, in order. A stream-static join probes the
 * static side, which each task reads afresh per epoch (runStageOne), as one process does per micro-batch.
 */
export function chainSteps(nodes: readonly LogicalPlan[]): StatelessStep[] {
  return nodes.map((node): StatelessStep => (node.k === 'join' ? { k: 'lookupJoin', join: new LookupJoin(node, streamingSideOf(node)!, executeBatch) } : stepOf(node)));
}
