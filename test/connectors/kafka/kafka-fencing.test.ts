// Zombie fencing on the real broker. Run A of a Kafka → transactional Kafka query is frozen
// (SIGSTOP) inside a transaction; its Redis checkpoint lock expires and run B of the same query
// (same checkpoint, so same transactional id) takes over: claiming the transactional id aborts
// A's transaction, and B finishes the input. When A resumes, its transaction is fenced: it
// stops with a clear error, and read_committed readers see every record exactly once, while
// read_uncommitted readers also see what A's aborted transaction had written.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisLayout } from '../../../src/state/redis-layout.js';
import { eventually } from '../../support/helpers.js';
import type { KafkaChildConfig } from '../../support/kafka-child.js';
import { KafkaLife } from '../../support/kafka-lives.js';
import { brokers, newTopic, produce, readAll } from '../../support/kafka.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';

const RECORDS = 40;
const PER_TRIGGER = 10;

const sorted = (xs: readonly (string | null)[]): (string | null)[] => [...xs].sort();

describe('a frozen run of a transactional Kafka query', () => {
  const redisUrl = (): string => process.env['REDIS_URL']!;
  const prefixes: string[] = [];
  const files: string[] = [];
  const lives: KafkaLife[] = [];
  afterAll(async () => {
    for (const l of lives) if (l.alive) await l.kill(); // a failed test's frozen or gated child
    for (const f of files) rmSync(f, { force: true });
    for (const p of prefixes) await deleteRedisPrefix(redisUrl(), p);
  });

  it('is fenced by a second run that took over: its commit fails with a clear error and the output has no duplicate', async () => {
    const input = await newTopic('fence-in', 4);
    const values = Array.from({ length: RECORDS }, (_, i) => `r${i}`);
    await produce(input, values.map((value, i) => ({ key: `k${i % 5}`, value, partition: i % 4 })));
    const output = await newTopic('fence-out', 4);
    const prefix = `fence-${randomUUID()}`;
    prefixes.push(prefix);
    const gate = join(tmpdir(), `spate-fence-gate-${randomUUID()}`);
    files.push(gate);
    const cfg: KafkaChildConfig = {
      brokers: brokers(), input, output, checkpointLocation: `${redisUrl()}/0/${prefix}`, query: 'copy',
      perTrigger: PER_TRIGGER, producerBatchMessages: 1,
      // A's lock outlives its freeze by at most a second; then B may take the checkpoint.
      conf: { 'spate.checkpoint.redis.lockTimeout': 1000 },
    };

    // A commits epoch 0, then stops inside epoch 1 with rows sent in its open transaction.
    const a = new KafkaLife({ ...cfg, gate: { at: 'before-kafka-commit', afterEpochs: 1, file: gate } });
    lives.push(a);
    await a.until((l) => l.output.includes('GATED'));
    expect(a.alive ? 'gated' : a.describe(await a.exited)).toBe('gated');
    // Epoch 1's rows are in Kafka, in A's open transaction: read_committed readers do not see them.
    const epoch0 = (await readAll(output)).length;
    expect(epoch0).toBeGreaterThan(0);
    expect((await readAll(output, false)).length).toBeGreaterThan(epoch0);
    a.child.kill('SIGSTOP');

    try {
      // Nobody renews A's lock now: once it is gone, B of the same query starts and finishes.
      const redis = new Redis(redisUrl());
      try {
        await eventually(async () => (await redis.exists(new RedisLayout(prefix).lockKey)) === 0, 'the frozen run\'s lock to expire', 30_000);
      } finally {
        redis.disconnect();
      }
      const b = new KafkaLife(cfg);
      lives.push(b);
      const bCode = await b.exited;
      expect(bCode === 0 ? 'DONE' : b.describe(bCode)).toBe('DONE');
      expect(b.output).toMatch(/COMMITTED 1\n/); // B re-ran the epoch A had left open
    } finally {
      writeFileSync(gate, '');
      a.child.kill('SIGCONT');
    }

    const aCode = await a.exited;
    expect(aCode).toBe(1);
    expect(a.output).toMatch(new RegExp(
      'FAILED .*the Kafka transaction of epoch 1 was fenced: another producer with transactional id spate-[0-9a-f-]{36} started ' +
      '\\(another run of this query took over its checkpoint.*this run stops without committing',
    ));

    const committed = await readAll(output);
    expect(sorted(committed.map((m) => m.value))).toEqual(sorted(values));
    const uncommitted = await readAll(output, false);
    const aborted = uncommitted.length - committed.length;
    expect(aborted).toBeGreaterThan(0); // what A had sent in epoch 1, aborted by B's takeover
    expect(uncommitted.every((m) => values.includes(m.value!))).toBe(true);
    process.stdout.write(`kafka fencing test: ${committed.length} records committed once, ${aborted} of the frozen run's aborted; ` +
      `it said: ${a.output.split('\n').find((l) => l.startsWith('FAILED '))}\n`);
  }, 300_000);
});
