// The Kafka sink. By default at-least-once (as Spark's): each epoch's rows are produced, and the
// epoch commits once every send was acknowledged; a replayed epoch is produced again.
// With option transactional=true, exactly-once: each epoch is written in one Kafka transaction
// whose transactional id is stable for the query (derived from its id), and the transaction also
// commits the epoch number, as the offset of a marker partition for a consumer group of the query.
// Zombies are fenced the KIP-98 way (kafkajs has no KIP-447): a run first claims the
// transactional id (InitProducerId), which aborts a transaction a previous run left open and
// makes any later write of that run fail; only then it reads the marker, which tells which
// epochs Kafka already has: a replay skips them.
import type { Admin, Producer, Transaction } from 'kafkajs';
import { Kafka, Partitioners } from 'kafkajs';
import type { EpochWriter } from '../../actors/sink-actor.js';
import type { CheckpointBackend } from '../../state/backend.js';
import { CheckpointError, ConnectorError } from '../../errors.js';
import type { OutputMode } from '../../plan/logical.js';
import type { Row } from '../../data/row.js';
import type { StructType } from '../../expr/types.js';
import type { SinkContext, StreamSink, TaskEpochWriter, TaskSink, TaskSinkResult } from '../contract.js';
import { kafkaConfig } from './kafka-options.js';
import { KafkaKeyGroupTaskSink, keyGroupMarkerTopic, transactionalIdBase } from './kafka-key-group-sink.js';
import { newestMarkedEpoch } from './transactional-output.js';
import type { ToMessage, TopicMessage } from './sink-schema.js';
import { byTopic, messageWriter } from './sink-schema.js';

export interface KafkaSinkSettings {
  readonly topic: string | undefined;
  readonly transactional: boolean;
  readonly acks: -1 | 0 | 1;
  readonly compression: 'none' | 'gzip';
  /** Produce requests in flight per epoch before write() waits (at-least-once mode). */
  readonly maxInFlight: number;
  /** Messages gathered into one produce request. */
  readonly batchMessages: number;
  readonly transactionTimeoutMs: number;
}

/**
 * Where the last epoch committed to Kafka is recorded (transactional mode): the committed offset
 * (epoch + 1) of partition 0 of `topic`, for consumer group `groupId`. The topic is the sink's
 * topic option or, when rows name their topics, the first topic the query wrote, recorded in the
 * checkpoint before its first transaction commits (offsets are fetched per topic).
 */
export interface EpochMarker {
  readonly groupId: string;
  topic: string | null;
}

/** Checkpoint path of the marker topic when rows name their topics. */
const MARKER_TOPIC_PATH = 'sink/kafka-epoch-marker-topic';

export class KafkaSink implements StreamSink {
  readonly supportedModes: readonly OutputMode[] = ['append', 'update', 'complete'];
  readonly needsCheckpointLocation = true;
  readonly supportsContinuous = true;
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private toMessage: ToMessage | null = null;
  private open_: Transaction | null = null;
  private checkpoint: CheckpointBackend | null = null;
  /** Transactional mode: the newest epoch Kafka has committed (-1 = none). */
  committedEpoch = -1;
  transactionalId: string | null = null;
  marker: EpochMarker | null = null;
  /** Transactional mode: the newest epoch worker threads may have written per key group (-1: none), and a writer like theirs. */
  private keyGroupEpoch = -1;
  private keyGroupSink: KafkaKeyGroupTaskSink | null = null;
  private readonly taskRows = new Map<number, number>();

  constructor(private readonly settings: KafkaSinkSettings, private readonly options: Readonly<Record<string, string>>) {}

  /**
   * Under master('local[N]') every worker thread produces its share. At-least-once, with a
   * producer of its own; transactional, per key group (kafka-key-group-sink.ts): one
   * transaction per key group and epoch, its epoch marker inside it, so that a replay is
   * skipped exactly per key group whatever the thread count.
   */
  readonly writesFromTasks = true;

  get writesPerKeyGroup(): boolean {
    return this.settings.transactional;
  }

