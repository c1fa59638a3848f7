// The driver's half of a query under master('local[N]'): the hooks that make the physical
// planner build the driver's graph with each region of the plan deployed on the worker threads
// (placement.ts) and standing in it as a gather actor, and sources read by the threads planned
// as splits.
import type { Offset, StreamSink, StreamSource } from '../connectors/contract.js';
import type { LogicalPlan, SourceNode } from '../plan/logical.js';
import { nodes } from '../plan/logical.js';
import type { BuildHooks, GraphBuilder, PlannedSource } from '../plan/physical.js';
import { sumStats } from './exchange/channel.js';
import { splitRow } from './exchange/messages.js';
import type { Placement, Region } from './placement.js';
import type { ParallelismProgress } from '../query/progress.js';
import { describe } from './explain.js';
import type { DeploymentContext } from './region-deployment.js';
import { RegionDeployment } from './region-deployment.js';

export interface ParallelPlanOptions extends Omit<DeploymentContext, 'splitSources' | 'nodeIds' | 'sink'> {
  readonly plan: LogicalPlan;
  readonly placement: Placement;
  /** Set when the threads write the sink (the region ending the plan then sends the driver no rows). */
  readonly sink: DeploymentContext['sink'];
  /** The sink and where it writes from, for explain() and progress (sinkPlacement). */
  readonly sinkPlacement: string;
}

export class ParallelPlan implements BuildHooks {
  private readonly deployments = new Map<Region, RegionDeployment>();
  private readonly nodeIds: Map<LogicalPlan, number>;

  constructor(private readonly opts: ParallelPlanOptions) {
    this.nodeIds = new Map([...new Set(nodes(opts.plan))].map((n, i) => [n, i]));
  }

  external(node: LogicalPlan, builder: GraphBuilder): RegionDeployment['gather'] | undefined {
    const region = this.opts.placement.regionOf.get(node);
    if (!region) return undefined;
    if (region.output !== node) throw new Error(`internal: the driver reached ${node.k}, inside region ${region.id}`);
    let d = this.deployments.get(region);
    if (!d) {
      const { plan, placement, sink, sinkPlacement: _, ...shared } = this.opts;
      d = new RegionDeployment(region, {
        ...shared, splitSources: placement.splitSources, nodeIds: this.nodeIds, sink: region.output === plan ? sink : null,
      }, builder);
      this.deployments.set(region, d);
    }
    return d.gather;
  }

  source(node: SourceNode, source: StreamSource): Pick<PlannedSource, 'read' | 'rowsRead'> | undefined {
    if (!this.opts.placement.splitSources.has(node)) return undefined;
    if (!source.planSplits) throw new Error(`internal: source ${source.description} has a split reader but plans no splits`);
    const threads = this.opts.threads.length;
    return {
      read: async function* (start: Offset, end: Offset) {
        yield (await source.planSplits!(start, end, threads)).map(splitRow);
      },
      rowsRead: () => Math.max(0, ...[...this.deployments.values()].map((d) => d.splitRows.get(node) ?? 0)),
    };
  }

  /** Tells every region's threads that an epoch starts. */
  beginEpoch(epoch: number, batchTimestampMs: number, watermarkMs: number): void {
    for (const d of this.deployments.values()) d.beginEpoch(epoch, batchTimestampMs, watermarkMs);
  }

  /** How the last epoch ran on the threads, for progress and status. */
  progress(master: string): ParallelismProgress {
    const last = [...this.deployments].flatMap(([region, d]) => (d.last ? [{ region, last: d.last }] : []));
    const exchange = sumStats(last.map(({ last: l }) => l.exchange));
    return {
      master,
      threads: this.opts.threads.length,
      tasks: last.flatMap(({ region, last: l }) => l.tasks.map((t) => ({ region: region.id, ...t, busyMs: Math.round(t.busyMs) }))),
      exchange: {
        chunks: exchange.chunks, rows: exchange.rows, bytes: exchange.bytes, ms: Math.round(exchange.ms),
        bytesPerRow: exchange.rows > 0 ? Math.round((10 * exchange.bytes) / exchange.rows) / 10 : 0,
      },
      onDriver: [...this.opts.placement.onDriver].map(([n, why]) => `${describe(n)}: ${why}`),
      sink: this.opts.sinkPlacement,
    };
  }
}

/** How explain() and progress name the sink of a query under master('local[N]') and where it writes from. */
export function sinkPlacement(sink: StreamSink, threads: number, fromTasks: boolean): string {
  if (!fromTasks) return `*(driver: each epoch gathered) ${sink.description}`;
  return sink.writesPerKeyGroup
    ? `*(${threads} threads, per task: each thread writes the key groups it owns, one transaction per key group and epoch) ${sink.description}`
    : `*(${threads} threads, per task) ${sink.description}`;
}
