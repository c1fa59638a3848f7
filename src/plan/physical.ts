// Physical planning: the logical tree becomes a graph of actors. Runs of stateless operators
// fuse into one chain actor; each stateful operator is an actor with its own stores; every
// source is an actor the driver feeds epoch by epoch; one sink actor ends the graph. An
// aggregation runs the stateless operators in front of it in its own generated stage
// (whole-stage code generation); a stream-static join is a step of its stream's stage.
//
// The same builder makes the graph of one thread (master 'local', today's engine) and, under
// master('local[N]'), both halves of a parallel one: the driver's graph, where a region of
// the plan that runs on the worker threads stands as a gather actor (hooks.external), and each
// worker thread's copy of that region, where a keyed operator reads its input through an
// exchange (hooks.exchange). See src/cluster/placement.ts.
import type { Actor } from '../actors/actor.js';
import type { DeadLetterBuffer } from '../actors/dead-letters.js';
import { OperatorActor } from '../actors/operator-actor.js';
import type { OperatorLogic } from '../actors/operator.js';
import type { EpochCommitted } from '../actors/sink-actor.js';
import { SinkActor } from '../actors/sink-actor.js';
import { SourceActor } from '../actors/source-actor.js';
import type { Supervisor } from '../actors/supervisor.js';
import type { Offset, StreamSink, StreamSource } from '../connectors/contract.js';
import { sourceProvider } from '../connectors/contract.js';
import type { Row } from '../data/row.js';
import type { FusedInput } from '../operators/aggregate.js';
import { EventTimeStats } from '../operators/event-time-stats.js';
import { LookupJoin } from '../operators/join/lookup-join.js';
import type { ChainCounters, StatelessStep } from '../operators/stateless-chain.js';
import { statelessChain } from '../operators/stateless-chain.js';
import type { StoreMetrics } from '../state/keyed-store.js';
import type { OperatorStateMetrics } from '../state/operator-state.js';
import { OperatorState } from '../state/operator-state.js';
import type { StateRepository } from '../state/state-repository.js';
import type { LogicalPlan, OutputMode, SourceNode } from './logical.js';
import { children, isStateful, isStreaming, nodes, topDown } from './logical.js';
import type { StatefulOperatorFactory } from './stateful-operators.js';
import { fusesInput } from './stateful-operators.js';

export interface PlannedSource {
  readonly index: number;
  readonly node: SourceNode;
  readonly source: StreamSource;
  readonly actor: SourceActor;
  /** The epoch's input for the actor: the rows, or (a source read by worker threads) its splits. */
  read(start: Offset, end: Offset): AsyncIterable<Row[]> | Iterable<Row[]>;
  /** Rows the epoch read, given what the actor sent (splits count what the threads read). */
  rowsRead(sent: number): number;
}

/** What progress reports of a stateful operator for an epoch. */
export interface OperatorFigures {
  readonly metrics: OperatorStateMetrics & Partial<StoreMetrics>;
  readonly counters: Readonly<Record<string, number>>;
  readonly timings: { readonly updatesMs: number; readonly removalsMs: number };
}

/** A stateful operator as the engine drives it: on this thread, or one instance per worker thread. */
export interface PlannedOperator {
  /** The stable id state is stored under. */
  readonly id: string;
  /** The operator's logic on this thread (for operators on worker threads: a copy that only answers questions). */
  readonly logic: OperatorLogic;
  /** Key groups (shuffle partitions) of its state. */
  readonly partitions: number;
  /** The watermark the operator evicted with in its last epoch. */
  readonly evictionWatermarkMs: number;
  /** This operator's input watermark for a query watermark (upstream joins may lower it). */
  inputWatermarkOf(queryWatermarkMs: number): number;
  /** Loads its state as of `version` and the watermark of the epoch before the run's first. */
  restore(version: number, lateWatermarkMs: number): Promise<void>;
  /** Starts an epoch's counters and timings afresh. */
  resetFigures(): void;
  figures(): OperatorFigures;
}

/** A generated function of the graph: the operator that runs it and its text (explain('codegen')). */
export interface GeneratedStage {
  readonly operator: string;
  readonly code: string;
}

export interface ExecutionGraph {
  /** Every operator's generated function, sources first, in the order rows flow through them. */
  readonly generated: readonly GeneratedStage[];
  readonly sources: readonly PlannedSource[];
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
  readonly hooks?: BuildHooks;
  /** Where operators put the rows they drop as late (null: they are only counted). */
  readonly deadLetters?: DeadLetterBuffer | null;
}

