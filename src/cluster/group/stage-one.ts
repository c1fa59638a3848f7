// Stage one of a cluster query for one source partition and one epoch: read exactly the epoch's
// offset range, run the input's stateless chain and the partial aggregate (map-side combine) or
// hash each row by its join key, and produce one message per key group touched to the repartition topic (partition = key group),
// carrying the epoch and the source range in headers. Then record, once, which offsets hold
// this task's output (HSETNX): stage two reads exactly those, so a re-run of the task (its
// worker died after producing) adds messages nobody reads, and a re-run of stage two reads
// the same rows. The rows cross as v8.serialize (a first cut: the chunk codec of the thread
// exchange would be more compact).
import { serialize } from 'node:v8';
import type { Producer } from 'kafkajs';
import { barrier } from '../../actors/messages.js';
import type { OperatorContext } from '../../actors/operator.js';
import type { KafkaCluster } from '../../connectors/kafka/cluster.js';
import { readRanges } from '../../connectors/kafka/range-reader.js';
import type { ReadSettings } from '../../connectors/kafka/range-reader.js';
import type { Row } from '../../data/row.js';
import type { PartialGroups } from '../../operators/partial-aggregate.js';
import { partialAggregate } from '../../operators/partial-aggregate.js';
import type { SplitEventTime } from '../../operators/event-time-stats.js';
import type { ChunkFunction, StatelessStep } from '../../operators/stateless-chain.js';
import { compileChain, eventTimeBySplit, lookupJoinsOf } from '../../operators/stateless-chain.js';
import type { LookupJoin } from '../../operators/join/lookup-join.js';
import { prepareLookups } from '../../operators/join/lookup-join.js';
import type { AggregateNode, OutputMode } from '../../plan/logical.js';
import type { KeyValueStore } from '../../state/keyed-store.js';

export interface StageOneRecord {
  /** Which input of the keyed step the rows are (a join's 0: left, 1: right). */
  readonly input: number;
  readonly from: number;
  readonly until: number;
  readonly rows: number;
  /** Key group -> offset of this task's message in the repartition topic's partition of that key group. */
  readonly out: Record<string, number>;
  /** The largest event time the withWatermark saw in the range (null: none, or no watermark). */
  readonly maxEventTimeMs: number | null;
}

export interface StageOneSpec {
  readonly cluster: KafkaCluster;
  readonly read: ReadSettings;
  readonly topic: string;
  readonly steps: readonly StatelessStep[];
  readonly aggregate: AggregateNode | null;
  /** For an input of a stream-stream join or a dropDuplicates: the key a row is routed by (undefined: no key owns it). */
  readonly keyGroup: ((row: Row) => number) | null;
  /** The input's index among the keyed step's inputs. */
  readonly input: number;
  readonly mode: OutputMode;
  readonly keyGroups: number;
  readonly producer: Producer;
  readonly repartitionTopic: string;
}

/** Compiles the chain once per worker; tasks run one at a time and reset its event-time figures. */
export function stageOneChain(steps: readonly StatelessStep[]): { run: ChunkFunction; eventTimes: () => readonly SplitEventTime[]; joins: readonly LookupJoin[] } {
  const run = compileChain(steps);
  const bySplit = eventTimeBySplit(steps);
  return { run, eventTimes: () => bySplit(null), joins: lookupJoinsOf(steps) };
}

/** `lateWatermarkMs`: the epoch's late-row watermark (the previous epoch's), for the partial aggregate's late check. */
export async function runStageOne(s: StageOneSpec, chain: ReturnType<typeof stageOneChain>, epoch: number, partition: number, from: number, until: number,
  lateWatermarkMs: number): Promise<StageOneRecord> {
  const rows: Row[] = [];
  let read = 0;
  const eventTimes = chain.eventTimes();
  for (const e of eventTimes) e.reset();
  // Each task reads the static sides of its stream-static joins afresh (as one process does per micro-batch).
  for (const j of chain.joins) j.reset();
  await prepareLookups(chain.joins);
  for await (const chunk of readRanges(s.cluster, [{ topic: s.topic, partition, from, until }], s.read)) {
    read += chunk.length;
    chain.run(chunk, rows, { malformedDropped: 0 }, eventTimes);
  }
  const seen = eventTimes.length && eventTimes[0]!.count > 0 ? eventTimes[0]!.max : null;
  const byGroup = new Map<number, Row[]>();
  const add = (g: number, r: Row): void => {
    let list = byGroup.get(g);
    if (!list) byGroup.set(g, (list = []));
    list.push(r);
  };
  if (s.aggregate) {
    const ctx = new CombineContext(lateWatermarkMs);
    const combine = partialAggregate(s.aggregate, s.mode, s.keyGroups, undefined, Number.MAX_SAFE_INTEGER);
    if (rows.length) await combine.process(rows, 0, ctx);
    await combine.onEpochEnd?.(barrier(epoch, 0), ctx);
    // The partial aggregation emits its table's groups; this transport moves them as rows.
    for (const r of ctx.output) for (const p of (r as unknown as PartialGroups).rows()) add(p.g!, p as unknown as Row);
  } else if (s.keyGroup) {
    // A row no key owns (a null key, a failed one-side condition) touches no state: key group 0 takes it, as between threads.
    for (const r of rows) add(s.keyGroup(r), r);
  } else if (rows.length) {
    // Nothing is keyed: the rows go to one key group, chosen by the source partition.
    byGroup.set(partition % s.keyGroups, rows);
  }
  const out: Record<string, number> = {};
  if (byGroup.size) {
    const groups = [...byGroup.keys()].sort((a, b) => a - b);
    const meta = await s.producer.send({
      topic: s.repartitionTopic,
      acks: -1,
      messages: groups.map((g) => ({
        partition: g,
        value: serialize(byGroup.get(g)),
        headers: { 'spate.epoch': String(epoch), 'spate.input': String(s.input), 'spate.source': `${s.topic}/${partition}/${from}-${until}` },
      })),
    });
    for (const m of meta) out[String(m.partition)] = Number(m.baseOffset);
  }
  return { input: s.input, from, until, rows: read, out, maxEventTimeMs: seen };
}

class CombineContext implements OperatorContext {
  readonly output: Row[] = [];
  readonly counters: Record<string, number> = {};
  readonly evictionWatermarkMs = 0;
  readonly split = null;
  constructor(readonly lateWatermarkMs: number) {}
  emit(rows: Row[]): void {
    for (const r of rows) this.output.push(r);
  }
  dropLate(): void {}
  store<V>(): KeyValueStore<V> {
    throw new Error('internal: the partial aggregate keeps no store');
  }
}
