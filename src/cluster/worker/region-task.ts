// One worker thread's instance of a region: the same actors and operators the one-thread engine
// builds for those plan nodes (plan/physical.ts's GraphBuilder), with the region's inputs
// arriving from the driver, each keyed operator reading its input through an exchange from
// every thread (a partial aggregate and a shuffle writer on the sending side), and the output
// going back to the driver with a report at each barrier. The thread owns the key groups the
// assignment gives it, restores their state, and stages their deltas for the driver to write.
import { performance } from 'node:perf_hooks';
import type { Actor } from '../../actors/actor.js';
import { OperatorActor } from '../../actors/operator-actor.js';
import { Supervisor } from '../../actors/supervisor.js';
import { NEVER } from '../../actors/restart-policy.js';
import type { Message } from '../../actors/messages.js';
import { chunk } from '../../actors/messages.js';
import type { TaskSinkResult } from '../../connectors/contract.js';
import { sinkProvider, sourceProvider } from '../../connectors/contract.js';
import { DeadLetterBuffer } from '../../actors/dead-letters.js';
import { ByteReader, ByteWriter } from '../../data/bytes.js';
import { writeValue } from '../../data/value-codec.js';
import { schemaCodec } from '../../data/chunk-codec.js';
import type { Row } from '../../data/row.js';
import { streamingAggregate } from '../../operators/aggregate.js';
import { unionOperator } from '../../operators/union.js';
import type { LogicalPlan, SourceNode, StaticNode } from '../../plan/logical.js';
import type { Pipe } from '../../plan/physical.js';
import { GraphBuilder } from '../../plan/physical.js';
import type { StatefulOperatorFactory } from '../../plan/stateful-operators.js';
import { statefulOperatorFactory } from '../../plan/stateful-operators.js';
import { executeBatch } from '../../query/batch-execution.js';
import type { StateExpectation } from '../../state/state-repository.js';
import { StateRepository } from '../../state/state-repository.js';
import { unitsOf } from '../assignment.js';
import type { ChannelMessage, ChannelStats } from '../exchange/channel.js';
import { ChannelReceiver, ChannelSender, LocalChannel, noStats, statsSince, sumStats } from '../exchange/channel.js';
import { InletActor, SplitReaderActor } from '../exchange/inlet-actors.js';
import { splitRow } from '../exchange/messages.js';
import { OutletActor } from '../exchange/outlet-actor.js';
import type { ExchangeInput } from '../exchange/partitioning.js';
import { combinesPartially, exchangeInput } from '../exchange/partitioning.js';
import { ShuffleWriterActor } from '../exchange/shuffle-writer.js';
import { decodePlan } from '../plan-codec.js';
import type { OperatorReport, RegionPorts, RegionReport, RegionSpec } from '../region-spec.js';
import type { BackendRequest } from './remote-backend.js';
import { RemoteBackend } from './remote-backend.js';

export interface TaskServices {
  /** Checkpoint reads, through the driver. */
  readonly backend: BackendRequest;
  /** The rows of a static side for the epoch running, encoded with its schema. */
  readonly staticRows: (nodeId: number) => Promise<{ buf: ArrayBuffer; len: number; n: number }>;
  /** The region failed on this thread. */
  readonly failed: (error: unknown, where: string) => void;
}

export class RegionTask {
  private readonly supervisor: Supervisor;
  private readonly builder: GraphBuilder;
  private readonly nodeIds = new Map<LogicalPlan, number>();
  private readonly senders: (ChannelSender | LocalChannel)[] = [];
  private readonly receivers: ChannelReceiver[] = [];
  private readonly inlets: (InletActor | SplitReaderActor)[] = [];
  private readonly combines = new Map<LogicalPlan, OperatorActor>();
  private readonly outlet: OutletActor;
  private readonly repo: StateRepository;
  private lastExchange: ChannelStats = noStats();
  /** The epoch the driver last started (-1: none yet). */
  private epoch = -1;
  private readonly deadLetters: DeadLetterBuffer | null;
  private elu = performance.eventLoopUtilization();