/** Where a graph departs from the one-thread graph (regions on worker threads, exchanges). */
export interface BuildHooks {
  /** An actor built elsewhere that stands for `node` (a region's gather, a worker's inlet); undefined to build it here. */
  external?(node: LogicalPlan, builder: GraphBuilder): Actor | undefined;
  /**
   * Routes input `input` of keyed node `node` to the actor the node reads it from; `upstream` is
   * what produces it, with the stateless steps not yet given an actor (a partial aggregation
   * before the exchange runs them in its own stage).
   */
  exchange?(node: LogicalPlan, input: number, upstream: Pipe): Actor;
  /** A source's epoch input and row count when worker threads read it (default: the driver reads its rows). */
  source?(node: SourceNode, source: StreamSource): Pick<PlannedSource, 'read' | 'rowsRead'> | undefined;
}

/** What a plan node's rows come from: an actor, and the stateless steps that still follow it. */
export interface Pipe {
  readonly producer: Actor;
  readonly steps: StatelessStep[];
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

/**
 * The order the engine numbers a plan's sources and watermark columns in (the offset log
 * records sources by number): first visit, children in order, the same however the plan is
 * placed on threads.
 */
export function streamingOrder(plan: LogicalPlan): { sources: SourceNode[]; watermarks: LogicalPlan[] } {
  const streaming = [...new Set(nodes(plan).filter(isStreaming))];
  return {
    sources: streaming.filter((n): n is SourceNode => n.k === 'source'),
    watermarks: streaming.filter((n) => n.k === 'watermark'),
  };
}

export interface GraphBuilderOptions {
  readonly plan: LogicalPlan;
  readonly outputMode: OutputMode;
  readonly supervisor: Supervisor;
  readonly chunkRows: number;
  readonly shufflePartitions: number;
  readonly state: StateRepository;
  readonly statefulOperator: StatefulOperatorFactory;
  /** Evaluates a static plan (the static side of a stream-static join, a lookup step), afresh on every call. */
  readonly loadStatic: (plan: LogicalPlan) => Promise<Row[]>;
  /** Ids of stateful operators (statefulOperatorIds of the whole plan). */
  readonly ids: ReadonlyMap<LogicalPlan, string>;
  readonly hooks?: BuildHooks;
  /** Creates a source's live object and actor (driver graphs only). */
  readonly createSource?: (node: SourceNode) => StreamSource;
  /** Key groups this graph's operators own (a worker thread's); default all. */
  readonly ownedPartitions?: readonly number[];
  /** Where operators put the rows they drop as late (null: they are only counted). */
  readonly deadLetters?: DeadLetterBuffer | null;
}

/** Builds actors for plan nodes, memoised per node (a node read twice is built once). */
export class GraphBuilder {
  readonly sources = new Map<SourceNode, PlannedSource>();
  readonly stateful = new Map<LogicalPlan, PlannedOperator>();
  readonly eventTime = new Map<LogicalPlan, EventTimeStats>();
  readonly counters: ChainCounters = { malformedDropped: 0 };
  /** Generated functions, in the order their actors were built. */
  readonly generated: GeneratedStage[] = [];
  /** Operators built here, by node (the worker reports their figures). */
  readonly operators = new Map<LogicalPlan, { actor: OperatorActor; logic: OperatorLogic; state: OperatorState | null }>();
  private readonly built = new Map<LogicalPlan, Actor>();
  private readonly logics = new Map<LogicalPlan, OperatorLogic>();
  private readonly unnamed = new Map<LogicalPlan, string>();
  private readonly sourceIndex: Map<SourceNode, number>;
  private chains = 0;

  constructor(readonly opts: GraphBuilderOptions) {
    this.sourceIndex = new Map(streamingOrder(opts.plan).sources.map((s, i) => [s, i]));
  }

  /**
   * Logic for a stateful node, created once (with the stateless steps fused into its stage, when
   * the first call gives them) and shared by its actor and the driver's questions.
   */
  logicOf(node: LogicalPlan, input?: FusedInput): OperatorLogic {
    let logic = this.logics.get(node);
    if (!logic) {
      logic = this.opts.statefulOperator(node, { outputMode: this.opts.outputMode, operatorId: this.idOf(node), ...(input ? { input } : {}) });
      this.logics.set(node, logic);
    }
    return logic;
  }

  idOf(node: LogicalPlan): string {
    let id = this.opts.ids.get(node) ?? this.unnamed.get(node);
    if (id === undefined) this.unnamed.set(node, (id = `${node.k}-${this.chains++}`));
    return id;
  }

  /** The watermark a node's output carries for query watermark `wm` (operators may lower it). */
  outputWatermarkOf(node: LogicalPlan, wm: number): number {
    const input = this.inputWatermarkOf(node, wm);
    // Operators of their own may lower it; a stream-static join is a step of its stream's stage.
    const operator = isStateful(node, this.opts.outputMode) || node.k === 'union' || (node.k === 'join' && isStreaming(node.left) && isStreaming(node.right));
    return operator && isStreaming(node) ? this.logicOf(node).outputWatermark?.(input) ?? input : input;
  }

