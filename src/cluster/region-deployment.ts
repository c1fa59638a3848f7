// A region deployed on the worker threads, as the driver holds it. The driver numbers the
// plan's nodes, encodes the region, assigns key groups to threads (a pure function of their
// count: nothing about it is stored), opens the channels (driver → each thread for each input,
// each thread → driver for the output, every thread → every thread for each exchange) and
// sends each thread its spec. In the driver's graph the region is a scatter actor per input and
// one gather actor for its output; at each epoch's aligned barrier the gather applies the
// threads' reports: event-time figures, operator figures, state deltas (staged to be written
// with the epoch's commit marker in one transaction), malformed and split row counts. The
// driver serves the threads' checkpoint reads and evaluates static sides once per epoch.
import { MessageChannel } from 'node:worker_threads';
import { OperatorActor } from '../actors/operator-actor.js';
import type { OperatorLogic } from '../actors/operator.js';
import type { Supervisor } from '../actors/supervisor.js';
import type { DeadLetter, DeadLetterBuffer } from '../actors/dead-letters.js';
import { chunk } from '../actors/messages.js';
import { ByteReader } from '../data/bytes.js';
import { readValue } from '../data/value-codec.js';
import type { EventTimeStats } from '../operators/event-time-stats.js';
import { SplitEventTime } from '../operators/event-time-stats.js';
import type { StreamSink, TaskSinkOptions } from '../connectors/contract.js';
import { schemaCodec } from '../data/chunk-codec.js';
import type { Row } from '../data/row.js';

import type { LogicalPlan, OutputMode, SourceNode } from '../plan/logical.js';
import { children, isStreaming } from '../plan/logical.js';
import type { GraphBuilder } from '../plan/physical.js';
import type { CheckpointBackend } from '../state/backend.js';
import type { StateRepository } from '../state/state-repository.js';
import { keyGroupOwners } from './assignment.js';
import type { ChannelStats } from './exchange/channel.js';
import { ChannelReceiver, ChannelSender, noStats, statsSince, sumStats } from './exchange/channel.js';
import { isKeyed } from './exchange/partitioning.js';
import { ScatterActor } from './exchange/scatter-actor.js';
import type { Region } from './placement.js';
import { encodePlan } from './plan-codec.js';
import { RemoteOperator } from './remote-operator.js';
import type { ExchangeSpec, RegionPorts, RegionReport, RegionSpec } from './region-spec.js';
import { deserializeError } from './rpc.js';
import type { PoolThread } from './worker-pool.js';

export interface DeploymentContext {
  /** How messages name the query. */
  readonly name: string;
  readonly runId: string;
  readonly threads: readonly PoolThread[];
  readonly supervisor: Supervisor;
  readonly chunkRows: number;
  readonly linkCapacity: number;
  readonly shufflePartitions: number;
  readonly outputMode: OutputMode;
  readonly backend: CheckpointBackend;
  readonly repo: StateRepository;
  readonly loadStatic: (plan: LogicalPlan) => Promise<Row[]>;
  /** Sources whose splits the threads read. */
  readonly splitSources: ReadonlySet<SourceNode>;
  /** Every node of the plan, numbered the same for all regions. */
  readonly nodeIds: ReadonlyMap<LogicalPlan, number>;
  /** spate.cluster.keyGroupShuffleSeed: null for contiguous ranges of key groups per thread. */
  readonly keyGroupShuffleSeed: number | null;
  /** Where the threads' dead letters go, when the query has a dead-letter sink. */
  readonly deadLetters: DeadLetterBuffer | null;
  /** Set for the region that ends the plan when the threads write the sink: its driver side and plain options. */
  readonly sink: { readonly driver: StreamSink; readonly options: Omit<TaskSinkOptions, 'thread'> } | null;
}

/** The exchange and task figures of the region's last epoch, summed over its threads. */
export interface RegionFigures {
  readonly epoch: number;
  readonly exchange: ChannelStats;
  readonly tasks: readonly Pick<RegionReport, 'thread' | 'rowsIn' | 'rowsOut' | 'busyMs' | 'stateRows'>[];
}

