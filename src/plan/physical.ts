// Physical planning: the logical tree becomes a graph of actors. Runs of stateless operators
// fuse into one chain actor; each stateful operator is an actor with its own stores; every
// source is an actor the driver feeds epoch by epoch; one sink actor ends the graph.
import type { Actor } from '../actors/actor.js';
import type { DeadLetterBuffer } from '../actors/dead-letters.js';
import { OperatorActor } from '../actors/operator-actor.js';
import type { OperatorLogic } from '../actors/operator.js';
import type { EpochCommitted } from '../actors/sink-actor.js';
import { SinkActor } from '../actors/sink-actor.js';
import { SourceActor } from '../actors/source-actor.js';
import type { Supervisor } from '../actors/supervisor.js';
import type { StreamSink, StreamSource } from '../connectors/contract.js';
import { sourceProvider } from '../connectors/contract.js';
import type { ChainCounters, StatelessStep } from '../operators/stateless-chain.js';
import { EventTimeStats } from '../operators/event-time-stats.js';
import { statelessChain } from '../operators/stateless-chain.js';
import { OperatorState } from '../state/operator-state.js';
import type { StateRepository } from '../state/state-repository.js';
import type { LogicalPlan, OutputMode, SourceNode } from './logical.js';
import { children, isStateful, isStreaming, nodes, topDown } from './logical.js';
import type { Row } from '../actors/messages.js';
import { LookupJoin } from '../operators/join/lookup-join.js';
import type { StatefulOperatorFactory } from './stateful-operators.js';
import { fusesInput } from './stateful-operators.js';

export interface PlannedSource {
  readonly index: number;
  readonly node: SourceNode;
  readonly source: StreamSource;
  readonly actor: SourceActor;
}

export interface PlannedOperator {
  /** The stable id state is stored under. */
  readonly id: string;
  readonly actor: OperatorActor;
  readonly logic: OperatorLogic;
  readonly state: OperatorState;
}

/** A generated function of the graph: the operator that runs it and its text (explain('codegen')). */
export interface GeneratedStage {
  readonly operator: string;
  readonly code: string;
}

export interface ExecutionGraph {
  readonly sources: readonly PlannedSource[];
  /** Every operator's generated function, sources first, in the order rows flow through them. */
  readonly generated: readonly GeneratedStage[];
  /**
   * The operators that keep state, in the order Spark's progress lists them: the one nearest the
   * sink first, then down the plan, left input before right (ProgressReporter collects the
   * executed plan's StateStoreWriters top down).
   */
  readonly stateful: readonly PlannedOperator[];
  readonly eventTime: readonly EventTimeStats[];
  readonly sink: SinkActor;
  readonly counters: ChainCounters;
  /** Rows dropped by the watermark, when the query sends them to a dead-letter sink. */
  readonly deadLetters: DeadLetterBuffer | null;
}

export interface PhysicalPlanInput {
  readonly plan: LogicalPlan;
  readonly outputMode: OutputMode;
  readonly sink: StreamSink;
  readonly supervisor: Supervisor;
  readonly chunkRows: number;
  readonly shufflePartitions: number;
  readonly state: StateRepository;
  /** Creates the live source for a source node (called once per distinct node). */
  readonly createSource: (node: SourceNode) => StreamSource;
  readonly statefulOperator: StatefulOperatorFactory;
  /** Evaluates a static plan (the static side of a stream-static join), afresh on every call. */
  readonly loadStatic: (plan: LogicalPlan) => Promise<Row[]>;
  readonly firstEpoch: number;
  readonly onCommitted: (c: EpochCommitted) => void;
  /** Where operators put the rows they drop as late (null: they are only counted). */
  readonly deadLetters?: DeadLetterBuffer | null;
}

interface Pipe {
  readonly producer: Actor;
  readonly steps: StatelessStep[];
}