  constructor(readonly spec: RegionSpec, ports: RegionPorts, services: TaskServices) {
    const { chunkRows, linkCapacity } = spec;
    const supervisor = new Supervisor(NEVER, linkCapacity);
    this.supervisor = supervisor;
    supervisor.onFailure((error, actor) => services.failed(error, `${spec.name}, worker thread ${spec.thread}, ${actor}`));
    this.repo = new StateRepository(new RemoteBackend(spec.checkpointLocation, services.backend));
    this.repo.recordsDeltas = spec.recordsDeltas;
    this.deadLetters = spec.deadLetters ? new DeadLetterBuffer() : null;

    // The region's nodes; those outside it are stood in for by inputs and broadcast static sides.
    const inputNodes = new Map<number, SourceNode>();
    for (const input of spec.inputs) {
      inputNodes.set(input.nodeId, { k: 'source', format: 'region-input', options: {}, schema: input.schema });
    }
    const staticNodes = new Map<number, StaticNode>();
    for (const s of spec.statics) {
      const codec = schemaCodec(s.schema);
      staticNodes.set(s.nodeId, {
        k: 'static', description: 'static side (evaluated by the driver each epoch)', schema: s.schema,
        load: async () => {
          const e = await services.staticRows(s.nodeId);
          return codec.decode({ buffer: e.buf, byteLength: e.len, rows: e.n });
        },
      });
    }
    const byId = decodePlan(spec.plan, (id) => {
      const n = inputNodes.get(id) ?? staticNodes.get(id);
      if (!n) throw new Error(`internal: region ${spec.name} reads node ${id}, which it was not given`);
      return n;
    });
    for (const [id, n] of byId) this.nodeIds.set(n, id);
    const output = byId.get(spec.output.nodeId)!;
    const ids = new Map<LogicalPlan, string>(spec.operatorIds.flatMap(([id, opId]) => (byId.has(id) ? [[byId.get(id)!, opId] as const] : [])));

    const inletOf = new Map<LogicalPlan, InletActor | SplitReaderActor>();
    spec.inputs.forEach((input, i) => {
      const node = inputNodes.get(input.nodeId)!;
      const codec = input.source ? null : schemaCodec(input.schema);
      const receiver = new ChannelReceiver(ports.inputs[i]!, `driver → ${spec.name} input ${i}`, linkCapacity, (m) => {
        if (m.t === 'split') return chunk([splitRow(m.split)], m.tag);
        if (m.t === 'rows') return chunk(codec!.decode({ buffer: m.buf, byteLength: m.len, rows: m.n }), m.split);
        throw new Error('internal: an exchange frame arrived on a region input');
      }, undefined, (m) => this.beginEpoch(m.epoch, m.ts, m.wm));
      this.receivers.push(receiver);
      const actor = input.source
        ? new SplitReaderActor(`split-reader-${i}`, supervisor, chunkRows, sourceProvider(input.source.format).splitReader!({ ...input.source }))
        : new InletActor(`inlet-${i}`, supervisor, chunkRows);
      supervisor.add(actor);
      actor.connectInput(receiver.link);
      inletOf.set(node, actor);
      this.inlets.push(actor);
    });

    const exchangeIndex = new Map(spec.exchanges.map((e, k) => [`${e.nodeId}/${e.input}`, k]));
    const owned = unitsOf(spec.owners, spec.thread);
    this.builder = new GraphBuilder({
      plan: output,
      outputMode: spec.outputMode,
      supervisor,
      chunkRows,
      shufflePartitions: spec.keyGroups,
      state: this.repo,
      statefulOperator: ownerFactory(spec.sink ? null : output, chunkRows),
      loadStatic: executeBatch,
      ids,
      ownedPartitions: owned,
      deadLetters: this.deadLetters,
      hooks: {
        external: (node) => inletOf.get(node),
        exchange: (node, input, upstream) => {
          const k = exchangeIndex.get(`${this.nodeIds.get(node)}/${input}`);
          if (k === undefined) throw new Error(`internal: no exchange for input ${input} of ${node.k}`);
          return this.exchange(node, input, upstream, ports.exchanges[k]!, owned);
        },
      },
    });
    const last = this.builder.actorFor(output);
    // Watermarks arrive already lowered by whatever is upstream; the driver sends each operator its own.
    for (const { actor } of this.builder.operators.values()) actor.inputWatermarkOf = (wm) => wm;
    const outSender = new ChannelSender(ports.output, linkCapacity);
    this.senders.push(outSender);
    const sink = spec.sink ? sinkProvider(spec.sink.format).taskSink!(spec.sink) : null;
    let toOutlet: Actor = last;
    if (spec.sinkPerKeyGroup) {
      // A sink written per key group (a Kafka transaction each): every row to its key group's owner first.
      if (!sink?.keyGroupOf || !ports.sinkExchange) throw new Error(`internal: region ${spec.name} writes its sink per key group without a key group function or channels`);
      toOutlet = this.routeToOwners(last, 'sink', { codec: schemaCodec(spec.output.schema), keyGroup: sink.keyGroupOf, description: `${spec.sink!.format} sink, per key group` },
        ports.sinkExchange, owned);
    }
    this.outlet = supervisor.add(new OutletActor('outlet', supervisor, chunkRows, schemaCodec(spec.output.schema), outSender, (e, wrote) => this.report(e, wrote), sink));
    supervisor.connect(toOutlet, this.outlet);
  }

