// Plans as messages: the part of a logical plan that runs on worker threads, encoded as plain
// data another thread can rebuild. Nodes are numbered (a plan is a graph: a node may feed two
// others); expression trees are data already, except the function implementations they are
// bound to, which travel as their registry name and options and are bound again on arrival.
// A user closure (map, groupByKey, a udf, a static loader) cannot travel: placement keeps its
// node on the driver thread. A closure a node carries for the driver's sake only (the sink of
// its late rows) travels as a stand-in that refuses to be called.
import type { BindOrigin, BoundFunction } from '../expr/bound.js';
import type { BoundAggregate } from '../expr/functions/registry.js';
import { lookupAggregate, lookupScalar } from '../expr/functions/registry.js';
import '../expr/functions/index.js';
import type { LogicalPlan } from '../plan/logical.js';

/** An encoded value: JSON-like data plus whatever structured clone carries (Dates, Buffers). */
export type Encoded = unknown;

export interface EncodedPlan {
  /** The nodes, each encoded with references to others as { $node: id }. */
  readonly nodes: readonly Encoded[];
  /** Ids of nodes outside the encoded part that it reads from (filled in by the receiver). */
  readonly external: readonly number[];
}


const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';

function isBoundFunction(v: Record<string, unknown>): v is Record<string, unknown> & BoundFunction {
  return typeof v['impl'] === 'function';
}

function isBoundAggregate(v: Record<string, unknown>): v is Record<string, unknown> & BoundAggregate {
  return typeof v['init'] === 'function' && typeof v['update'] === 'function' && typeof v['merge'] === 'function';
}

/**
 * Encodes `included` (nodes of one plan) so that another thread can rebuild them. `ids` numbers
 * every node of the plan; a node outside `included` that an included node reads is listed in
 * `external`.
 */
export function encodePlan(included: ReadonlySet<LogicalPlan>, ids: ReadonlyMap<LogicalPlan, number>): EncodedPlan {
  const external = new Set<number>();
  const idOf = (n: LogicalPlan): number => {
    const id = ids.get(n);
    if (id === undefined) throw new Error(`internal: plan node '${n.k}' has no id`);
    return id;
  };
  const encode = (v: unknown, path: string): Encoded => {
    if (typeof v === 'function') return { $driverOnly: path };
    if (!isObject(v)) return v;
    if (ids.has(v as unknown as LogicalPlan)) {
      const n = v as unknown as LogicalPlan;
      if (!included.has(n)) external.add(idOf(n));
      return { $node: idOf(n) };
    }
    if (isBoundFunction(v)) {
      if (!v.origin) throw new Error(`internal: function ${v.name} at ${path} is a user function (udf) and cannot run on a worker thread`);
      return { $fn: v.origin };
    }
    if (isBoundAggregate(v)) {
      if (!v.origin) throw new Error(`internal: aggregate ${v.name} at ${path} has no registry origin`);
      return { $agg: v.origin };
    }
    if (Array.isArray(v)) return v.map((x, i) => encode(x, `${path}[${i}]`));
    // A structured clone turns a Buffer into a plain Uint8Array: say which it was.
    if (Buffer.isBuffer(v)) return { $buffer: new Uint8Array(v) };
    if (v instanceof Date || v instanceof Uint8Array || v instanceof RegExp) return v;
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      throw new Error(`internal: ${path} is a ${(proto as { constructor?: { name?: string } }).constructor?.name ?? 'class'} instance and cannot be sent to a worker thread`);
    }
    const out: Record<string, Encoded> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encode(x, `${path}.${k}`);
    return out;
  };
  const nodes: Encoded[] = [];
  for (const n of included) {
    const { k } = n;
    const body: Record<string, Encoded> = {};
    for (const [key, x] of Object.entries(n)) body[key] = encode(x, `${k}.${key}`);
    nodes.push({ id: idOf(n), node: body });
  }
  return { nodes, external: [...external].sort((a, b) => a - b) };
}

