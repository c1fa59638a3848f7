// The Kafka source (Spark's KafkaMicroBatchStream): offsets are the next offset per partition,
// {"topic":{"0":123}}, planned from the latest offsets under maxOffsetsPerTrigger (split by lag) and
// minOffsetsPerTrigger / maxTriggerDelay, and read back exactly with Fetch requests. Partitions
// that appear later start at their earliest offset, recorded in the checkpoint before the batch
// that first reads them, so a replay reads the same range. Nothing is committed to Kafka.
import { Kafka } from 'kafkajs';
import type { Row } from '../../data/row.js';
import { ConnectorError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import type { Offset, SourceBacklog, SourceContext, StreamSource } from '../contract.js';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED, partitionKey } from './cluster.js';
import { kafkaConfig } from './kafka-options.js';
import type { KafkaOffsets, PartitionRange } from './offsets.js';
import { entriesOf, limitOffsets, offsetOf, offsetsFrom } from './offsets.js';
import { discoverPartitions, resolveOffsets } from './partitions.js';
import type { ReadSettings } from './range-reader.js';
import { dataLossMessage, readRanges } from './range-reader.js';
import type { KafkaSourceSettings } from './source-options.js';
import { describeStrategy } from './source-options.js';

/** How ranges are read, from the source's options. */
export function readSettings(s: KafkaSourceSettings): ReadSettings {
  return { includeHeaders: s.includeHeaders, failOnDataLoss: s.failOnDataLoss, maxBytesPerPartition: s.maxBytesPerPartition, onDataLoss: (m) => process.emitWarning(m, 'DataLossWarning') };
}

export class KafkaSource implements StreamSource {
  readonly replayable = true;
  readonly supportsContinuous = true;
  private cluster: KafkaCluster | null = null;
  private ctx: SourceContext | null = null;
  /** First offsets of partitions discovered after the query started. */
  private firstOffsets = new Map<string, number>();
  private lastBatchPlannedMs = 0;
  private availableNowCap: Map<string, number> | null = null;
  /** AvailableNow: where each partition stood at the first batch, and how far the batches planned. */
  private availableNowFrom: Map<string, number> | null = null;
  private availableNowThrough = new Map<string, number>();
  /** Partitions already reported gone, so a missing partition is reported once per run. */
  private readonly gone = new Set<string>();
  /** The newest offsets seen, regardless of read limits (progress latestOffset). */
  private latestSeen: KafkaOffsets | null = null;
  /** startingBatchLimit: each partition's latest offset when this run first planned (the backlog it catches up). */
  private catchUpTo: Map<string, number> | null = null;
  /** The timestamp of the newest record read (ms), for the backlog in seconds. */
  private newestReadMs = -Infinity;

  constructor(readonly schema: StructType, private readonly settings: KafkaSourceSettings, private readonly options: Readonly<Record<string, string>>) {}

  get description(): string {
    return `KafkaV2[${describeStrategy(this.settings.strategy)}]`;
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const kafka = new Kafka(kafkaConfig(this.options, `spate-source-${ctx.queryId.slice(0, 8)}`));
    this.cluster = new KafkaCluster(kafka, this.settings.readCommitted ? READ_COMMITTED : READ_UNCOMMITTED);
    try {
      await this.cluster.connect();
    } catch (e) {
      throw new ConnectorError(`cannot connect to Kafka at ${this.options['kafka.bootstrap.servers']}: ${(e as Error).message}; check kafka.bootstrap.servers`, { cause: e, retriable: true });
    }
    const raw = await ctx.checkpoint.read(this.partitionsPath);
    if (raw) this.firstOffsets = new Map(Object.entries(JSON.parse(raw.toString('utf8')) as Record<string, number>));
    this.lastBatchPlannedMs = ctx.clock.now();
  }