export class RegionDeployment {
  readonly id: string;
  /** The actor that stands for the region's output in the driver's graph. */
  readonly gather: OperatorActor;
  readonly operators: RemoteOperator[] = [];
  /** Rows the threads read of each split source in the last epoch. */
  readonly splitRows = new Map<SourceNode, number>();
  last: RegionFigures | null = null;
  private readonly eventTime = new Map<number, EventTimeStats>();
  private readonly operatorByNode = new Map<number, RemoteOperator>();
  private readonly reports = new Map<number, RegionReport[]>();
  private readonly senders: ChannelSender[] = [];
  private readonly scatters: ScatterActor[] = [];
  private readonly receivers: ChannelReceiver[] = [];
  private readonly undo: Array<() => void> = [];
  private readonly staticCache = new Map<number, Promise<{ buf: ArrayBuffer; len: number; n: number }>>();
  private stopped: Promise<void> | null = null;
  private dealt = noStats();

  constructor(readonly region: Region, private readonly ctx: DeploymentContext, private readonly builder: GraphBuilder) {
    const { threads, supervisor, chunkRows, linkCapacity, shufflePartitions: keyGroups } = ctx;
    const n = threads.length;
    this.id = `${ctx.runId}/${region.id}`;
    const name = `query ${ctx.name}, region ${region.id}`;
    const idOf = (node: LogicalPlan): number => ctx.nodeIds.get(node)!;
    const owners = keyGroupOwners(keyGroups, n, ctx.keyGroupShuffleSeed);
    const ordered = [...region.nodes];
    const exchanges: ExchangeSpec[] = ordered.filter(isKeyed)
      .flatMap((node) => children(node).filter(isStreaming).map((_, input) => ({ nodeId: idOf(node), input })));
    const operatorIds: (readonly [number, string])[] = ordered.filter((node) => isKeyed(node)).map((node) => [idOf(node), builder.idOf(node)] as const);

    const pair = (): MessageChannel => new MessageChannel();
    const inputChannels = region.inputs.map(() => threads.map(pair));
    const outputChannels = threads.map(pair);
    const exchangeChannels = exchanges.map(() => threads.map(() => threads.map(pair)));
    const sinkPerKeyGroup = ctx.sink?.driver.writesPerKeyGroup === true;
    const sinkChannels = sinkPerKeyGroup ? threads.map(() => threads.map(pair)) : null;

    const spec = (thread: number): RegionSpec => ({
      id: this.id, name, thread, threads: n, keyGroups, owners, chunkRows, linkCapacity, outputMode: ctx.outputMode,
      checkpointLocation: ctx.backend.location,
      recordsDeltas: ctx.repo.recordsDeltas,
      plan: encodePlan(region.nodes, ctx.nodeIds),
      operatorIds,
      inputs: region.inputs.map((node) => ({
        nodeId: idOf(node),
        schema: node.schema,
        ...(node.k === 'source' && ctx.splitSources.has(node)
          ? { source: { format: node.format, options: node.options, ...(node.path !== undefined ? { path: node.path } : {}), ...(node.userSchema ? { userSchema: node.userSchema } : {}) } }
          : {}),
      })),
      statics: region.statics.map((s) => ({ nodeId: idOf(s), schema: s.schema })),
      output: { nodeId: idOf(region.output), schema: region.output.schema },
      exchanges,
      ...(ctx.sink ? { sink: { ...ctx.sink.options, thread } } : {}),
      ...(sinkPerKeyGroup ? { sinkPerKeyGroup } : {}),
      deadLetters: ctx.deadLetters !== null,
    });
    threads.forEach((thread, t) => {
      const ports: RegionPorts = {
        inputs: inputChannels.map((chs) => chs[t]!.port2),
        output: outputChannels[t]!.port1,
        exchanges: exchangeChannels.map((m) => ({ send: m[t]!.map((ch) => ch.port1), receive: m.map((row) => row[t]!.port2) })),
        ...(sinkChannels ? { sinkExchange: { send: sinkChannels[t]!.map((ch) => ch.port1), receive: sinkChannels.map((row) => row[t]!.port2) } } : {}),
      };
      this.undo.push(thread.route(this.id, {
        failed: (error, where) => supervisor.fail(deserializeError(error), where),
        request: (body) => this.request(body),
      }));
      this.undo.push(thread.onExit((error) => supervisor.fail(error, `${name}, worker thread ${t}`)));
      thread.rpc.post('deploy', { spec: spec(t), ports }, [
        ...ports.inputs, ports.output, ...[...ports.exchanges, ...(ports.sinkExchange ? [ports.sinkExchange] : [])].flatMap((e) => [...e.send, ...e.receive]),
      ]);
    });

    // The driver's side: a scatter for each input, one gather for the output.
    region.inputs.forEach((node, i) => {
      const upstream = builder.actorFor(node);
      const split = node.k === 'source' && ctx.splitSources.has(node);
      const senders = inputChannels[i]!.map((ch) => new ChannelSender(ch.port1, linkCapacity));
      this.senders.push(...senders);
      const scatter = supervisor.add(new ScatterActor(`scatter-${region.id}-${i}`, supervisor, chunkRows, split ? null : schemaCodec(node.schema), senders));
      supervisor.connect(upstream, scatter);
      this.scatters.push(scatter);
    });
    const codec = schemaCodec(region.output.schema);
    this.gather = supervisor.add(new OperatorActor(`gather-${region.id}`, supervisor, chunkRows, this.gatherLogic(), null));
    outputChannels.forEach((ch, t) => {
      const r = new ChannelReceiver(ch.port2, `${name}: thread ${t} → driver`, linkCapacity,
        (m) => {
          if (m.t !== 'rows') throw new Error(`internal: a '${m.t}' message arrived from a region's output`);
          return chunk(codec.decode({ buffer: m.buf, byteLength: m.len, rows: m.n }));
        },
        (report) => this.keep(report as RegionReport));
      this.receivers.push(r);
      this.gather.connectInput(r.link);
    });

    // What the driver's engine asks of the region's operators and watermark columns.
    for (const node of ordered) {
      if (node.k === 'watermark') {
        const stats = builder.eventTimeStats(node);
        this.eventTime.set(idOf(node), stats);
        builder.eventTime.set(node, stats);
      }
      if (!isKeyed(node)) continue;
      const logic = builder.logicOf(node);
      if (logic.stores.length === 0) continue;
      const op = new RemoteOperator(builder.idOf(node), logic, keyGroups, node, (wm) => builder.inputWatermarkOf(node, wm),
        (version, late) => Promise.all(threads.map((t) => t.rpc.call<Record<string, number>>('restore', { id: this.id, nodeId: idOf(node), version, lateWatermarkMs: late, expected: this.ctx.repo.expectation }))));
      this.operators.push(op);
      this.operatorByNode.set(idOf(node), op);
      builder.stateful.set(node, op);
    }
    supervisor.own(this);
  }