  /**
   * The driver starts epoch `epoch` (each input brings the news ahead of its rows; the first
   * one counts): withWatermark steps learn its trigger time, the dead letters its watermark.
   */
  private beginEpoch(epoch: number, batchTimestampMs: number, watermarkMs: number): void {
    if (epoch <= this.epoch) return;
    this.epoch = epoch;
    for (const s of this.builder.eventTime.values()) s.beginEpoch(batchTimestampMs);
    this.deadLetters?.beginEpoch(watermarkMs);
  }

  /**
   * Restores a stateful operator's key groups on this thread, checking that every state file
   * the commit log names is there (`expected`, the driver's); resolves with its state metrics.
   */
  async restore(nodeId: number, version: number, lateWatermarkMs: number, expected: StateExpectation): Promise<Record<string, number>> {
    const node = [...this.nodeIds].find(([, id]) => id === nodeId)?.[0];
    const op = node ? this.builder.operators.get(node) : undefined;
    if (!node || !op) throw new Error(`internal: region ${this.spec.name} has no operator for node ${nodeId}`);
    this.repo.expect(expected.committed, expected.retained);
    await op.state?.restore(version);
    op.actor.startAt(lateWatermarkMs);
    this.combines.get(node)?.startAt(lateWatermarkMs);
    return { ...(op.state?.metrics() ?? {}) };
  }

  async stop(): Promise<void> {
    await this.supervisor.stopAll();
    for (const s of this.senders) s.close();
    for (const r of this.receivers) r.close();
  }

  private exchange(node: LogicalPlan, input: number, upstream: Pipe, ports: RegionPorts['exchanges'][number], owned: readonly number[]): OperatorActor {
    const { spec, supervisor } = this;
    const ex = exchangeInput(node, input, spec.outputMode, spec.keyGroups);
    let from: Actor;
    if (ex.combine) {
      // The partial aggregation runs the stateless steps in front in its own generated stage
      // (not when late rows go to a dead-letter sink, which takes them whole: see GraphBuilder).
      const fuse = !this.deadLetters;
      const logic = ex.combine(fuse ? { steps: upstream.steps, counters: this.builder.counters } : { steps: [], counters: this.builder.counters });
      from = fuse ? upstream.producer : this.builder.materialize(upstream);
      // Named as its operator: the late rows it drops are that operator's (dead letters name it).
      const combine = supervisor.add(new OperatorActor(this.builder.idOf(node), supervisor, spec.chunkRows, logic, null));
      combine.inputWatermarkOf = (wm) => wm;
      combine.deadLetters = this.deadLetters;
      supervisor.connect(from, combine);
      this.combines.set(node, combine);
      from = combine;
    } else {
      from = this.builder.materialize(upstream);
    }
    return this.routeToOwners(from, `${this.builder.idOf(node)}-${input}`, ex, ports, owned);
  }

  /** Rows from `from` to the thread owning each one's key group, read back here as one stream. */
  private routeToOwners(from: Actor, name: string, ex: Pick<ExchangeInput, 'codec' | 'keyGroup' | 'description' | 'sections' | 'readSection'>,
    ports: RegionPorts['exchanges'][number], owned: readonly number[]): OperatorActor {
    const { spec, supervisor } = this;
    const codec = ex.codec;
    // The thread's link to itself is local: its rows are handed over as they are, never encoded.
    const self = new LocalChannel(`thread ${spec.thread} → itself (${ex.description})`, spec.linkCapacity);
    ports.send[spec.thread]!.close();
    ports.receive[spec.thread]!.close();
    const senders = ports.send.map((p, t) => (t === spec.thread ? self : new ChannelSender(p, spec.linkCapacity)));
    this.senders.push(...senders);
    const writer = supervisor.add(new ShuffleWriterActor(`exchange-${name}`, supervisor, spec.chunkRows,
      { codec, keyGroup: ex.keyGroup, owners: spec.owners, ...(ex.sections ? { sections: ex.sections } : {}) }, senders));
    supervisor.connect(from, writer);
    const merge = supervisor.add(new OperatorActor(`exchange-read-${name}`, supervisor, spec.chunkRows, unionOperator(), null));
    const mine = new Set(owned);
    ports.receive.forEach((p, t) => {
      if (t === spec.thread) {
        merge.connectInput(self.link);
        return;
      }
      const r = new ChannelReceiver(p, `thread ${t} → ${spec.thread} (${ex.description})`, spec.linkCapacity, (m) => decodeFrame(m, ex.readSection ?? ((r) => codec.read(r)), mine, spec.thread));
      this.receivers.push(r);
      merge.connectInput(r.link);
    });
    return merge;
  }

