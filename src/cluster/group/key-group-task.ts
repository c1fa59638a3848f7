// Stage two of a cluster query for one key group (Kafka Streams' task): the state of the key
// group's aggregation, restored from Redis when the worker claims the key group, merged with the
// epoch's partial aggregates, and committed with the epoch's output in one fenced script. The
// in-memory state is trusted only while it matches Redis: after a refused or failed commit it is
// dropped, and the key group is restored again (with the same token) if it is still ours.
import { deserialize, serialize } from 'node:v8';
import type { RedisClient } from './redis-client.js';
import type { OperatorContext, OperatorLogic } from '../../actors/operator.js';
import { barrier } from '../../actors/messages.js';
import type { Row } from '../../data/row.js';
import type { ChunkFunction } from '../../operators/stateless-chain.js';
import { streamingAggregate } from '../../operators/aggregate.js';
import type { AggregateNode, OutputMode } from '../../plan/logical.js';
import type { KeyValueStore, ManagedStore } from '../../state/keyed-store.js';
import { InMemoryKeyedStore, partitionOf } from '../../state/keyed-store.js';
import { AggTable } from '../../operators/agg-table.js';
import type { CommitOutcome, Fencing } from './fencing.js';

/** An epoch's watermarks (Spark's): late rows are judged by the previous epoch's, state evicted by this one's. */
export interface EpochWatermarks {
  readonly lateWatermarkMs: number;
  readonly watermarkMs: number;
}

export class KeyGroupTask {
  /** The last epoch committed for this key group (-1: none). */
  epoch = -1;
  /** The aggregation's own table of groups (it keeps its store itself), or a plain store. */
  private readonly store: ManagedStore;
  private readonly logic: OperatorLogic | null;

  private constructor(readonly group: number, readonly token: string, aggregate: AggregateNode | null, mode: OutputMode,
    private readonly keyGroups: number, private readonly after: ChunkFunction | null) {
    this.logic = aggregate ? streamingAggregate(aggregate, mode, 'partials') : null;
    this.store = this.logic?.createStore?.('default', keyGroups) ?? new InMemoryKeyedStore('default', keyGroups);
  }

  /**
   * The key group's state as Redis holds it, to be committed under `token` (from Fencing.claim:
   * every older owner is fenced from the claim on; a task restored again after a failure keeps
   * its token, so it never fences the owner a newer generation chose).
   */
  static async restore(redis: RedisClient, fencing: Fencing, group: number, token: string, aggregate: AggregateNode | null, mode: OutputMode,
    keyGroups: number, after: ChunkFunction | null): Promise<KeyGroupTask> {
    const task = new KeyGroupTask(group, token, aggregate, mode, keyGroups, after);
    const [entries, epoch] = await Promise.all([redis.hgetallBuffer(fencing.keys.state(group)), redis.get(fencing.keys.groupEpoch(group))]);
    const keys = Object.keys(entries);
    task.store.load(keys, keys.map((k) => deserialize(entries[k]!)));
    task.store.finishRestore?.();
    task.epoch = epoch === null ? -1 : Number(epoch);
    return task;
  }

  /** Runs `epoch` over the partial aggregates (or rows) that reached the key group; the outcome of its commit. */
  async run(epoch: number, batchTimestampMs: number, watermarks: EpochWatermarks, input: Row[], fencing: Fencing, beforeCommit?: () => Promise<void>): Promise<CommitOutcome> {
    const ctx = new TaskContext(watermarks, (key) => partitionOf(key, this.keyGroups) === this.group);
    let out: Row[];
    if (this.logic) {
      if (input.length) await this.logic.process(input, 0, ctx);
      await this.logic.onEpochEnd?.(barrier(epoch, batchTimestampMs), ctx);
      out = ctx.output;
    } else {
      out = input;
    }
    if (this.after) {
      const chained: Row[] = [];
      this.after(out, chained, { malformedDropped: 0 }, []);
      out = chained;
    }
    const puts: [string, Buffer][] = [];
    const deletes: string[] = [];
    // The table's delta names its slots: the group entries are read from them right away.
    const entryOf = this.store instanceof AggTable ? (slot: unknown) => (this.store as AggTable).entryOf(slot as number) : (v: unknown) => v;
    for (const [, part] of this.store.takeDelta()) {
      part.keys.forEach((k, i) => {
        const v = part.values[i];
        if (v === undefined) deletes.push(k);
        else puts.push([k, serialize(entryOf(v))]);
      });
    }
    await beforeCommit?.();
    const outcome = await fencing.commit(this.group, this.token, epoch, serialize(out), puts, deletes);
    if (outcome === 'committed') this.epoch = epoch;
    return outcome;
  }
}

/** The output of key group `group` for `epoch`, as its commit stored it. */
export async function committedOutput(redis: RedisClient, fencing: Fencing, group: number, epoch: number): Promise<Row[]> {
  const b = await redis.getBuffer(fencing.keys.output(group, epoch));
  if (!b) throw new Error(`internal: key group ${group} has no output for epoch ${epoch}`);
  return deserialize(b) as Row[];
}

class TaskContext implements OperatorContext {
  readonly output: Row[] = [];
  readonly counters: Record<string, number> = {};
  readonly lateWatermarkMs: number;
  readonly evictionWatermarkMs: number;
  readonly split = null;

  constructor(w: EpochWatermarks, readonly ownsKey: (storeKey: string) => boolean) {
    this.lateWatermarkMs = w.lateWatermarkMs;
    this.evictionWatermarkMs = w.watermarkMs;
  }

  emit(rows: Row[]): void {
    for (const r of rows) this.output.push(r);
  }

  /** Late rows are counted by the operator; a dead-letter sink is not supported in cluster mode yet. */
  dropLate(): void {}

  store<V>(): KeyValueStore<V> {
    throw new Error('internal: the aggregation keeps its own table in cluster mode');
  }
}
