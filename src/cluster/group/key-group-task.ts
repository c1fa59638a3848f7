// Stage two of a cluster query for one key group (Kafka Streams' task): the state of the key
// group's aggregation (a session window's sessions too), dropDuplicates, (flat)mapGroupsWithState
// or stream-stream join, restored from Redis when the worker claims the key group, merged with
// the epoch's partial aggregates (or run over the epoch's rows: joined with both sides'), and
// committed with the epoch's output in one fenced script. The in-memory state is trusted only while it matches Redis: after a refused or failed commit it is
// dropped, and the key group is restored again (with the same token) if it is still ours.
import { deserialize, serialize } from 'node:v8';
import type { RedisClient } from './redis-client.js';
import type { OperatorContext, OperatorLogic } from '../../actors/operator.js';
import { barrier } from '../../actors/messages.js';
import type { Row } from '../../data/row.js';
import type { ChunkFunction } from '../../operators/stateless-chain.js';
import { streamingAggregate } from '../../operators/aggregate.js';
import { sessionWindowAggregate } from '../../operators/session-window-aggregate.js';
import { deduplicate } from '../../operators/dedup.js';
import { flatMapGroupsWithState } from '../../operators/flat-map-groups-with-state.js';
import { symmetricHashJoin } from '../../operators/join/symmetric-hash-join.js';
import type { AggregateNode, DedupNode, GroupStateNode, JoinNode, OutputMode } from '../../plan/logical.js';
import type { KeyValueStore, ManagedStore } from '../../state/keyed-store.js';
import { InMemoryKeyedStore, partitionOf } from '../../state/keyed-store.js';
import type { CommitOutcome, Fencing } from './fencing.js';

/** An epoch's watermarks (Spark's): late rows are judged by the previous epoch's, state evicted by this one's. */
export interface EpochWatermarks {
  readonly lateWatermarkMs: number;
  readonly watermarkMs: number;
}

/** The keyed step a key group's task runs: the aggregation, the dropDuplicates, the (flat)mapGroupsWithState or the join (null: rows pass through). */
export type KeyedStep = { readonly aggregate: AggregateNode } | { readonly dedup: DedupNode } | { readonly join: JoinNode } | { readonly groupState: GroupStateNode } | null;

export class KeyGroupTask {
  /** The last epoch committed for this key group (-1: none). */
  epoch = -1;
  /** Rows the last run emitted (after the steps that follow the keyed step). */
  lastOutputRows = 0;
  /**
   * The step's stores by name (the aggregation's own table of groups, a join's two sides), or
   * one plain store. In Redis a store's keys are its entries' fields, prefixed by the store's
   * name when the step has more than one.
   */
  private readonly stores: ReadonlyMap<string, ManagedStore>;
  private readonly logic: OperatorLogic | null;

  private constructor(readonly group: number, readonly token: string, step: KeyedStep, mode: OutputMode,
    private readonly keyGroups: number, private readonly after: ChunkFunction | null) {
    // A session window aggregates the rows themselves (its sessions merge per key: no map-side combine).
    this.logic = step === null ? null : 'aggregate' in step
      ? (step.aggregate.window?.kind === 'session' ? sessionWindowAggregate(step.aggregate, mode) : streamingAggregate(step.aggregate, mode, 'partials'))
      : 'dedup' in step ? deduplicate(step.dedup) : 'groupState' in step ? flatMapGroupsWithState(step.groupState) : symmetricHashJoin(step.join);
    const names = this.logic?.stores.length ? this.logic.stores : ['default'];
    this.stores = new Map(names.map((n) => [n, this.logic?.createStore?.(n, keyGroups) ?? new InMemoryKeyedStore(n, keyGroups, undefined, this.logic?.partitionKey)]));
  }

  private fieldOf(store: string, key: string): string {
    return this.stores.size === 1 ? key : `${store}\u0000${key}`;
  }

