// Exactly-once from Kafka through an aggregation to the transactional Kafka sink, on the real
// broker: the query runs in child processes killed with SIGKILL at 20 random points (while
// starting, reading, aggregating, inside a Kafka transaction, ...) and at 2 chosen ones (inside
// a transaction that wrote rows; between Kafka's commit and the checkpoint's), restarted each time. A read_committed consumer of the output must see
// exactly the records of a run without crashes; a read_uncommitted one also sees what killed
// transactions left behind, which Kafka aborted. The same under local[2] (each thread writing its
// key groups, a transaction each; 2 kills where one thread's key groups have committed and the
// driver has not logged the epoch), and with each restart on another thread count (2, 1, 4).
import { randomInt, randomUUID } from 'node:crypto';
import { readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaChildConfig } from '../../support/kafka-child.js';
import { KafkaLife } from '../../support/kafka-lives.js';
import { brokers, newTopic, produce, readAll } from '../../support/kafka.js';
import { keyGroupMarkerTopic, messageKeyGroup } from '../../../src/connectors/kafka/kafka-key-group-sink.js';

const PER_TRIGGER = 200;
const RECORDS = 24_000;
const KILLS = 20;
const KEYS = Array.from({ length: 100 }, (_, i) => `k${i}`);

const text = (m: { key: string | null; value: string | null }): string => `${m.key} ${m.value}`;