  /** Undeploys the region from every thread and closes the driver's ends of its channels. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      for (const u of this.undo.splice(0)) u();
      await Promise.all(this.ctx.threads.map((t) => (t.alive ? t.rpc.call('undeploy', { id: this.id }).catch(() => undefined) : undefined)));
      for (const s of this.senders) s.close();
      for (const r of this.receivers) r.close();
    })();
    return this.stopped;
  }

  /** Tells the threads that epoch `epoch` starts (its trigger time, its watermark), ahead of its rows. */
  beginEpoch(epoch: number, ts: number, wm: number): void {
    for (const s of this.scatters) s.beginEpoch({ t: 'epoch', epoch, ts, wm });
  }

  private gatherLogic(): OperatorLogic {
    return {
      name: 'gather',
      stores: [],
      process: (rows, _input, ctx) => ctx.emit(rows),
      onEpochEnd: (b) => this.applyReports(b.epoch),
    };
  }

  private keep(report: RegionReport): void {
    const list = this.reports.get(report.epoch) ?? [];
    list.push(report);
    this.reports.set(report.epoch, list);
  }

  /** Every thread passed the epoch's barrier: take in their reports. */
  private applyReports(epoch: number): void {
    const reports = this.reports.get(epoch) ?? [];
    this.reports.delete(epoch);
    if (reports.length !== this.ctx.threads.length) {
      throw new Error(`internal: ${reports.length} of ${this.ctx.threads.length} threads reported epoch ${epoch} of region ${this.region.id}`);
    }
    reports.sort((a, b) => a.thread - b.thread);
    for (const op of this.operators) op.resetFigures();
    // What the driver dealt out to the threads, and what the threads sent each other and back.
    const sent = sumStats(this.senders.map((x) => x.stats));
    const dealt = { ...sent, ms: sent.ms + sumStats(this.receivers.map((r) => r.stats)).ms };
    const exchange = statsSince(dealt, this.dealt);
    this.dealt = dealt;
    const splitRows = this.region.inputs.map(() => 0);
    for (const r of reports) {
      for (const [id, f] of r.eventTime) {
        const s = this.eventTime.get(id);
        if (!s) continue;
        s.futureRows += f.futureRows;
        for (const [split, x] of f.splits) {
          let into = s.splits.get(split);
          if (!into) s.splits.set(split, (into = new SplitEventTime()));
          into.max = Math.max(into.max, x.max);
          into.min = Math.min(into.min, x.min);
          into.sum += x.sum;
          into.count += x.count;
        }
      }
      if (r.deadLetters && this.ctx.deadLetters) {
        const letters = readValue(new ByteReader(r.deadLetters.buffer as ArrayBuffer, r.deadLetters.byteOffset, r.deadLetters.byteOffset + r.deadLetters.byteLength)) as DeadLetter[];
        for (const l of letters) this.ctx.deadLetters.add(l);
      }
      for (const [id, f] of r.operators) this.operatorByNode.get(id)?.accumulate(f);
      this.ctx.repo.stageBlobs(r.blobs.map((b) => ({ path: b.path, data: Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength) })), r.written);
      r.splitRows.forEach((rows, i) => { splitRows[i]! += rows; });
      exchange.chunks += r.exchange.chunks;
      exchange.rows += r.exchange.rows;
      exchange.bytes += r.exchange.bytes;
      exchange.ms += r.exchange.ms;
      this.builder.counters.malformedDropped += r.malformed;
    }
    this.region.inputs.forEach((node, i) => {
      if (node.k === 'source' && this.ctx.splitSources.has(node)) this.splitRows.set(node, splitRows[i]!);
    });
    this.ctx.sink?.driver.commitTasks?.(epoch, reports.map((r) => r.sink ?? { rows: 0 }));
    this.last = {
      epoch, exchange,
      tasks: reports.map((r) => ({ thread: r.thread, rowsIn: r.rowsIn, rowsOut: r.rowsOut, busyMs: r.busyMs, stateRows: r.stateRows })),
    };
    this.staticCache.clear();
  }

  private async request(body: Record<string, unknown>): Promise<unknown> {
    if (body['kind'] === 'backend') {
      const backend = this.ctx.backend;
      switch (body['op']) {
        case 'read': return backend.read(body['args'] as string);
        case 'list': return backend.list(body['args'] as string);
        case 'delete': return backend.delete(body['args'] as string[]);
        case 'checkFence': return backend.checkFence();
        default: throw new Error(`internal: unknown checkpoint request '${String(body['op'])}'`);
      }
    }
    if (body['kind'] === 'static') {
      const nodeId = body['nodeId'] as number;
      let rows = this.staticCache.get(nodeId);
      if (!rows) {
        const plan = this.region.statics.find((s) => this.ctx.nodeIds.get(s) === nodeId);
        if (!plan) throw new Error(`internal: region ${this.region.id} has no static side ${nodeId}`);
        rows = this.ctx.loadStatic(plan).then((r) => {
          const e = schemaCodec(plan.schema).encode(r);
          return { buf: e.buffer, len: e.byteLength, n: e.rows };
        }, (e: unknown) => {
          // The loader's own error fails the query (the threads only get a copy of it).
          this.ctx.supervisor.fail(e, `the static side of a join in region ${this.region.id}`);
          throw e;
        });
        this.staticCache.set(nodeId, rows);
      }
      return rows;
    }
    throw new Error(`internal: unknown request '${String(body['kind'])}' from a worker thread`);
  }
}


