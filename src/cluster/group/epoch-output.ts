// How the coordinator finishes an epoch's output before it writes the commit log: either every
// key group's task wrote its part to the sink and recorded it (TaskEpochOutput; a file sink's
// manifest entry is written here, listing every task's files), or the coordinator gathers the
// key groups' committed outputs and writes them itself (GatheredOutput: complete mode and the
// console, as Spark's driver collects them).
import type { Row } from '../../data/row.js';
import type { RedisClient } from './redis-client.js';
import type { Fencing } from './fencing.js';
import { committedOutput } from './key-group-task.js';
import { sinkRecords } from './task-sink.js';

export interface EpochOutput {
  /** Null while a key group has not finished `epoch`; then its output rows, and whether this call wrote to the sink. */
  finish(epoch: number): Promise<{ readonly rows: number; readonly wroteSink: boolean } | null>;
  /** Redis keys of `epoch` never read again once the commit log has it. */
  scratch(epoch: number): string[];
}

/** The key groups' outputs gathered and written by `write` (true when it wrote them; false: the sink had the epoch). */
export class GatheredOutput implements EpochOutput {
  constructor(private readonly redis: RedisClient, private readonly fencing: Fencing, private readonly keyGroups: number,
    private readonly write: (epoch: number, rows: Row[]) => Promise<boolean>) {}

  async finish(epoch: number): Promise<{ rows: number; wroteSink: boolean } | null> {
    const { redis, fencing, keyGroups } = this;
    const epochs = await Promise.all(Array.from({ length: keyGroups }, (_, g) => redis.get(fencing.keys.groupEpoch(g))));
    if (epochs.some((e) => e === null || Number(e) < epoch)) return null;
    const rows: Row[] = [];
    for (let g = 0; g < keyGroups; g++) for (const r of await committedOutput(redis, fencing, g, epoch)) rows.push(r);
    return { rows: rows.length, wroteSink: await this.write(epoch, rows) };
  }

  scratch(): string[] {
    return [];
  }
}

/**
 * The tasks wrote the epoch (task-sink.ts); `commit`, if any, makes it visible from every task's
 * detail (the file sink's manifest entry) and says whether this call did.
 */
export class TaskEpochOutput implements EpochOutput {
  constructor(private readonly redis: RedisClient, private readonly fencing: Fencing, private readonly keyGroups: number,
    private readonly commit: ((epoch: number, details: unknown[]) => Promise<boolean>) | null) {}

  async finish(epoch: number): Promise<{ rows: number; wroteSink: boolean } | null> {
    const records = await sinkRecords(this.redis, this.fencing, this.keyGroups, epoch);
    if (!records) return null;
    const wroteSink = this.commit ? await this.commit(epoch, records.map((r) => r.detail)) : records.some((r) => r.rows > 0);
    return { rows: records.reduce((n, r) => n + r.rows, 0), wroteSink };
  }

  scratch(epoch: number): string[] {
    return Array.from({ length: this.keyGroups }, (_, g) => this.fencing.keys.sinkRecord(g, epoch));
  }
}