/** Counts of each element. */
function multiset(items: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

/**
 * Kills the life at a random point: after 0-3 of its epochs, a random part of an epoch's length
 * later, but never past its next commit, so each life takes at most 4 of the 120 epochs and the
 * input cannot run out before the last kill whatever the machine's speed.
 */
async function killAtRandom(life: KafkaLife): Promise<KafkaLife> {
  const after = randomInt(0, 4);
  const commitTimes: number[] = [];
  await life.until((l) => {
    while (commitTimes.length < l.committed) commitTimes.push(performance.now());
    return l.output.includes('READY') && l.committed >= after;
  });
  if (!life.alive) throw new Error(`a crash child ended before it was killed: ${life.describe(await life.exited)}`);
  const epochMs = commitTimes.length >= 2 ? commitTimes.at(-1)! - commitTimes.at(-2)! : 200;
  await Promise.race([sleep(Math.random() * epochMs), life.until((l) => l.committed > after)]);
  await life.kill();
  return life;
}

/** Kills a life that stopped at `at` in one of its first 3 epochs (the gate file never appears). */
async function killAtGate(cfg: KafkaChildConfig, at: NonNullable<KafkaChildConfig['gate']>['at']): Promise<KafkaLife> {
  const life = new KafkaLife({ ...cfg, gate: { at, afterEpochs: randomInt(0, 3), file: join(tmpdir(), `spate-no-such-gate-${randomUUID()}`) } });
  await life.until((l) => l.output.includes('GATED'));
  if (!life.alive) throw new Error(`a crash child ended before its gate: ${life.describe(await life.exited)}`);
  await life.kill();
  return life;
}

/**
 * What a failed run left, for its failure message: each (epoch, output key group) written more
 * than once (an update's epoch is n / 2 - 1: every epoch reads 2 records of every key), where the
 * copies are and that key group's transactional id, the epoch's offset log entry, the epochs
 * each life committed, the marker topic read_committed and read_uncommitted (an aborted
 * transaction's marker shows in the second only), and the commit log.
 */
async function diagnose(output: string, checkpointLocation: string, lives: readonly KafkaLife[], keyGroups = 2): Promise<string> {
  const all = await readAll(output);
  const seen = new Map<string, { kg: number; epoch: number; copies: string[] }>();
  for (const m of all) {
    const n = Number((JSON.parse(m.value ?? '{}') as { n?: number }).n);
    const kg = messageKeyGroup({ topic: output, message: { key: m.key, value: m.value } }, keyGroups);
    const id = `${n / 2 - 1}/${kg}/${m.key}`;
    let e = seen.get(id);
    if (!e) seen.set(id, (e = { kg, epoch: n / 2 - 1, copies: [] }));
    e.copies.push(`p${m.partition}@${m.offset}`);
  }
  const dup = new Map<string, { kg: number; epoch: number; records: number; copies: string[] }>();
  for (const e of seen.values()) {
    if (e.copies.length < 2) continue;
    const id = `epoch ${e.epoch}, key group ${e.kg}`;
    const d = dup.get(id) ?? { kg: e.kg, epoch: e.epoch, records: 0, copies: [] };
    d.records++;
    if (d.copies.length < 4) d.copies.push(e.copies.join(' + '));
    dup.set(id, d);
  }
  const lines = [`records per (epoch, key group) written twice or more: ${dup.size === 0 ? 'none' : ''}`];
  const meta = JSON.parse(await readFile(join(checkpointLocation, 'metadata'), 'utf8')) as { id: string };
  const markerTopic = keyGroupMarkerTopic(`spate-${meta.id}`);
  const marker = async (committed: boolean): Promise<string> => (await readAll(markerTopic, committed).catch(() => []))
    .map((m) => `p${m.partition}@${m.offset}=${m.value}`).join(' ');
  for (const [id, d] of dup) {
    lines.push(`${id}: ${d.records} keys, copies at ${d.copies.join(', ')}, transactional id spate-${meta.id}-kg${d.kg}`);
    const offsets = await readFile(join(checkpointLocation, 'offsets', String(d.epoch)), 'utf8').catch((e: Error) => e.message);
    lines.push(`offset log ${d.epoch}: ${offsets.replace(/\n/g, ' | ')}`);
    lives.forEach((l, i) => {
      const mine = l.output.split('\n').filter((x) => x.startsWith('COMMITTED') || x.includes(`-kg${d.kg}`));
      lines.push(`life ${i}: ${mine.join('; ')}`);
    });
  }
  lines.push(`marker topic ${markerTopic} read_committed: ${await marker(true)}`);
  lines.push(`marker topic ${markerTopic} read_uncommitted: ${await marker(false)}`);
  lines.push(`commits: ${(await readdir(join(checkpointLocation, 'commits')).catch(() => [])).sort((a, b) => Number(a) - Number(b)).join(' ')}`);
  return lines.join('\n');
}

describe('a Kafka → aggregation → transactional Kafka query killed with SIGKILL at random points', () => {
  const checkpoints: string[] = [];
  afterAll(async () => { await Promise.all(checkpoints.map((c) => rm(c, { recursive: true, force: true }))); });

  /**
   * Runs the aggregate query to the end through `plan` (kills at random points or at gates),
   * each life under the master `masterOf(life)`, and checks the output against a run without
   * crashes; returns how many kills came after a commit, and the aborted leftovers.
   */
  async function crashRun(plan: readonly ('random' | NonNullable<KafkaChildConfig['gate']>['at'])[], masterOf: (life: number) => string): Promise<{ killsAfterACommit: number; leftovers: number; records: number }> {
    const input = await newTopic('crash-in', 4);
    await produce(input, Array.from({ length: RECORDS }, (_, i) => ({ key: KEYS[i % KEYS.length]!, value: String(i), partition: i % 4 })));
    const config = async (name: string): Promise<KafkaChildConfig> => {
      const checkpointLocation = join(tmpdir(), `spate-kafka-crash-${name}-${randomUUID()}`);
      checkpoints.push(checkpointLocation);
      return { brokers: brokers(), input, output: await newTopic(`crash-${name}`, 4), checkpointLocation, query: 'aggregate', perTrigger: PER_TRIGGER,
        // About 100 updates an epoch, produced as they come (in requests of 10 or more): a
        // transaction is open for a good part of each epoch, so random kills land inside them too.
        producerBatchMessages: 10 };
    };

    const reference = await config('reference');
    const clean = new KafkaLife(reference);
    const cleanCode = await clean.exited;
    expect(cleanCode === 0 ? 'DONE' : clean.describe(cleanCode)).toBe('DONE');

    const crashed = await config('crashed');
    const life = (n: number): KafkaChildConfig => ({ ...crashed, conf: { 'spate.master': masterOf(n) } });
    let killsAfterACommit = 0;
    const lives: KafkaLife[] = [];
    for (const [n, point] of plan.entries()) {
      const l = point === 'random' ? await killAtRandom(new KafkaLife(life(n))) : await killAtGate(life(n), point);
      lives.push(l);
      if (l.committed > 0) killsAfterACommit++;
    }
    const last = new KafkaLife(life(plan.length));
    lives.push(last);
    const lastCode = await last.exited;
    expect(lastCode === 0 ? 'DONE' : last.describe(lastCode)).toBe('DONE');

    const expected = (await readAll(reference.output)).map(text);
    const got = (await readAll(crashed.output)).map(text);
    if (got.length !== expected.length) {
      process.stdout.write(`${await diagnose(crashed.output, crashed.checkpointLocation, lives)}\n`);
    }
    // Every update of the run without crashes, each exactly once.
    expect(got.length).toBe(expected.length);
    expect(multiset(got)).toEqual(multiset(expected));
    // The last update of each key holds its count and sum over all the input.
    for (const [i, k] of KEYS.entries()) {
      const values = Array.from({ length: RECORDS }, (_, v) => v).filter((v) => v % KEYS.length === i);
      expect(got).toContain(`${k} {"k":"${k}","n":${values.length},"total":${values.reduce((a, b) => a + b, 0)}}`);
    }
    // read_uncommitted: the committed records plus copies of updates whose transactions were killed.
    const uncommitted = multiset((await readAll(crashed.output, false)).map(text));
    const committed = multiset(got);
    let leftovers = 0;
    for (const [record, n] of uncommitted) {
      expect(n).toBeGreaterThanOrEqual(committed.get(record) ?? 0);
      expect(committed.has(record) ? record : `not an update of the query: ${record}`).toBe(record);
      leftovers += n - (committed.get(record) ?? 0);
    }
    expect(killsAfterACommit).toBeGreaterThan(0);
    return { killsAfterACommit, leftovers, records: got.length };
  }

  it('writes every update exactly once under read_committed, as a run without crashes does; aborted leftovers are visible only read_uncommitted', async () => {
    // 20 kills at random points, and 2 at the points exactly-once is hardest at: inside an open
    // transaction that has written rows, and between Kafka's commit and the checkpoint's.
    const plan: ('random' | NonNullable<KafkaChildConfig['gate']>['at'])[] = Array.from({ length: KILLS }, () => 'random');
    plan.splice(7, 0, 'before-kafka-commit');
    plan.splice(14, 0, 'after-kafka-commit');
    const { killsAfterACommit, leftovers, records } = await crashRun(plan, () => 'local');
    expect(leftovers).toBeGreaterThan(0); // at least the transaction killed before its commit
    process.stdout.write(`kafka crash test: ${plan.length} kills (${killsAfterACommit} after a commit in that life), ` +
      `${records} records committed exactly once, ${leftovers} aborted records visible to read_uncommitted only\n`);
  }, 600_000);

  // Under local[N] every thread writes its key groups, each in its own transaction: a kill can
  // land between one key group's commit and another's, or after all of them and before the
  // driver's commit log; the restarted run must skip exactly the key groups Kafka has.
  // (These once failed now and then with one key group's epoch counted twice: the records of a
  // transaction that a kill left open and the next run aborted, which kafkajs' read_committed
  // consumer handed out when another transaction on the partition had begun later and been
  // aborted first. readAll no longer reads through that consumer: test-reader.test.ts.)
  it('under local[2]: every update exactly once, each thread writing its key groups in their own transactions', async () => {
    // 8 kills at random points, and 2 where one thread's key groups committed their epoch and
    // the driver has not logged it (the other thread's may or may not have committed).
    const plan: ('random' | 'after-task-commit')[] = Array.from({ length: 8 }, () => 'random');
    plan.splice(3, 0, 'after-task-commit');
    plan.splice(7, 0, 'after-task-commit');
    const { killsAfterACommit, leftovers, records } = await crashRun(plan, () => 'local[2]');
    process.stdout.write(`kafka crash test, local[2]: ${plan.length} kills (${killsAfterACommit} after a commit), ${records} records exactly once, ${leftovers} aborted leftovers\n`);
  }, 600_000);

  it('with each restart on another thread count (2, 1, 4, ...): every update exactly once', async () => {
    const masters = ['local[2]', 'local', 'local[4]'];
    const { killsAfterACommit, records } = await crashRun(Array.from({ length: 9 }, () => 'random'), (n) => masters[n % masters.length]!);
    process.stdout.write(`kafka crash test, rescaled: 9 kills (${killsAfterACommit} after a commit), ${records} records exactly once\n`);
  }, 600_000);
});