  private report(epoch: number, sink: TaskSinkResult | null): RegionReport {
    const b = this.builder;
    const splitRows = this.inlets.map((a) => (a instanceof SplitReaderActor ? a.rows : 0));
    let malformed = b.counters.malformedDropped;
    let rowsIn = 0;
    for (const a of this.inlets) {
      if (a instanceof SplitReaderActor) {
        rowsIn += a.rows;
        malformed += a.malformed;
        a.rows = 0;
        a.malformed = 0;
      } else {
        rowsIn += a.rowsIn;
        a.rowsIn = 0;
      }
    }
    b.counters.malformedDropped = 0;
    const eventTime = [...b.eventTime].map(([node, s]) => {
      const figures = {
        splits: [...s.splits].filter(([, f]) => f.count > 0).map(([split, f]) => [split, { max: f.max, min: f.min, sum: f.sum, count: f.count }] as const),
        futureRows: s.futureRows,
      };
      s.reset();
      return [this.nodeIds.get(node)!, figures] as const;
    });
    const letters = this.deadLetters?.take() ?? [];
    let deadLetters: Uint8Array | null = null;
    if (letters.length > 0) {
      const w = new ByteWriter(256);
      writeValue(w, letters);
      deadLetters = new Uint8Array(w.buffer, 0, w.length);
    }
    let busyMs = 0;
    let stateRows = 0;
    const operators: (readonly [number, OperatorReport])[] = [];
    for (const [node, { actor, logic, state }] of b.operators) {
      busyMs += actor.timings.updatesMs + actor.timings.removalsMs;
      if (!state) continue;
      const metrics = { ...state.metrics(), ...logic.stateMetrics?.() } as unknown as Record<string, number>;
      stateRows += metrics['numRowsTotal'] ?? 0;
      const counters = { ...actor.counters };
      const combine = this.combines.get(node);
      if (combine) {
        for (const [k, v] of Object.entries(combine.counters)) counters[k] = (counters[k] ?? 0) + v;
        for (const k of Object.keys(combine.counters)) combine.counters[k] = 0;
      }
      operators.push([this.nodeIds.get(node)!, {
        metrics, counters, updatesMs: actor.timings.updatesMs, removalsMs: actor.timings.removalsMs, evictionWatermarkMs: actor.evictionWatermarkMs,
      }]);
      for (const k of Object.keys(actor.counters)) actor.counters[k] = 0;
    }
    for (const { actor } of b.operators.values()) {
      actor.timings.updatesMs = 0;
      actor.timings.removalsMs = 0;
    }
    // Rows and bytes as sent; time as spent encoding and decoding on this thread.
    const sent = sumStats(this.senders.map((s) => s.stats));
    const now = { ...sent, ms: sent.ms + sumStats(this.receivers.map((r) => r.stats)).ms };
    const exchange = statsSince(now, this.lastExchange);
    this.lastExchange = now;
    const elu = performance.eventLoopUtilization(this.elu);
    this.elu = performance.eventLoopUtilization();
    const rowsOut = this.outlet.rowsOut;
    this.outlet.rowsOut = 0;
    return {
      epoch, thread: this.spec.thread, splitRows, malformed, eventTime, operators,
      written: this.repo.takeWritten(),
      blobs: this.repo.takeStaged().map((w) => ({ path: w.path, data: typeof w.data === 'string' ? Buffer.from(w.data) : w.data })),
      exchange, rowsIn, rowsOut, busyMs: Math.max(busyMs, elu.active), stateRows, sink, deadLetters,
    };
  }
}

/**
 * Operators as the owner of key groups runs them: an aggregation merges partial aggregates, and
 * one whose rows go straight to the driver (`toDriver`, the region's output) emits its output as
 * columns for the outlet to encode, without building row objects.
 */
function ownerFactory(toDriver: LogicalPlan | null, chunkRows: number): StatefulOperatorFactory {
  const base = statefulOperatorFactory();
  return (node, opts) => (combinesPartially(node) && node.k === 'aggregate'
    ? streamingAggregate(node, opts.outputMode, 'partials', node === toDriver ? chunkRows : 0)
    : base(node, opts));
}

/** The rows of an exchange frame, each section checked to belong to a key group this thread owns. */
function decodeFrame(m: Extract<ChannelMessage, { t: 'rows' | 'frame' | 'split' }>, readSection: (r: ByteReader) => Row[], owned: ReadonlySet<number>, thread: number): Message {
  if (m.t !== 'frame') throw new Error(`internal: a '${m.t}' message arrived on an exchange`);
  const r = new ByteReader(m.buf, 0, m.len);
  const parts: Row[][] = [];
  for (const group of m.groups) {
    if (!owned.has(group)) throw new Error(`internal: key group ${group} arrived at thread ${thread}, which does not own it`);
    parts.push(readSection(r));
  }
  return chunk(parts.length === 1 ? parts[0]! : parts.flat());
}