/** Rebuilds encoded nodes; `external` stands in the nodes outside them. Returns every node by id. */
export function decodePlan(plan: EncodedPlan, externalNode: (id: number) => LogicalPlan): Map<number, LogicalPlan> {
  const raw = new Map<number, Record<string, Encoded>>();
  for (const e of plan.nodes as { id: number; node: Record<string, Encoded> }[]) raw.set(e.id, e.node);
  const built = new Map<number, LogicalPlan>();
  const nodeById = (id: number): LogicalPlan => {
    const done = built.get(id);
    if (done) return done;
    const body = raw.get(id);
    const n = body ? (decode(body) as LogicalPlan) : externalNode(id);
    built.set(id, n);
    return n;
  };
  const decode = (v: Encoded): unknown => {
    if (!isObject(v)) return v;
    if (Array.isArray(v)) return v.map(decode);
    if (v instanceof Date || Buffer.isBuffer(v) || v instanceof Uint8Array || v instanceof RegExp) return v;
    if (typeof v['$node'] === 'number' && Object.keys(v).length === 1) return nodeById(v['$node']);
    if (v['$buffer'] instanceof Uint8Array && Object.keys(v).length === 1) return Buffer.from(v['$buffer']);
    if (typeof v['$driverOnly'] === 'string' && Object.keys(v).length === 1) {
      const path = v['$driverOnly'];
      return () => { throw new Error(`internal: ${path} is a function of the driver thread, called on a worker thread`); };
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decode(x);
    // Bind functions again where they sit: a call node's implementation from its arguments.
    if (out['k'] === 'call' && isObject(out['fn']) && isObject((out['fn'] as Record<string, unknown>)['$fn'])) {
      out['fn'] = rebindScalar((out['fn'] as { $fn: BindOrigin }).$fn, out['args'] as never);
    }
    if (isObject(out['fn']) && isObject((out['fn'] as Record<string, unknown>)['$agg'])) {
      out['fn'] = rebindAggregate((out['fn'] as { $agg: BindOrigin }).$agg, out['args'] as never);
    }
    return out;
  };
  for (const id of raw.keys()) nodeById(id);
  return built;
}

function rebindScalar(origin: BindOrigin, args: Parameters<NonNullable<ReturnType<typeof lookupScalar>>['bind']>[0]): BoundFunction {
  const def = lookupScalar(origin.name);
  if (!def) throw new Error(`function ${origin.name} is not registered on this thread: register it in a module listed in spate.worker.imports`);
  return { ...def.bind(args, origin.options, { timeZone: origin.timeZone ?? 'UTC' }), origin };
}

function rebindAggregate(origin: BindOrigin, args: Parameters<NonNullable<ReturnType<typeof lookupAggregate>>['bind']>[0]): BoundAggregate {
  const def = lookupAggregate(origin.name);
  if (!def) throw new Error(`aggregate ${origin.name} is not registered on this thread: register it in a module listed in spate.worker.imports`);
  return { ...def.bind(args, origin.distinct ?? false, origin.options), origin };
}

/** Whether a node carries a user closure (so it must run on the driver thread), and which. */
export function userClosure(node: LogicalPlan): string | null {
  switch (node.k) {
    case 'map': return `${node.flat ? 'flatMap' : 'map'} function`;
    case 'groupState': return 'groupByKey / (flat)mapGroupsWithState function';
    case 'static': return null;
    case 'source': return node.instance !== undefined ? `${node.format} source object` : null;
    default: break;
  }
  let found: string | null = null;
  const visit = (v: unknown): void => {
    if (found !== null || !isObject(v)) return;
    if (isBoundFunction(v)) {
      if (!v.origin) found = `user function ${v.name}`;
      return;
    }
    if (isBoundAggregate(v)) return;
    if (Array.isArray(v)) { v.forEach(visit); return; }
    for (const [k, x] of Object.entries(v)) if (k !== 'child' && k !== 'left' && k !== 'right' && k !== 'children') visit(x);
  };
  visit(node);
  return found;
}
