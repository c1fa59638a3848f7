// Where each part of a query runs under master('local[N]'): a pure function of the plan.
//
// The honest rule for user code. An expression tree is plain data, so any thread can compile
// and run it; a user closure (a map or flatMap function, a groupByKey key function, a
// (flat)mapGroupsWithState function, a udf, a MemoryStream or custom source object, a static
// loader) lives in the driver thread's heap and cannot cross a worker_threads boundary. So:
//   - every node built only of trees runs on all N worker threads, one instance per thread;
//     connected such nodes form a region, deployed to the threads as one sub-plan;
//   - a node holding a user closure runs on the driver thread, as today: a stateful one owns
//     all key groups itself (the one-thread engine, exactly); its inputs are gathered to it;
//   - sources always plan their offsets on the driver; one whose provider can cut an epoch into
//     splits that any thread can read (files, Kafka partitions, rate ranges) has its splits read
//     by the worker threads, anything else is read on the driver and its rows are dealt out;
//   - a sort or a global limit sees the epoch's rows in one place: it runs on the driver;
//   - the sink runs on the driver and sees each epoch gathered, as Spark's driver does for
//     foreachBatch; the static side of a stream-static join is evaluated on the driver each
//     epoch and broadcast to the threads that join against it.
// explain() and progress name every node kept on the driver and why. Continuous-trigger
// queries run on the driver (Spark needs one core per partition for them; we keep one thread).
import type { LogicalPlan, SourceNode } from '../plan/logical.js';
import { children, isStreaming, nodes } from '../plan/logical.js';
import { userClosure } from './plan-codec.js';

export interface Region {
  readonly id: number;
  /** Nodes that run on every worker thread, one instance each. */
  readonly nodes: ReadonlySet<LogicalPlan>;
  /** Driver-side nodes whose rows enter the region, each through a scatter, in plan order. */
  readonly inputs: readonly LogicalPlan[];
  /** The region's node whose rows leave it, gathered on the driver. */
  readonly output: LogicalPlan;
  /** Static sides of stream-static joins in the region: evaluated on the driver, broadcast each epoch. */
  readonly statics: readonly LogicalPlan[];
}

export interface Placement {
  /** Worker threads (1: no worker threads, the one-thread engine). */
  readonly threads: number;
  readonly regions: readonly Region[];
  readonly regionOf: ReadonlyMap<LogicalPlan, Region>;
  /** Nodes kept on the driver thread, and why. */
  readonly onDriver: ReadonlyMap<LogicalPlan, string>;
  /** Sources whose splits the worker threads read. */
  readonly splitSources: ReadonlySet<SourceNode>;
}

export interface PlacementOptions {
  readonly threads: number;
  /** Whether worker threads can read this source's splits. */
  readonly splittable: (source: SourceNode) => boolean;
  /** Set for a continuous trigger: everything stays on the driver. */
  readonly continuous?: boolean;
}

export function placeQuery(plan: LogicalPlan, opts: PlacementOptions): Placement {
  const onDriver = new Map<LogicalPlan, string>();
  const none: Placement = { threads: opts.threads, regions: [], regionOf: new Map(), onDriver, splitSources: new Set() };
  if (opts.threads <= 1) return none;
  const streaming = unique(nodes(plan).filter(isStreaming));
  if (opts.continuous) {
    for (const n of streaming) onDriver.set(n, 'continuous processing runs on one thread');
    return none;
  }
  const splitSources = new Set<SourceNode>();
  const candidates = new Set<LogicalPlan>();
  for (const n of streaming) {
    if (n.k === 'source') {
      if (n.instance === undefined && opts.splittable(n)) splitSources.add(n);
      else onDriver.set(n, n.instance !== undefined ? `reads a ${n.format} source object held by the driver` : `the ${n.format} source cannot be split for worker threads`);
      continue;
    }
    const closure = userClosure(n);
    if (closure !== null) onDriver.set(n, `holds a user closure (${closure}), which cannot leave the driver thread`);
    else if (n.k === 'sort' || n.k === 'limit') onDriver.set(n, `${n.k === 'sort' ? 'a sort' : 'a global limit'} sees every row of the epoch in one place`);
    else candidates.add(n);
  }

  // Consumers of each node within the streaming plan (the root's consumer is the sink).
  const consumers = new Map<LogicalPlan, LogicalPlan[]>();
  for (const n of streaming) for (const c of children(n).filter(isStreaming)) consumers.set(c, [...(consumers.get(c) ?? []), n]);

  const regions: Region[] = [];
  const regionOf = new Map<LogicalPlan, Region>();
  const seen = new Set<LogicalPlan>();
  for (const start of streaming) {
    if (!candidates.has(start) || seen.has(start)) continue;
    // A connected component of candidates, through child and consumer edges.
    const members = new Set<LogicalPlan>();
    const stack = [start];
    while (stack.length) {
      const n = stack.pop()!;
      if (members.has(n)) continue;
      members.add(n);
      seen.add(n);
      for (const m of [...children(n), ...(consumers.get(n) ?? [])]) if (candidates.has(m) && !members.has(m)) stack.push(m);
    }
    const outputs = [...members].filter((n) => n === plan || (consumers.get(n) ?? []).some((c) => !members.has(c)));
    if (outputs.length !== 1) {
      for (const n of members) onDriver.set(n, 'part of the plan is read by two consumers, which one worker region cannot feed');
      continue;
    }
    const ordered = streaming.filter((n) => members.has(n));
    const inputs = unique(ordered.flatMap((n) => children(n).filter((c) => isStreaming(c) && !members.has(c))));
    const statics = unique(ordered.flatMap((n) => (n.k === 'join' ? [n.left, n.right].filter((c) => !isStreaming(c)) : [])));
    const region: Region = { id: regions.length, nodes: new Set(ordered), inputs, output: outputs[0]!, statics };
    regions.push(region);
    for (const n of members) regionOf.set(n, region);
  }
  return { threads: opts.threads, regions, regionOf, onDriver, splitSources };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