  get guarantee(): 'exactly-once' | 'at-least-once' {
    return this.settings.transactional ? 'exactly-once' : 'at-least-once';
  }

  get guaranteeReason(): string {
    return this.settings.transactional
      ? 'Kafka sink with transactional=true: exactly-once; each epoch is one Kafka transaction, visible to readers with isolation.level=read_committed'
      : 'Kafka sink without transactional=true: at-least-once; a replayed epoch may write twice';
  }

  get description(): string {
    return `KafkaSink[${this.settings.topic ?? 'topic column'}${this.settings.transactional ? ', transactional' : ''}]`;
  }

  async open(ctx: SinkContext): Promise<void> {
    this.toMessage = messageWriter(ctx.schema, this.settings.topic);
    const kafka = new Kafka(kafkaConfig(this.options, `spate-sink-${ctx.queryId.slice(0, 8)}`));
    const s = this.settings;
    if (s.transactional) {
      this.transactionalId = transactionalIdBase(this.options, ctx.queryId);
      this.checkpoint = ctx.checkpoint;
      const markerTopic = s.topic ?? (await ctx.checkpoint.read(MARKER_TOPIC_PATH))?.toString('utf8') ?? null;
      this.marker = { groupId: `${this.transactionalId}-epochs`, topic: markerTopic };
      // No explicit idempotent flag: kafkajs enables it for transactions.
      this.producer = kafka.producer({
        transactionalId: this.transactionalId, maxInFlightRequests: 1, transactionTimeout: s.transactionTimeoutMs,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.admin = kafka.admin();
      await Promise.all([this.connect(this.producer), this.connect(this.admin)]);
      await this.claimTransactionalId();
      this.committedEpoch = await this.readMarker();
      // Epochs that worker threads (master('local[N]')) may have written per key group: written
      // the same way here, so that each key group they committed is skipped, whatever wrote it.
      const base = transactionalIdBase(this.options, ctx.queryId);
      const marked = await newestMarkedEpoch(kafka, keyGroupMarkerTopic(base)).catch((e: unknown) => {
        throw new ConnectorError(`cannot read the key-group epoch markers of transactional id ${base}: ${(e as Error).message}`, { cause: e, retriable: true });
      });
      if (marked && marked.epoch > this.committedEpoch) {
        this.keyGroupEpoch = marked.epoch;
        this.keyGroupSink = new KafkaKeyGroupTaskSink(s, this.options, ctx.schema, ctx.queryId, marked.partitions);
      }
    } else {
      this.producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await this.connect(this.producer);
    }
  }

  beginEpoch(epoch: number): EpochWriter | null {
    return this.settings.transactional ? this.transactionalWriter(epoch) : this.plainWriter(epoch);
  }

  async close(): Promise<void> {
    const tx = this.open_;
    this.open_ = null;
    if (tx?.isActive()) await tx.abort().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    await this.keyGroupSink?.close().catch(() => undefined);
  }

  private plainWriter(epoch: number): EpochWriter {
    const w = plainWriter(this.producer!, this.toMessage!, this.settings);
    let fromTasks = 0;
    return {
      write: w.write,
      commit: async () => {
        await w.commit();
        fromTasks = this.taskRows.get(epoch) ?? 0;
        for (const e of this.taskRows.keys()) if (e <= epoch) this.taskRows.delete(e);
      },
      get outputRows(): number {
        return w.rows + fromTasks;
      },
    };
  }

  /** Rows each epoch's worker threads produced (master('local[N]')); they committed before this is called. */
  commitTasks(epoch: number, results: readonly TaskSinkResult[]): void {
    this.taskRows.set(epoch, results.reduce((n, r) => n + r.rows, 0));
  }

  private transactionalWriter(epoch: number): EpochWriter | null {
    if (epoch <= this.committedEpoch) return null;
    if (epoch <= this.keyGroupEpoch) return this.keyGroupWriter(epoch);
    let tx: Transaction | null = null;
    let fromTasks = 0;
    let written = 0;
    const pending: TopicMessage[] = [];
    const { compression } = this.settings;
    const flush = async (): Promise<void> => {
      if (pending.length === 0) return;
      const batch = pending.splice(0);
      await this.markerTopicFor(batch[0]!.topic);
      try {
        tx ??= this.open_ = await this.producer!.transaction();
        await tx.sendBatch({ topicMessages: byTopic(batch), acks: -1, compression: codec(compression) });
      } catch (e) {
        throw this.fencedError(e, epoch) ?? sendError(e);
      }
    };
    return {
      write: async (rows) => {
        written += rows.length;
        for (const r of rows) pending.push(this.toMessage!(r));
        if (pending.length >= this.settings.batchMessages) await flush();
      },
      commit: async () => {
        await flush();
        const tasks = this.taskRows.get(epoch);
        if (tasks !== undefined) {
          // The worker threads wrote the epoch, each key group in its own committed transaction.
          this.taskRows.delete(epoch);
          fromTasks = tasks;
          this.committedEpoch = epoch;
        }
        if (!tx) return; // nothing written: nothing to replay either
        try {
          await tx.sendOffsets({
            consumerGroupId: this.marker!.groupId,
            topics: [{ topic: this.marker!.topic!, partitions: [{ partition: 0, offset: String(epoch + 1) }] }],
          });
          await tx.commit();
        } catch (e) {
          throw this.fencedError(e, epoch) ?? new ConnectorError(
            `the Kafka transaction of epoch ${epoch} (transactional id ${this.transactionalId}) did not commit: ${(e as Error).message}`,
            { cause: e, retriable: true },
          );
        }
        this.open_ = null;
        this.committedEpoch = epoch;
      },
      get outputRows(): number {
        return written + fromTasks;
      },
    };
  }

  /** An epoch that worker threads may have written in part, one transaction per key group: finished the same way. */
  private keyGroupWriter(epoch: number): EpochWriter {
    const w = this.keyGroupSink!.writer();
    let rows = 0;
    return {
      write: (chunk) => w.write(chunk),
      commit: async () => {
        const tasks = this.taskRows.get(epoch) ?? 0;
        this.taskRows.delete(epoch);
        rows = (await w.finish(epoch)).rows + tasks;
      },
      get outputRows(): number {
        return rows;
      },
    };
  }

  /**
   * Makes this producer the only one of its transactional id (InitProducerId, with an empty
   * transaction): a previous run's producer is fenced and its open transaction aborted (or
   * completed, if it was committing) before this returns, so the marker read next is final.
   */
  private async claimTransactionalId(): Promise<void> {
    try {
      await (await this.producer!.transaction()).abort();
    } catch (e) {
      throw new ConnectorError(`cannot claim Kafka transactional id ${this.transactionalId}: ${(e as Error).message}`, { cause: e, retriable: true });
    }
  }

  /** The newest epoch whose transaction committed, from the marker group's offsets. */
  private async readMarker(): Promise<number> {
    const topic = this.marker!.topic;
    if (topic === null) return -1; // no transaction has committed an epoch yet
    const offsets = await this.admin!.fetchOffsets({ groupId: this.marker!.groupId, topics: [topic] });
    let epoch = -1;
    for (const t of offsets) for (const p of t.partitions) epoch = Math.max(epoch, Number(p.offset) - 1);
    return epoch;
  }

  /** Fixes the marker topic (rows naming their topics) before the first transaction commits. */
  private async markerTopicFor(topic: string): Promise<void> {
    if (this.marker!.topic !== null) return;
    await this.checkpoint!.write(MARKER_TOPIC_PATH, topic);
    this.marker!.topic = topic;
  }

  /** A clear, final error when another producer of our transactional id fenced this one. */
  private fencedError(e: unknown, epoch: number): CheckpointError | null {
    if (!isFenced(e)) return null;
    return new CheckpointError(
      `the Kafka transaction of epoch ${epoch} was fenced: another producer with transactional id ${this.transactionalId} started ` +
      '(another run of this query took over its checkpoint, or the transaction outlived kafka.transaction.timeout.ms ' +
      `= ${this.settings.transactionTimeoutMs} ms); this run stops without committing, and Kafka aborted what it wrote in this transaction`,
      { cause: e },
    );
  }

  private async connect(client: { connect(): Promise<void> }): Promise<void> {
    try {
      await client.connect();
    } catch (e) {
      throw new ConnectorError(`cannot connect to Kafka at ${this.options['kafka.bootstrap.servers']}: ${(e as Error).message}; check kafka.bootstrap.servers`, { cause: e, retriable: true });
    }
  }
}

function codec(c: 'none' | 'gzip'): number {
  return c === 'gzip' ? 1 : 0;
}

/** Whether a kafkajs error (or one it wraps) says a newer producer epoch exists for our transactional id. */
function isFenced(e: unknown): boolean {
  for (let x = e as { type?: string; originalError?: unknown; cause?: unknown } | undefined; x; x = (x.originalError ?? x.cause) as typeof x) {
    if (x.type === 'INVALID_PRODUCER_EPOCH' || x.type === 'PRODUCER_FENCED') return true;
  }
  return false;
}

function sendError(e: unknown): ConnectorError {
  return new ConnectorError(`producing to Kafka failed: ${(e as Error).message}`, { cause: e, retriable: true });
}

/**
 * At-least-once writing: rows go out in produce requests of batchMessages, many in flight, all
 * awaited at the epoch's commit. Requests stay modest: kafkajs groups a request's messages by
 * partition in time quadratic in their number.
 */
function plainWriter(producer: Producer, toMessage: ToMessage, settings: KafkaSinkSettings): { write(rows: Row[]): Promise<void>; commit(): Promise<void>; readonly rows: number } {
  const inflight = new Set<Promise<unknown>>();
  let failure: unknown = null;
  let pending: TopicMessage[] = [];
  let rows = 0;
  const { acks, compression, maxInFlight, batchMessages } = settings;
  const send = (): void => {
    const items = pending;
    pending = [];
    const p = producer.sendBatch({ topicMessages: byTopic(items), acks, compression: codec(compression) })
      .catch((e: unknown) => { failure ??= sendError(e); });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  return {
    async write(chunk) {
      if (failure) throw failure;
      rows += chunk.length;
      for (const r of chunk) pending.push(toMessage(r));
      if (pending.length < batchMessages) return;
      send();
      while (inflight.size >= maxInFlight) await Promise.race(inflight);
      if (failure) throw failure;
    },
    async commit() {
      if (pending.length) send();
      await Promise.all(inflight);
      if (failure) throw failure;
    },
    get rows() {
      return rows;
    },
  };
}

/** A worker thread's producer for an at-least-once Kafka sink (master('local[N]')). */
export class KafkaTaskSink implements TaskSink {
  private producer: Promise<Producer> | null = null;
  private readonly toMessage: ToMessage;

  constructor(private readonly settings: KafkaSinkSettings, private readonly options: Readonly<Record<string, string>>, schema: StructType, private readonly queryId: string) {
    this.toMessage = messageWriter(schema, settings.topic);
  }

  writer(): TaskEpochWriter {
    let w: ReturnType<typeof plainWriter> | null = null;
    const open = async (): Promise<ReturnType<typeof plainWriter>> => {
      this.producer ??= (async () => {
        const p = new Kafka(kafkaConfig(this.options, `spate-sink-${this.queryId.slice(0, 8)}`)).producer({ createPartitioner: Partitioners.DefaultPartitioner });
        try {
          await p.connect();
        } catch (e) {
          throw new ConnectorError(`cannot connect to Kafka at ${this.options['kafka.bootstrap.servers']}: ${(e as Error).message}; check kafka.bootstrap.servers`, { cause: e, retriable: true });
        }
        return p;
      })();
      return (w ??= plainWriter(await this.producer, this.toMessage, this.settings));
    };
    return {
      write: async (rows) => (await open()).write(rows),
      finish: async () => {
        if (!w) return { rows: 0 };
        await w.commit();
        return { rows: w.rows };
      },
    };
  }

  async close(): Promise<void> {
    if (this.producer) await (await this.producer.catch(() => null))?.disconnect().catch(() => undefined);
  }
}
