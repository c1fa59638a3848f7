// Sinks written from every worker: after a key group's task committed epoch e (its state and
// its output, in one fenced script: key-group-task.ts), the key group's owner writes that
// committed output to the sink, then records in Redis, under the same owner token, that the
// key group's part of e is in the sink (with what the coordinator needs of it: a file list).
// The coordinator writes the commit log of e only once every key group has that record
// (epoch-output.ts). The order makes a crash at any point safe:
//   - after the state commit, before the sink write: the output is kept in Redis, and whoever
//     owns the key group next (the restarted worker, or another) writes exactly that output;
//   - after the sink write, before its record: the sink itself knows the epoch is written (a
//     Kafka transaction carries the epoch in its marker record; part files are listed nowhere yet and are
//     written again, the first ones never being read), so the replay skips or supersedes it;
//   - a worker frozen past its key group's hand-over: its record is refused by the token (and
//     counted), and the sink fences it by its own means (Kafka: the transactional id).
import type { Row } from '../../data/row.js';
import type { RedisClient } from './redis-client.js';
import type { Fencing } from './fencing.js';
import type { KeyGroupTask } from './key-group-task.js';
import { committedOutput } from './key-group-task.js';

/** One worker's writer of its key groups' outputs to the query's sink. */
export interface TaskOutput {
  /**
   * Writes key group `group`'s committed rows of `epoch`, unless the sink already has them;
   * resolves to what the coordinator needs to finish the epoch (JSON-serialisable), if anything.
   */
  write(group: number, epoch: number, rows: readonly Row[]): Promise<unknown>;
  /** Lets go of what it holds for key groups this worker no longer owns (a producer). */
  retain(groups: ReadonlySet<number>): Promise<void>;
  close(): Promise<void>;
}

/** What a key group's task recorded of an epoch's sink write. */
export interface SinkRecord {
  readonly rows: number;
  readonly detail?: unknown;
}

/**
 * Records key group `group`'s sink write of epoch e, only under the owner token, once, and only
 * after the key group's state commit of e. The record ends the key group's task of e: it clears
 * the running mark (fencing.ts' BEGIN), so a newly assigned owner, which waits on the mark, claims
 * the key group only once the epoch's output is recorded and never writes it a second time.
 * KEYS: owner, epoch, sunk, record, refused sink records, running mark.
 */
const RECORD = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('INCR', KEYS[5]); return -1 end
local e = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '-1') < e then return -2 end
redis.call('DEL', KEYS[6])
if tonumber(redis.call('GET', KEYS[3]) or '-1') >= e then return 0 end
redis.call('SET', KEYS[4], ARGV[3])
redis.call('SET', KEYS[3], e)
return 1`;

export type RecordOutcome = 'recorded' | 'already' | 'refused' | 'not-committed';

export async function recordSink(redis: RedisClient, fencing: Fencing, group: number, token: string, epoch: number, record: SinkRecord): Promise<RecordOutcome> {
  const k = fencing.keys;
  const r = await redis.eval(RECORD, 6, k.owner(group), k.groupEpoch(group), k.sunk(group), k.sinkRecord(group, epoch), k.refusedSink(group), k.running(group),
    token, epoch, JSON.stringify(record));
  return r === 1 ? 'recorded' : r === 0 ? 'already' : r === -1 ? 'refused' : 'not-committed';
}

/** The sink records of `epoch` of every key group, or null while one is missing. */
export async function sinkRecords(redis: RedisClient, fencing: Fencing, keyGroups: number, epoch: number): Promise<SinkRecord[] | null> {
  const all = await Promise.all(Array.from({ length: keyGroups }, (_, g) => redis.get(fencing.keys.sinkRecord(g, epoch))));
  if (all.some((r) => r === null)) return null;
  return all.map((r) => JSON.parse(r!) as SinkRecord);
}

/**
 * The sink half of a worker's task loop: for every key group it owns whose state commit of
 * `epoch` is done and whose sink write is not, writes and records it. Returns how many it
 * wrote, and the key groups whose record was refused (the worker lost them: it drops them as
 * after a refused commit, and counts them apart: ClusterWorker.refusedSinkRecords).
 */
export class TaskSinkStep {
  /** The last epoch each task (as restored) knows to be in the sink; read from Redis once per restore. */
  private readonly sunk = new WeakMap<KeyGroupTask, number>();

  constructor(private readonly redis: RedisClient, private readonly fencing: Fencing, private readonly output: TaskOutput,
    private readonly onEvent: (event: string) => void,
    /** Testing: runs after the key group's state commit of the epoch, right before its sink write and record. */
    private readonly beforeSinkRecord?: (group: number, epoch: number) => Promise<void>) {}

  async run(tasks: ReadonlyMap<number, KeyGroupTask>, epoch: number): Promise<{ wrote: number; refused: number[] }> {
    await this.output.retain(new Set(tasks.keys()));
    const refused: number[] = [];
    let wrote = 0;
    for (const [g, task] of tasks) {
      if (task.epoch < epoch) continue;
      let sunk = this.sunk.get(task);
      if (sunk === undefined) {
        const v = await this.redis.get(this.fencing.keys.sunk(g));
        sunk = v === null ? -1 : Number(v);
      }
      if (sunk >= epoch) {
        this.sunk.set(task, sunk);
        continue;
      }
      await this.beforeSinkRecord?.(g, epoch);
      const rows = await committedOutput(this.redis, this.fencing, g, epoch);
      const detail = await this.output.write(g, epoch, rows);
      wrote += 1;
      const outcome = await recordSink(this.redis, this.fencing, g, task.token, epoch, { rows: rows.length, ...(detail !== undefined ? { detail } : {}) });
      if (outcome === 'refused') {
        refused.push(g);
        continue;
      }
      if (outcome === 'not-committed') throw new Error(`internal: key group ${g} wrote epoch ${epoch} to the sink before committing it`);
      this.sunk.set(task, epoch);
      this.onEvent(`SINK ${g} ${epoch} ${rows.length}`);
    }
    return { wrote, refused };
  }
}

/** A sink's per-key-group writers (a producer, a part-file writer), made at first use and closed when the key group leaves. */
export class PerKeyGroup<T extends { close(): Promise<void> }> {
  private readonly items = new Map<number, T>();

  constructor(private readonly make: (group: number) => T) {}

  of(group: number): T {
    let item = this.items.get(group);
    if (!item) this.items.set(group, (item = this.make(group)));
    return item;
  }

  async retain(groups: ReadonlySet<number>): Promise<void> {
    for (const [g, item] of [...this.items]) {
      if (groups.has(g)) continue;
      this.items.delete(g);
      await item.close();
    }
  }
}
