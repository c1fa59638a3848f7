// One word-count run of the cluster fault tests: its input and output topics, its checkpoint
// prefix (on the test run's Redis or a Redis Cluster), its worker processes, and the checks
// every fault test ends with (the whole input committed; the read_committed output is the plain
// loop's counts, with no key written twice in an epoch and every count growing).
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { ClusterKeys } from '../../../src/cluster/group/fencing.js';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import { createTopic, endOffsets, produce, readAll, uniqueTopic } from '../../support/kafka.js';
import type { ClusterChildConfig } from './cluster-child.js';
import { WorkerLife } from './cluster-life.js';

export const KEY_GROUPS = 8;
const PER_TRIGGER = 150;
const VOCABULARY = ['spark', 'kafka', 'redis', 'stream', 'batch', 'epoch', 'watermark', 'state', 'key', 'group', 'fence', 'lease'];

export class WordRun {
  readonly lives: WorkerLife[] = [];
  readonly keys: ClusterKeys;
  readonly lines: string[];

  private constructor(readonly brokers: string, readonly input: string, readonly output: string, readonly prefix: string, readonly location: string,
    readonly store: Redis | Cluster, lineCount: number, seed: number) {
    this.keys = new ClusterKeys(prefix);
    let x = seed;
    const next = (): number => { x = (x * 1103515245 + 12345) & 0x7fffffff; return x; };
    this.lines = Array.from({ length: lineCount }, () => Array.from({ length: 1 + (next() % 6) }, () => VOCABULARY[next() % VOCABULARY.length]!).join(' '));
  }

  /** Topics created on `brokers` (input with 4 partitions), nothing produced yet; `url` is the Redis the checkpoint lives in. */
  static async create(brokers: string, lineCount: number, seed: number, url: string, store: Redis | Cluster): Promise<WordRun> {
    const input = uniqueTopic('cluster-in');
    const output = uniqueTopic('cluster-out');
    await createTopic(input, 4);
    await createTopic(output, 1);
    const prefix = `cluster-test-${randomUUID().slice(0, 8)}`;
    return new WordRun(brokers, input, output, prefix, `${url}/0/${prefix}`, store, lineCount, seed);
  }

  async produce(from: number, until: number): Promise<void> {
    await produce(this.input, this.lines.slice(from, until).map((value, i) => ({ value, partition: (from + i) % 4 })));
  }

  worker(workerId: string, extra: Partial<ClusterChildConfig> = {}): WorkerLife {
    const life = new WorkerLife({
      brokers: this.brokers, input: this.input, output: this.output, checkpointLocation: this.location, workerId, query: 'words',
      keyGroups: KEY_GROUPS, maxOffsetsPerTrigger: PER_TRIGGER, sessionTimeoutMs: 3000, leaseMs: 2000, ...extra,
    });
    this.lives.push(life);
    return life;
  }

  /** Waits until the commit log holds an epoch ending at the input's end offsets, and its transaction is visible. */
  async untilAllCommitted(): Promise<void> {
    const ends = await endOffsets(this.input, false);
    await eventually(async () => {
      const c = await this.store.get(this.keys.committed);
      if (c === null) return false;
      const entry = JSON.parse((await this.store.hget(this.keys.offsets, c))!) as { end: Record<string, number> };
      return [...ends].every(([p, e]) => entry.end[String(p)] === e);
    }, `every input offset of ${this.input} committed`, 200_000);
    await eventually(async () => {
      const [stable, high] = await Promise.all([endOffsets(this.output, true), endOffsets(this.output, false)]);
      return [...high].every(([p, e]) => stable.get(p) === e);
    }, `no open transaction on ${this.output}`, PATIENCE_MS);
  }

  /** The plain loop's word counts. */
  expected(): [string, string][] {
    const m = new Map<string, number>();
    for (const l of this.lines) for (const w of l.split(' ')) m.set(w, (m.get(w) ?? 0) + 1);
    return sorted(new Map([...m].map(([k, v]) => [k, String(v)])));
  }

  /** The output's rows per epoch (header spate.epoch), read with read_committed. */
  async outputByEpoch(): Promise<Map<number, { key: string; value: string }[]>> {
    const by = new Map<number, { key: string; value: string }[]>();
    for (const m of await readAll(this.output, true)) {
      const epoch = Number(m.headers['spate.epoch']);
      const list = by.get(epoch) ?? [];
      list.push({ key: m.key!, value: m.value! });
      by.set(epoch, list);
    }
    return by;
  }

  /** The last count of each word, after checking that no epoch wrote a word twice and that counts only grow. */
  async counts(): Promise<[string, string][]> {
    const last = new Map<string, { epoch: number; value: string }>();
    for (const [epoch, rows] of [...await this.outputByEpoch()].sort(([a], [b]) => a - b)) {
      const seen = new Set<string>();
      for (const { key, value } of rows) {
        if (seen.has(key)) throw new Error(`'${key}' written twice in epoch ${epoch}`);
        seen.add(key);
        const before = last.get(key);
        if (before && Number(before.value) >= Number(value)) throw new Error(`'${key}': count ${value} in epoch ${epoch} after ${before.value} in epoch ${before.epoch}`);
        last.set(key, { epoch, value });
      }
    }
    return sorted(new Map([...last].map(([k, v]) => [k, v.value])));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.lives.filter((l) => l.alive).map(async (l) => {
      l.child.kill('SIGTERM');
      await l.until((x) => x.output.includes('STOPPED'), 'STOPPED').catch(() => undefined);
      await l.exited;
    }));
  }

  async killAll(): Promise<void> {
    await Promise.all(this.lives.map((l) => l.kill('SIGKILL')));
  }
}

/** The key groups a worker's newest assignment gives it (its last REBALANCED line). */
export function keyGroupsHeld(life: WorkerLife): number[] {
  const line = life.lines('REBALANCED ').at(-1);
  if (!line) return [];
  const assignment = JSON.parse(line.split(' ').slice(3).join(' ')) as Record<string, number[]>;
  return [...(Object.entries(assignment).find(([t]) => t.endsWith('-repartition'))?.[1] ?? [])].sort((x, y) => x - y);
}

/** Whether the workers' newest assignments share all key groups out, each holding some, and each claimed what it holds. */
export function settled(lives: readonly WorkerLife[]): boolean {
  const held = lives.map(keyGroupsHeld);
  return held.every((h) => h.length > 0) && held.reduce((n, h) => n + h.length, 0) === KEY_GROUPS &&
    lives.every((l, i) => held[i]!.every((g) => l.lines(`CLAIMED ${g}`).length > 0));
}

/** Lines of a worker equal to `line` (a prefix match would take `PLANNED 1` for `PLANNED 12`). */
export const exactly = (life: WorkerLife, line: string): number => life.output.split('\n').filter((l) => l === line || l.startsWith(`${line} `)).length;

export const sorted = (m: Map<string, string>): [string, string][] => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

