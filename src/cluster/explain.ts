// The physical plan as explain() prints it, Spark-style: one line per operator, children
// indented below, with where each runs under master('local[N]') — `*(N threads)` for an
// operator with an instance on each worker thread, `*(driver)` for one on the driver thread
// and why — and the exchanges that cut the plan into stages: Exchange (rows routed by key
// group between threads), Scatter (a driver-side input dealt out to the threads), Gather (a
// region's output collected on the driver).
import { splitFormats } from '../connectors/contract.js';
import type { LogicalPlan } from '../plan/logical.js';
import { children, isStreaming } from '../plan/logical.js';
import type { QueryConf } from '../query/conf.js';
import { combinesPartially, exchangeInput, isKeyed } from './exchange/partitioning.js';
import { parseMaster } from './master.js';
import type { Placement } from './placement.js';
import { placeQuery } from './placement.js';

export interface ExplainOptions {
  readonly master: string;
  /** A running query's sink and where it writes from (WriteToDataSink, the root line), when known. */
  readonly sink?: string;
  readonly shufflePartitions: number;
  readonly outputMode: 'append' | 'update' | 'complete';
}

/** The physical plan of `plan` as a query would run it with `conf` (placed as the session's master asks). */
export function explainQuery(plan: LogicalPlan, conf: QueryConf, outputMode: ExplainOptions['outputMode'], placement?: Placement, sink?: string): string {
  const formats = new Set(splitFormats());
  const placed = placement ?? placeQuery(plan, { threads: parseMaster(conf.master), splittable: (n) => formats.has(n.format.toLowerCase()) });
  return explainPhysical(plan, placed, { master: conf.master, shufflePartitions: conf.shufflePartitions, outputMode, ...(sink !== undefined ? { sink } : {}) });
}

export function explainPhysical(plan: LogicalPlan, placement: Placement, opts: ExplainOptions): string {
  const lines: string[] = [];
  const threads = placement.threads;
  const header = threads > 1
    ? `== Physical Plan (master ${opts.master}: ${threads} worker threads, ${opts.shufflePartitions} key groups) ==`
    : '== Physical Plan (one thread) ==';
  lines.push(header);
  const where = (n: LogicalPlan): string => {
    if (threads <= 1) return '';
    if (placement.regionOf.has(n)) return `*(${threads} threads) `;
    const why = placement.onDriver.get(n);
    return `*(driver${why ? `: ${why}` : ''}) `;
  };
  const emit = (text: string, depth: number): void => {
    lines.push(depth === 0 ? text : `${'   '.repeat(depth - 1)}+- ${text}`);
  };
  const visit = (n: LogicalPlan, depth: number): void => {
    const region = placement.regionOf.get(n);
    if (region && region.output === n) {
      emit(`Gather [region ${region.id}: ${threads} threads → driver]`, depth++);
    }
    emit(`${where(n)}${describe(n)}`, depth);
    const inputs = children(n).filter((c) => isStreaming(c) || n.k === 'join');
    inputs.forEach((c, i) => {
      let d = depth + 1;
      if (!isStreaming(c)) {
        emit(`Broadcast static side${placement.regionOf.has(n) ? ' [evaluated on the driver each epoch]' : ''}`, d);
        visitStatic(c, d + 1);
        return;
      }
      if (placement.regionOf.has(n) && isKeyed(n)) {
        const ex = exchangeInput(n, i, opts.outputMode, opts.shufflePartitions);
        emit(`Exchange ${ex.description}, ${opts.shufflePartitions} key groups`, d++);
        if (combinesPartially(n)) emit(`*(${threads} threads) PartialAggregate (map-side combine)`, d++);
      }
      if (region && !placement.regionOf.has(c)) {
        const split = c.k === 'source' && placement.splitSources.has(c);
        emit(split ? `Scatter splits [each thread reads its splits of ${c.format}]` : `Scatter roundrobin [driver → ${threads} threads]`, d++);
      }
      visit(c, d);
    });
  };
  const visitStatic = (n: LogicalPlan, depth: number): void => {
    emit(describe(n), depth);
    for (const c of children(n)) visitStatic(c, depth + 1);
  };
  if (opts.sink !== undefined) emit(`WriteToDataSink ${opts.sink}`, 0);
  visit(plan, opts.sink !== undefined ? 1 : 0);
  return `${lines.join('\n')}\n`;
}

/** An operator as explain() and progress name it. */
export function describe(n: LogicalPlan): string {
  switch (n.k) {
    case 'source': return `StreamingSource ${n.format}${n.path !== undefined ? ` ${n.path}` : ''}`;
    case 'static': return `LocalRelation ${n.description}`;
    case 'project': return `Project [${n.items.map((i) => i.name).join(', ')}]${n.generator ? ` with ${n.generator.names.join(', ')} generated` : ''}`;
    case 'filter': return 'Filter';
    case 'watermark': return `EventTimeWatermark ${n.column}, ${n.delayMs} ms`;
    case 'map': return n.flat ? 'FlatMap [user function]' : 'Map [user function]';
    case 'aggregate': {
      const keys = [...(n.window ? [n.window.name] : []), ...n.keys.map((k) => k.name)];
      return `${n.window?.kind === 'session' ? 'SessionWindowStateStoreSave' : 'StateStoreSave'} [${keys.join(', ')}], aggregates [${n.aggregates.map((a) => a.fn.name).join(', ')}]`;
    }
    case 'dedup': return `${n.withinWatermark ? 'DeduplicateWithinWatermark' : 'Deduplicate'} [${n.columns.join(', ')}]`;
    case 'join': return isStreaming(n.left) && isStreaming(n.right) ? `StreamingSymmetricHashJoin ${n.joinType}` : `StreamStaticJoin ${n.joinType}`;
    case 'groupState': return n.single ? 'MapGroupsWithState [user function]' : 'FlatMapGroupsWithState [user function]';
    case 'union': return 'Union';
    case 'sort': return `Sort [${n.orders.map((o) => (o.ascending ? 'ASC' : 'DESC')).join(', ')}]`;
    case 'limit': return `GlobalLimit ${n.n}`;
  }
}