  inputWatermarkOf(node: LogicalPlan, wm: number): number {
    const inputs = children(node).filter(isStreaming);
    return inputs.length ? Math.min(...inputs.map((c) => this.outputWatermarkOf(c, wm))) : wm;
  }

  /** The actor whose output is `node`'s rows. */
  actorFor(node: LogicalPlan): Actor {
    return this.materialize(this.build(node));
  }

  materialize(p: Pipe): Actor {
    if (p.steps.length === 0) return p.producer;
    const { supervisor, chunkRows } = this.opts;
    const logic = statelessChain(p.steps, this.counters);
    const chain = supervisor.add(new OperatorActor(`chain-${this.chains++}`, supervisor, chunkRows, logic, null));
    this.generated.push({ operator: chain.name, code: logic.generatedCode });
    supervisor.connect(p.producer, chain);
    return chain;
  }

  /** Adds a stateful operator's actor (with its state) reading from `upstream`; returns it. */
  statefulActor(node: LogicalPlan, logic: OperatorLogic, upstream: readonly Actor[]): OperatorActor {
    const { supervisor, chunkRows } = this.opts;
    const id = this.idOf(node);
    const state = logic.stores.length
      ? new OperatorState(id, logic.stores, this.opts.shufflePartitions, this.opts.state, logic.createStore?.bind(logic), logic.partitionKey, this.opts.ownedPartitions)
      : null;
    const actor = supervisor.add(new OperatorActor(id, supervisor, chunkRows, logic, state));
    if (logic.generatedCode !== undefined) this.generated.push({ operator: id, code: logic.generatedCode });
    actor.deadLetters = this.opts.deadLetters ?? null;
    actor.inputWatermarkOf = (wm) => this.inputWatermarkOf(node, wm);
    for (const u of upstream) supervisor.connect(u, actor);
    this.operators.set(node, { actor, logic, state });
    if (state) this.stateful.set(node, localOperator(id, actor, logic, state));
    return actor;
  }

  build(node: LogicalPlan): Pipe {
    const done = this.built.get(node);
    if (done) return { producer: done, steps: node.k === 'source' && this.sources.has(node) ? sourceSteps(node, this.sources.get(node)!.source) : [] };
    const external = this.opts.hooks?.external?.(node, this);
    if (external) {
      this.built.set(node, external);
      return { producer: external, steps: [] };
    }
    const { supervisor, chunkRows } = this.opts;
    switch (node.k) {
      case 'source': {
        const index = this.sourceIndex.get(node)!;
        const createSource = this.opts.createSource;
        if (!createSource) throw new Error('internal: a source node reached a graph without sources');
        const actor = supervisor.add(new SourceActor(`source-${index}`, supervisor, chunkRows, index));
        const source = createSource(node);
        const split = this.opts.hooks?.source?.(node, source);
        this.sources.set(node, {
          index, node, source, actor,
          read: split?.read ?? ((start, end) => source.read(start, end)),
          rowsRead: split?.rowsRead ?? ((sent) => sent),
        });
        this.built.set(node, actor);
        return { producer: actor, steps: sourceSteps(node, source) };
      }
      case 'static':
        throw new Error('internal: a static relation reached the streaming planner outside a stream-static join');
      case 'project': {
        const p = this.build(node.child);
        p.steps.push({ k: 'project', items: node.items, ...(node.generator ? { generator: node.generator } : {}) });
        return p;
      }
      case 'filter': {
        const p = this.build(node.child);
        p.steps.push({ k: 'filter', condition: node.condition });
        return p;
      }
      case 'watermark': {
        const p = this.build(node.child);
        const stats = this.eventTimeStats(node);
        this.eventTime.set(node, stats);
        p.steps.push({ k: 'watermark', stats });
        return p;
      }
      case 'map': {
        const p = this.build(node.child);
        const fn = node.fn;
        p.steps.push(node.flat
          ? { k: 'flatMap', fn: fn as (r: Record<string, unknown>) => Iterable<Record<string, unknown>> }
          : { k: 'map', fn: fn as (r: Record<string, unknown>) => Record<string, unknown> });
        return p;
      }
      case 'join': {
        // A stream-static join is a step of the streaming side's stage (a broadcast hash join).
        const streams = [isStreaming(node.left), isStreaming(node.right)];
        if (streams[0] === streams[1]) return this.buildOperator(node);
        const side = streams[0] ? 'left' : 'right';
        const p = this.build(side === 'left' ? node.left : node.right);
        p.steps.push({ k: 'lookupJoin', join: new LookupJoin(node, side, this.opts.loadStatic) });
        return p;
      }
      default:
        return this.buildOperator(node);
    }
  }

