// What Trigger.Continuous accepts, checked by start() (Spark's UnsupportedOperationChecker
// .checkForContinuous): sources, then projections and filters (select, where, map, flatMap,
// explode) into a sink; no operator that needs epochs of data (aggregations, joins,
// deduplication, group state, watermarks, unions), no current time, and only sources and
// sinks that can run continuously. Messages keep Spark's key phrase and say what to do.
import { AnalysisError } from '../errors.js';
import type { BoundExpr } from '../expr/bound.js';
import { boundChildren } from '../expr/bound.js';
import type { LogicalPlan, SourceNode } from './logical.js';
import { nodes } from './logical.js';

/** Spark's names for the operators continuous processing refuses. */
const SPARK_NODE_NAME: Partial<Record<LogicalPlan['k'], string>> = {
  aggregate: 'Aggregate',
  join: 'Join',
  dedup: 'Deduplicate',
  groupState: 'FlatMapGroupsWithState',
  union: 'Union',
  watermark: 'EventTimeWatermark',
  sort: 'Sort',
  limit: 'LocalLimit',
};

/** Functions that read the current time, which a continuous query has no batch timestamp for. */
const CURRENT_TIME = new Set(['current_timestamp', 'now', 'current_date', 'localtimestamp']);

export interface ContinuousTarget {
  /** Whether the source of this node can run continuously (its connector says so). */
  readonly sourceSupportsContinuous: (node: SourceNode) => boolean;
  /** The sink's format name and whether it writes continuously. */
  readonly sinkFormat: string;
  readonly sinkSupportsContinuous: boolean;
}

export function checkContinuousQuery(plan: LogicalPlan, target: ContinuousTarget): void {
  if (target.sinkFormat.toLowerCase() === 'foreachbatch') {
    throw new AnalysisError("'foreachBatch' is not supported with continuous trigger: use foreach(writer) for row-by-row output, or a micro-batch trigger");
  }
  for (const node of nodes(plan)) {
    const name = SPARK_NODE_NAME[node.k];
    if (name) {
      throw new AnalysisError(
        `Continuous processing does not support ${name} operations. A continuous query may only select, filter, map and flatMap rows ` +
        'between a source and a sink; use a micro-batch trigger (Trigger.ProcessingTime) for this query',
      );
    }
    if (node.k === 'source' && !target.sourceSupportsContinuous(node)) {
      throw new AnalysisError(
        `Data source ${node.format} does not support continuous processing. Sources that do: rate, kafka, socket, memory; use a micro-batch trigger for this one`,
      );
    }
    if (expressionsOf(node).some(readsCurrentTime)) {
      throw new AnalysisError(
        'Continuous processing does not support current time operations. current_timestamp(), now() and current_date() need a batch timestamp; ' +
        'use a micro-batch trigger, or take the time from the data (the rate source has a timestamp column)',
      );
    }
  }
  if (!target.sinkSupportsContinuous) {
    throw new AnalysisError(
      `Data source ${target.sinkFormat} does not support continuous writing. Sinks that do: kafka, memory, console, foreach; use a micro-batch trigger for this one`,
    );
  }
}

function expressionsOf(node: LogicalPlan): BoundExpr[] {
  switch (node.k) {
    case 'project': return [...node.items.map((i) => i.expr), ...(node.generator ? [node.generator.input] : [])];
    case 'filter': return [node.condition];
    default: return [];
  }
}

function readsCurrentTime(e: BoundExpr): boolean {
  if (e.k === 'call' && (CURRENT_TIME.has(e.fn.name) || (e.fn.name === 'unix_timestamp' && e.args.length === 0))) return true;
  return boundChildren(e).some(readsCurrentTime);
}
