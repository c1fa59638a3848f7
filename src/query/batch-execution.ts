// Evaluates a static plan to rows: collect() on a static DataFrame, a foreachBatch frame, the
// static side of a stream-static join. The same compiled chains and operator logic as
// streaming run over a finite input as one epoch whose watermark is +∞, so every result is final.
import type { Row } from '../data/row.js';
import { barrier } from '../actors/messages.js';
import type { OperatorContext } from '../actors/operator.js';
import { AnalysisError } from '../errors.js';
import type { StatelessStep } from '../operators/stateless-chain.js';
import { EventTimeStats } from '../operators/event-time-stats.js';
import { compileChain, eventTimeBySplit } from '../operators/stateless-chain.js';
import type { LogicalPlan } from '../plan/logical.js';
import { statefulOperatorFactory } from '../plan/stateful-operators.js';
import { rowComparator } from '../operators/sort.js';
import type { KeyValueStore } from '../state/keyed-store.js';
import { InMemoryKeyedStore } from '../state/keyed-store.js';

export async function executeBatch(plan: LogicalPlan): Promise<Row[]> {
  switch (plan.k) {
    case 'static': return [...(await plan.load())];
    case 'source':
      throw new AnalysisError('Queries with streaming sources must be executed with writeStream.start(): this DataFrame reads a stream, so collect() cannot run it');
    case 'project': case 'filter': case 'map': case 'watermark': {
      const steps: StatelessStep[] = [];
      let node: LogicalPlan = plan;
      while (node.k === 'project' || node.k === 'filter' || node.k === 'map' || node.k === 'watermark') {
        steps.unshift(stepOf(node));
        node = node.child;
      }
      const input = await executeBatch(node);
      const out: Row[] = [];
      compileChain(steps)(input, out, { malformedDropped: 0 }, eventTimeBySplit(steps)(null));
      return out;
    }
    case 'union':
      return (await Promise.all(plan.children.map(executeBatch))).flat();
    case 'sort':
      return (await executeBatch(plan.child)).sort(rowComparator(plan.orders));
    case 'limit':
      return (await executeBatch(plan.child)).slice(0, plan.n);
    default: {
      const inputs = plan.k === 'join' ? [plan.left, plan.right] : [plan.child];
      const rows = await Promise.all(inputs.map(executeBatch));
      const logic = statefulOperatorFactory()(plan, { outputMode: 'complete', operatorId: 'batch' });
      const ctx = new BatchContext(logic.stores);
      await logic.open?.(ctx);
      for (let i = 0; i < rows.length; i++) await logic.process(rows[i]!, i, ctx);
      ctx.evictionWatermarkMs = Infinity;
      logic.onWatermark?.(ctx);
      await logic.onEpochEnd?.(barrier(0, Date.now()), ctx);
      await logic.close?.();
      return ctx.output;
    }
  }
}

function stepOf(node: LogicalPlan): StatelessStep {
  switch (node.k) {
    case 'project': return { k: 'project', items: node.items, ...(node.generator ? { generator: node.generator } : {}) };
    case 'filter': return { k: 'filter', condition: node.condition };
    case 'watermark': return { k: 'watermark', stats: new EventTimeStats(node.column, node.delayMs) };
    case 'map': return node.flat
      ? { k: 'flatMap', fn: node.fn as (r: Row) => Iterable<Row> }
      : { k: 'map', fn: node.fn as (r: Row) => Row };
    default: throw new Error(`internal: ${node.k} is not a stateless step`);
  }
}

class BatchContext implements OperatorContext {
  readonly output: Row[] = [];
  readonly counters: Record<string, number> = {};
  lateWatermarkMs = 0;
  evictionWatermarkMs = 0;
  readonly split = null;
  private readonly stores = new Map<string, InMemoryKeyedStore<unknown>>();

  constructor(names: readonly string[]) {
    for (const n of names) this.stores.set(n, new InMemoryKeyedStore(n, 1));
  }

  emit(rows: Row[]): void {
    for (const r of rows) this.output.push(r);
  }

  /** A static frame's watermark is +∞ only at its end, so nothing is late: nothing to route. */
  dropLate(): void {}

  store<V>(name: string): KeyValueStore<V> {
    const s = this.stores.get(name);
    if (!s) throw new Error(`internal: store '${name}' was not declared`);
    return s as KeyValueStore<V>;
  }
}