/** Stable ids for stateful operators: the user's name, else kind and position. */
export function statefulOperatorIds(plan: LogicalPlan, mode: OutputMode): Map<LogicalPlan, string> {
  const ids = new Map<LogicalPlan, string>();
  let position = 0;
  for (const n of nodes(plan)) {
    if (!isStateful(n, mode) || ids.has(n)) continue;
    const named = 'operatorName' in n ? n.operatorName : undefined;
    ids.set(n, named ?? `${n.k}-${position}`);
    position++;
  }
  return ids;
}

/** The live source of a source node, from its format's provider. */
export function createSourceFor(node: SourceNode): StreamSource {
  return sourceProvider(node.format).create({
    format: node.format, options: node.options,
    ...(node.path !== undefined ? { path: node.path } : {}),
    ...(node.userSchema ? { userSchema: node.userSchema } : {}),
    ...(node.instance !== undefined ? { instance: node.instance } : {}),
  });
}

/** What a source's rows go through first: rows handed over as given are read by the schema's names (a whole row is rebuilt only where one is needed). */
function sourceSteps(node: SourceNode, source: StreamSource): StatelessStep[] {
  return source.rowsAsGiven ? [{ k: 'columns', names: node.schema.fields.map((f) => f.name) }] : [];
}

export function buildGraph(input: PhysicalPlanInput): ExecutionGraph {
  const { supervisor, chunkRows } = input;
  const sources: PlannedSource[] = [];
  const stateful: PlannedOperator[] = [];
  const nodeOf = new Map<PlannedOperator, LogicalPlan>();
  const eventTime: EventTimeStats[] = [];
  const counters: ChainCounters = { malformedDropped: 0 };
  const generated: GeneratedStage[] = [];
  const ids = statefulOperatorIds(input.plan, input.outputMode);
  const built = new Map<LogicalPlan, Actor>();
  const logics = new Map<LogicalPlan, OperatorLogic>();
  const sourceIndex = new Map<LogicalPlan, number>();
  let chains = 0;

  /** The watermark a node's output carries for query watermark `wm` (operators may lower it). */
  const outputWatermarkOf = (node: LogicalPlan, wm: number): number => {
    const input = inputWatermarkOf(node, wm);
    return logics.get(node)?.outputWatermark?.(input) ?? input;
  };
  const inputWatermarkOf = (node: LogicalPlan, wm: number): number => {
    const inputs = children(node).filter(isStreaming);
    return inputs.length ? Math.min(...inputs.map((c) => outputWatermarkOf(c, wm))) : wm;
  };

  const materialize = (p: Pipe): Actor => {
    if (p.steps.length === 0) return p.producer;
    const logic = statelessChain(p.steps, counters);
    const chain = supervisor.add(new OperatorActor(`chain-${chains++}`, supervisor, chunkRows, logic, null));
    generated.push({ operator: chain.name, code: logic.generatedCode });
    supervisor.connect(p.producer, chain);
    return chain;
  };

  const build = (node: LogicalPlan): Pipe => {
    const done = built.get(node);
    if (done) return { producer: done, steps: node.k === 'source' ? sourceSteps(node, sources.find((s) => s.node === node)!.source) : [] };
    switch (node.k) {
      case 'source': {
        const actor = supervisor.add(new SourceActor(`source-${sources.length}`, supervisor, chunkRows, sources.length));
        const source = input.createSource(node);
        sourceIndex.set(node, sources.length);
        sources.push({ index: sources.length, node, source, actor });
        built.set(node, actor);
        return { producer: actor, steps: sourceSteps(node, source) };
      }
      case 'static':
        throw new Error('internal: a static relation reached the streaming planner outside a stream-static join');
      case 'project': {
        const p = build(node.child);
        p.steps.push({ k: 'project', items: node.items, ...(node.generator ? { generator: node.generator } : {}) });
        return p;
      }
      case 'filter': {
        const p = build(node.child);
        p.steps.push({ k: 'filter', condition: node.condition });
        return p;
      }
      case 'watermark': {
        const p = build(node.child);
        const below = nodes(node.child).flatMap((n) => (sourceIndex.has(n) ? [sourceIndex.get(n)!] : []));
        const stats = new EventTimeStats(node.column, node.delayMs, node.tracking ?? null, [...new Set(below)]);
        const letters = input.deadLetters;
        if (letters) stats.onFutureRow = (row) => letters.add({ operator: `withWatermark(${node.column})`, reason: 'maxFutureSkew', watermarkMs: letters.epochWatermarkMs, row });
        eventTime.push(stats);
        p.steps.push({ k: 'watermark', stats });
        return p;
      }
      case 'join': {
        // A stream-static join is a step of the streaming side's stage (a broadcast hash join).
        const streams = [isStreaming(node.left), isStreaming(node.right)];
        if (streams[0] === streams[1]) return buildOperator(node);
        const side = streams[0] ? 'left' : 'right';
        const p = build(side === 'left' ? node.left : node.right);
        p.steps.push({ k: 'lookupJoin', join: new LookupJoin(node, side, input.loadStatic) });
        return p;
      }
      case 'map': {
        const p = build(node.child);
        const fn = node.fn;
        p.steps.push(node.flat
          ? { k: 'flatMap', fn: fn as (r: Record<string, unknown>) => Iterable<Record<string, unknown>> }
          : { k: 'map', fn: fn as (r: Record<string, unknown>) => Record<string, unknown> });
        return p;
      }
      default:
        return buildOperator(node);
    }
  };

  /** A stateful operator (or a union): an actor of its own, its inputs built before it. */
  const buildOperator = (node: LogicalPlan): Pipe => {
    switch (node.k) {
      case 'source': case 'static': case 'project': case 'filter': case 'watermark': case 'map':
        throw new Error(`internal: ${node.k} is not an operator of its own`);
      default: {
        const inputs = (node.k === 'join' ? [node.left, node.right] : node.k === 'union' ? [...node.children] : [node.child])
          .filter(isStreaming);
        const id = ids.get(node) ?? `${node.k}-${chains++}`;
        // Whole-stage code generation: an aggregation runs the stateless operators in front of it.
        // Not when rows dropped as late go to a dead-letter sink: they are written whole, and the
        // fused stage computes only the columns the aggregation reads.
        const fused = fusesInput(node) && inputs.length === 1 && !input.deadLetters ? build(inputs[0]!) : null;
        const upstream = fused ? [fused.producer] : inputs.map((c) => materialize(build(c)));
        const logic = input.statefulOperator(node, {
          outputMode: input.outputMode, operatorId: id, ...(fused ? { input: { steps: fused.steps, counters } } : {}),
        });
        const state = new OperatorState(id, logic.stores, input.shufflePartitions, input.state, logic.createStore?.bind(logic));
        const actor = supervisor.add(new OperatorActor(id, supervisor, chunkRows, logic, logic.stores.length ? state : null));
        actor.deadLetters = input.deadLetters ?? null;
        logics.set(node, logic);
        if (logic.generatedCode !== undefined) generated.push({ operator: id, code: logic.generatedCode });
        actor.inputWatermarkOf = (wm) => inputWatermarkOf(node, wm);
        for (const u of upstream) supervisor.connect(u, actor);
        if (logic.stores.length) {
          const op = { id, actor, logic, state };
          stateful.push(op);
          nodeOf.set(op, node);
        }
        built.set(node, actor);
        return { producer: actor, steps: [] };
      }
    }
  };

  const last = materialize(build(input.plan));
  const sink = supervisor.add(new SinkActor('sink', supervisor, chunkRows, input.sink, input.firstEpoch, input.onCommitted));
  supervisor.connect(last, sink);
  const sparkOrder = topDown(input.plan);
  stateful.sort((a, b) => sparkOrder.indexOf(nodeOf.get(a)!) - sparkOrder.indexOf(nodeOf.get(b)!));
  return { sources, generated, stateful, eventTime, sink, counters, deadLetters: input.deadLetters ?? null };
}