  /** A stateful operator (or a union): an actor of its own, its inputs built before it. */
  private buildOperator(node: LogicalPlan): Pipe {
    switch (node.k) {
      case 'source': case 'static': case 'project': case 'filter': case 'watermark': case 'map':
        throw new Error(`internal: ${node.k} is not an operator of its own`);
      default: {
        const inputs = (node.k === 'join' ? [node.left, node.right] : node.k === 'union' ? [...node.children] : [node.child])
          .filter(isStreaming);
        const exchange = this.opts.hooks?.exchange;
        const keyed = exchange !== undefined && isStateful(node, this.opts.outputMode);
        // Whole-stage code generation: an aggregation runs the stateless operators in front of it
        // (behind an exchange, the partial aggregation before it does). Not when rows dropped as
        // late go to a dead-letter sink: they are written whole, and the fused stage computes
        // only the columns the aggregation reads.
        const fused = !keyed && fusesInput(node) && inputs.length === 1 && !this.opts.deadLetters ? this.build(inputs[0]!) : null;
        const upstream = fused ? [fused.producer] : inputs.map((c, i) => (keyed ? exchange(node, i, this.build(c)) : this.actorFor(c)));
        const logic = this.logicOf(node, fused ? { steps: fused.steps, counters: this.counters } : undefined);
        const actor = this.statefulActor(node, logic, upstream);
        this.built.set(node, actor);
        return { producer: actor, steps: [] };
      }
    }
  }

  /** A withWatermark step's figures: per split, with the sources below it; a row dropped as too far ahead goes to the dead letters. */
  eventTimeStats(node: Extract<LogicalPlan, { k: 'watermark' }>): EventTimeStats {
    const below = nodes(node.child).flatMap((n) => (n.k === 'source' && this.sourceIndex.has(n) ? [this.sourceIndex.get(n)!] : []));
    const stats = new EventTimeStats(node.column, node.delayMs, node.tracking ?? null, [...new Set(below)]);
    const letters = this.opts.deadLetters;
    if (letters) stats.onFutureRow = (row) => letters.add({ operator: `withWatermark(${node.column})`, reason: 'maxFutureSkew', watermarkMs: letters.epochWatermarkMs, row });
    return stats;
  }

  /** Sources, stateful operators and watermark columns in the engine's order. */
  ordered(): Pick<ExecutionGraph, 'sources' | 'stateful' | 'eventTime'> {
    const order = streamingOrder(this.opts.plan);
    // Stateful operators as Spark's progress lists them: nearest the sink first, then down the plan.
    const ids = [...new Set(topDown(this.opts.plan))].filter((n) => this.opts.ids.has(n));
    return {
      sources: order.sources.map((s) => this.sources.get(s)).filter((s): s is PlannedSource => s !== undefined),
      stateful: ids.map((n) => this.stateful.get(n)).filter((s): s is PlannedOperator => s !== undefined),
      eventTime: order.watermarks.map((w) => this.eventTime.get(w)).filter((s): s is EventTimeStats => s !== undefined),
    };
  }
}

/** A stateful operator on this thread. */
function localOperator(id: string, actor: OperatorActor, logic: OperatorLogic, state: OperatorState): PlannedOperator {
  return {
    id,
    logic,
    partitions: state.partitions,
    get evictionWatermarkMs() { return actor.evictionWatermarkMs; },
    inputWatermarkOf: (wm) => actor.inputWatermarkOf(wm),
    async restore(version, lateWatermarkMs) {
      await state.restore(version);
      actor.startAt(lateWatermarkMs);
    },
    resetFigures() {
      for (const k of Object.keys(actor.counters)) actor.counters[k] = 0;
      actor.timings.updatesMs = 0;
      actor.timings.removalsMs = 0;
    },
    figures: () => ({ metrics: { ...state.metrics(), ...logic.stateMetrics?.() }, counters: actor.counters, timings: actor.timings }),
  };
}

export function buildGraph(input: PhysicalPlanInput): ExecutionGraph {
  const builder = new GraphBuilder({
    plan: input.plan,
    outputMode: input.outputMode,
    supervisor: input.supervisor,
    chunkRows: input.chunkRows,
    shufflePartitions: input.shufflePartitions,
    state: input.state,
    statefulOperator: input.statefulOperator,
    loadStatic: input.loadStatic,
    ids: statefulOperatorIds(input.plan, input.outputMode),
    createSource: input.createSource,
    ...(input.hooks ? { hooks: input.hooks } : {}),
    deadLetters: input.deadLetters ?? null,
  });
  const last = builder.actorFor(input.plan);
  const { supervisor, chunkRows } = input;
  const sink = supervisor.add(new SinkActor('sink', supervisor, chunkRows, input.sink, input.firstEpoch, input.onCommitted));
  supervisor.connect(last, sink);
  return { ...builder.ordered(), generated: builder.generated, sink, counters: builder.counters, deadLetters: input.deadLetters ?? null };
}
