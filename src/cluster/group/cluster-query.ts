// What a query must look like to run on many worker processes in this first cut: one Kafka
// source (subscribe to one topic), a chain of stateless steps with at most one withWatermark
// (without the beyond-Spark options), at most one aggregation (not a session window),
// stateless steps after it, and a sink of CLUSTER_SINKS (cluster-sink.ts says who writes it). The
// plan is cut at the aggregation as Spark cuts it at its shuffle: stage one runs where the
// source partition is owned (read, the chain, the partial aggregate), stage two where the key
// group is owned (merge into the state, emit, the steps after). Anything else is refused at
// start with what is missing, never run with other semantics.
import { AnalysisError } from '../../errors.js';
import type { AggregateNode, LogicalPlan, OutputMode, SourceNode, WatermarkNode } from '../../plan/logical.js';
import type { StatelessStep } from '../../operators/stateless-chain.js';
import { stepOf } from '../../query/batch-execution.js';

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

export interface ClusterStages {
  readonly source: SourceNode;
  readonly topic: string;
  /** Steps from the source to the aggregation (or to the sink when there is none). */
  readonly before: readonly LogicalPlan[];
  readonly aggregate: AggregateNode | null;
  /** Steps after the aggregation. */
  readonly after: readonly LogicalPlan[];
  /** The delay of the one withWatermark below the aggregation, if any. */
  readonly watermarkDelayMs: number | null;
}

const STATELESS = new Set(['project', 'filter', 'map']);
/** Sinks cluster mode writes: from every key group's task (kafka, files, foreachBatch) or gathered on the coordinator (complete mode, console). */
export const CLUSTER_SINKS = ['kafka', 'json', 'csv', 'text', 'foreachbatch', 'console'];

export function clusterStages(q: ClusterQuery): ClusterStages {
  const refuse = (what: string): never => {
    throw new AnalysisError(`cluster mode (startWorker) does not run ${what} yet: ` +
      'it runs a Kafka source, stateless steps and one withWatermark, at most one groupBy aggregation, and a Kafka, file (json, csv, text), foreachBatch or console sink; ' +
      'run this query in one process instead');
  };
  if (!CLUSTER_SINKS.includes(q.sinkFormat.toLowerCase())) refuse(`a '${q.sinkFormat}' sink`);
  const after: LogicalPlan[] = [];
  const before: LogicalPlan[] = [];
  let aggregate: AggregateNode | null = null;
  let watermark: WatermarkNode | null = null;
  let node = q.plan;
  for (;;) {
    if (STATELESS.has(node.k)) {
      (aggregate ? before : after).unshift(node);
      node = (node as { child: LogicalPlan }).child;
    } else if (node.k === 'watermark') {
      if (!aggregate) refuse('a withWatermark above the aggregation or without one');
      if (watermark) refuse('two withWatermark steps');
      if (node.tracking || node.lateRows) refuse('withWatermark options (idleTimeout, perPartition, maxFutureSkew, onLateRows)');
      watermark = node;
      before.unshift(node);
      node = node.child;
    } else if (node.k === 'aggregate') {
      if (aggregate) refuse('two aggregations');
      if (node.window?.kind === 'session') refuse('session windows');
      aggregate = node;
      node = node.child;
    } else if (node.k === 'source') {
      break;
    } else {
      refuse(`a '${node.k}' step`);
    }
  }
  const source = node as SourceNode;
  if (source.format.toLowerCase() !== 'kafka') refuse(`a '${source.format}' source`);
  const topics = (source.options['subscribe'] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (topics.length !== 1) refuse("a Kafka source other than option('subscribe', <one topic>)");
  return aggregate
    ? { source, topic: topics[0]!, before, aggregate, after, watermarkDelayMs: (watermark as WatermarkNode | null)?.delayMs ?? null }
    : { source, topic: topics[0]!, before: after, aggregate: null, after: [], watermarkDelayMs: null };
}

/** The compiled steps of a chain of stateless nodes, in order. */
export function chainSteps(nodes: readonly LogicalPlan[]): StatelessStep[] {
  return nodes.map(stepOf);
}