  async initialOffset(): Promise<Offset> {
    const cluster = this.cluster!;
    const parts = await discoverPartitions(cluster, this.settings.strategy);
    const start = await resolveOffsets(cluster, parts, this.settings.starting, 'startingOffsets');
    return offsetsFrom([...start].flatMap(([t, m]) => [...m].map(([p, o]) => [t, p, o] as const)));
  }

  async latestOffset(start: Offset, limits: 'default' | 'all'): Promise<Offset> {
    const cluster = this.cluster!;
    const from = new Map(entriesOf(start as KafkaOffsets).map(([t, p, o]) => [partitionKey(t, p), o]));
    const parts = await discoverPartitions(cluster, this.settings.strategy);
    await cluster.track(parts.keys(), true);
    const latest = await cluster.offsets(parts, 'latest');

    // New partitions start at their earliest offset, recorded before any batch reads them.
    const fresh = new Map<string, number[]>();
    for (const [t, ps] of parts) for (const p of ps) if (!from.has(partitionKey(t, p)) && !this.firstOffsets.has(partitionKey(t, p))) {
      let list = fresh.get(t);
      if (!list) fresh.set(t, (list = []));
      list.push(p);
    }
    if (fresh.size) {
      const earliest = await cluster.offsets(fresh, 'earliest');
      for (const [t, m] of earliest) for (const [p, o] of m) this.firstOffsets.set(partitionKey(t, p), o);
      await this.ctx!.checkpoint.write(this.partitionsPath, JSON.stringify(Object.fromEntries(this.firstOffsets)));
    }

    const begin = new Map<string, number>();
    const end = new Map<string, number>();
    const names = new Map<string, readonly [string, number]>();
    for (const [t, ps] of parts) {
      for (const p of ps) {
        const k = partitionKey(t, p);
        names.set(k, [t, p]);
        const b = from.get(k) ?? this.firstOffsets.get(k)!;
        let e = latest.get(t)?.get(p) ?? b;
        const cap = this.availableNowCap;
        if (cap) e = cap.has(k) ? Math.min(e, cap.get(k)!) : b;
        if (e < b) {
          // As Spark: the range is dropped and the next batch starts where the partition ends now.
          this.dataLoss(t, p, `its offsets went back from ${b} to ${e} (was the topic deleted and recreated?): ` +
            `records the partition had from offset ${b} on are lost, and records it has now before offset ${e} are skipped`);
        }
        begin.set(k, b);
        end.set(k, e);
      }
    }
    // Partitions that disappeared keep their last offset.
    for (const [t, p, o] of entriesOf(start as KafkaOffsets)) {
      const k = partitionKey(t, p);
      if (end.has(k)) continue;
      if (!this.gone.has(k)) {
        this.gone.add(k);
        this.dataLoss(t, p, `the partition is gone (was the topic deleted?): records it had from offset ${o} on are lost`);
      }
      names.set(k, [t, p]);
      begin.set(k, o);
      end.set(k, o);
    }

    const available = [...end].reduce((a, [k, e]) => a + Math.max(0, e - begin.get(k)!), 0);
    const { minOffsetsPerTrigger: min, maxOffsetsPerTrigger: max, maxTriggerDelayMs, startingBatchLimit } = this.settings;
    // The backlog a run finds when it first plans (a cold start, a restart after a day down) is
    // read in batches of at most startingBatchLimit offsets; after it, maxOffsetsPerTrigger applies.
    this.catchUpTo ??= new Map(end);
    const catchingUp = startingBatchLimit !== null && [...begin].some(([k, b]) => b < (this.catchUpTo!.get(k) ?? b));
    const limit = limits === 'all' ? null : catchingUp ? startingBatchLimit : max;
    const now = this.ctx!.clock.now();
    if (limits === 'default' && min !== null && available < min && now - this.lastBatchPlannedMs < maxTriggerDelayMs) {
      return start;
    }
    const chosen = limit !== null ? limitOffsets(begin, end, limit) : end;
    const result = offsetsFrom([...chosen].map(([k, o]) => [names.get(k)![0], names.get(k)![1], o] as const));
    this.latestSeen = offsetsFrom([...parts].flatMap(([t, ps]) => ps.map((p) => [t, p, latest.get(t)?.get(p) ?? begin.get(partitionKey(t, p))!] as const)));
    if (this.availableNowCap) {
      this.availableNowFrom ??= new Map(begin);
      this.availableNowThrough = new Map(chosen);
    }
    if (JSON.stringify(result) !== JSON.stringify(start)) this.lastBatchPlannedMs = now;
    return result;
  }