  /**
   * The key group's state as Redis holds it, to be committed under `token` (from Fencing.claim:
   * every older owner is fenced from the claim on; a task restored again after a failure keeps
   * its token, so it never fences the owner a newer generation chose).
   */
  static async restore(redis: RedisClient, fencing: Fencing, group: number, token: string, step: KeyedStep, mode: OutputMode,
    keyGroups: number, after: ChunkFunction | null): Promise<KeyGroupTask> {
    const task = new KeyGroupTask(group, token, step, mode, keyGroups, after);
    const [entries, epoch] = await Promise.all([redis.hgetallBuffer(fencing.keys.state(group)), redis.get(fencing.keys.groupEpoch(group))]);
    const byStore = new Map<string, [string[], unknown[]]>([...task.stores.keys()].map((n) => [n, [[], []]]));
    for (const [field, value] of Object.entries(entries)) {
      const cut = task.stores.size === 1 ? -1 : field.indexOf('\u0000');
      const [name, key] = cut < 0 ? [[...task.stores.keys()][0]!, field] : [field.slice(0, cut), field.slice(cut + 1)];
      const into = byStore.get(name);
      if (!into) throw new Error(`internal: key group ${group} holds state of an unknown store '${name}'`);
      into[0].push(key);
      into[1].push(deserialize(value));
    }
    for (const [name, store] of task.stores) {
      const [keys, values] = byStore.get(name)!;
      store.load(keys, values);
      store.finishRestore?.();
    }
    task.epoch = epoch === null ? -1 : Number(epoch);
    const ctx = new TaskContext({ lateWatermarkMs: 0, watermarkMs: 0 }, () => true, task.stores);
    task.logic?.restored?.(ctx);
    await task.logic?.open?.(ctx);
    return task;
  }

  /**
   * Runs `epoch` over the rows that reached the key group, by input (the partial aggregates;
   * a join's left rows, then its right rows); the outcome of its commit. `endsTask`: the commit
   * ends the task (fencing.ts' commit); false when a sink record follows it.
   */
  async run(epoch: number, batchTimestampMs: number, watermarks: EpochWatermarks, inputs: readonly Row[][], fencing: Fencing,
    endsTask: boolean, beforeCommit?: () => Promise<void>): Promise<CommitOutcome> {
    const partitionKey = this.logic?.partitionKey ?? ((key: string) => key);
    const ctx = new TaskContext(watermarks, (key) => partitionOf(partitionKey(key), this.keyGroups) === this.group, this.stores);
    let out: Row[];
    if (this.logic) {
      for (const [i, rows] of inputs.entries()) if (rows.length) await this.logic.process(rows, i, ctx);
      await this.logic.onEpochEnd?.(barrier(epoch, batchTimestampMs), ctx);
      out = ctx.output;
    } else {
      out = inputs.flat();
    }
    if (this.after) {
      const chained: Row[] = [];
      this.after(out, chained, { malformedDropped: 0 }, []);
      out = chained;
    }
    this.lastOutputRows = out.length;
    const puts: [string, Buffer][] = [];
    const deletes: string[] = [];
    for (const [name, store] of this.stores) {
      // A columnar store's delta names its slots (the aggregation's groups, a join side's keys): the entries are read from them right away.
      const entryOf = store.deltaEntry?.bind(store) ?? ((v: unknown) => v);
      for (const [, part] of store.takeDelta()) {
        part.keys.forEach((k, i) => {
          const v = part.values[i];
          if (v === undefined) deletes.push(this.fieldOf(name, k));
          else puts.push([this.fieldOf(name, k), serialize(entryOf(v))]);
        });
      }
    }
    await beforeCommit?.();
    const outcome = await fencing.commit(this.group, this.token, epoch, serialize(out), puts, deletes, endsTask);
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

  constructor(w: EpochWatermarks, readonly ownsKey: (storeKey: string) => boolean, private readonly stores: ReadonlyMap<string, ManagedStore>) {
    this.lateWatermarkMs = w.lateWatermarkMs;
    this.evictionWatermarkMs = w.watermarkMs;
  }

  emit(rows: Row[]): void {
    for (const r of rows) this.output.push(r);
  }

  /** Late rows are counted by the operator; a dead-letter sink is not supported in cluster mode yet. */
  dropLate(): void {}

  store<V>(name: string): KeyValueStore<V> {
    const store = this.stores.get(name);
    if (!(store instanceof InMemoryKeyedStore)) throw new Error(`internal: no keyed store '${name}' in cluster mode`);
    return store as InMemoryKeyedStore<V>;
  }
}