  read(start: Offset, end: Offset): AsyncIterable<Row[]> {
    return this.noteTimestamps(readRanges(this.cluster!, this.ranges(start, end), readSettings(this.settings)));
  }

  /** One split per partition with offsets to read (master('local[N]'): a thread reads each range). */
  planSplits(start: Offset, end: Offset): PartitionRange[] {
    return this.ranges(start, end).filter((r) => r.until > r.from);
  }

  private ranges(start: Offset, end: Offset): PartitionRange[] {
    const from = new Map(entriesOf(start as KafkaOffsets).map(([t, p, o]) => [partitionKey(t, p), o]));
    return entriesOf(end as KafkaOffsets).map(([topic, partition, until]) => {
      const k = partitionKey(topic, partition);
      return { topic, partition, from: from.get(k) ?? this.firstOffsets.get(k) ?? until, until };
    });
  }

  /** Records still to read after `end`, and how far behind the clock the newest record read is. */
  backlog(end: Offset): SourceBacklog | null {
    const latest = this.latestSeen;
    if (!latest) return null;
    let records = 0;
    for (const [t, p, o] of entriesOf(latest)) records += Math.max(0, o - (offsetOf(end as KafkaOffsets, t, p) ?? o));
    const behindMs = records > 0 && Number.isFinite(this.newestReadMs) ? Math.max(0, this.ctx!.clock.now() - this.newestReadMs) : 0;
    return { records, seconds: behindMs / 1000 };
  }

  /** Passes chunks through, noting the timestamp of each one's last record (a partition's records are in time order). */
  private async *noteTimestamps(chunks: AsyncIterable<Row[]>): AsyncIterable<Row[]> {
    for await (const rows of chunks) {
      const t = rows[rows.length - 1]?.['timestamp'];
      if (t instanceof Date && t.getTime() > this.newestReadMs) this.newestReadMs = t.getTime();
      yield rows;
    }
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {
    await this.cluster?.disconnect().catch(() => undefined);
  }

  async prepareForAvailableNow(): Promise<void> {
    const cluster = this.cluster!;
    const parts = await discoverPartitions(cluster, this.settings.strategy);
    const latest = await cluster.offsets(parts, 'latest');
    this.availableNowCap = new Map([...latest].flatMap(([t, m]) => [...m].map(([p, o]) => [partitionKey(t, p), o] as const)));
  }

  reportLatestOffset(): Offset {
    return this.latestSeen;
  }

  availableNowProgress(): { done: number; total: number; unit: string } | null {
    const cap = this.availableNowCap;
    const from = this.availableNowFrom;
    if (!cap || !from) return null;
    let done = 0;
    let total = 0;
    for (const [k, b] of from) {
      total += Math.max(0, (cap.get(k) ?? b) - b);
      done += Math.max(0, (this.availableNowThrough.get(k) ?? b) - b);
    }
    return { done, total, unit: 'offsets' };
  }

  /** failOnDataLoss: fail the query, or warn and go on. */
  private dataLoss(topic: string, partition: number, detail: string): void {
    const message = dataLossMessage(topic, partition, detail);
    if (this.settings.failOnDataLoss) throw new ConnectorError(message);
    process.emitWarning(message, 'DataLossWarning');
  }

  private get partitionsPath(): string {
    return `${this.ctx!.metadataPath}/partitions`;
  }
}
