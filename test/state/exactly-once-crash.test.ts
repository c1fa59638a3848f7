// The exactly-once crash test: a sequence source → keyed aggregation → idempotent per-epoch
// file sink runs in child processes killed with SIGKILL at random moments, 20 times, each time
// restarted; the output must equal a run without crashes, file for file (no epoch lost,
// repeated or different), for the local store and the Redis store, synchronous and
// asynchronous commits. `npm run soak` runs the same harness with more kills.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CrashScenario } from '../support/crash/harness.js';
import { differencesFrom, readOutput, runWithCrashes, runWithoutCrashes } from '../support/crash/harness.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';

const SHAPE = { rows: 200_000, rowsPerBatch: 500, keys: 300, shufflePartitions: 4 } as const;

describe('exactly-once recovery from SIGKILL at random points', () => {
  let dir: string;
  let reference: Map<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spate-crash-'));
    await runWithoutCrashes({ ...SHAPE, paceMs: 0, asyncCheckpoint: false, checkpointLocation: join(dir, 'reference-checkpoint'), outDir: join(dir, 'reference') });
    reference = readOutput(join(dir, 'reference'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const scenario = (name: string, checkpointLocation: string, asyncCheckpoint: boolean, kills: number): CrashScenario => ({
    ...SHAPE, checkpointLocation, outDir: join(dir, name), kills, asyncCheckpoint, paceMs: 4, maxKillDelayMs: 400,
  });

  async function expectSameAsWithoutCrashes(s: CrashScenario): Promise<void> {
    const report = await runWithCrashes(s);
    expect(report.kills).toBe(s.kills);
    expect(report.killsAfterACommit).toBeGreaterThan(0);
    // Same epochs, each with the same rows; no MISMATCH file (a replay that differed).
    expect(differencesFrom(reference, s.outDir, SHAPE.rows)).toEqual([]);
  }

  it('the local store loses and repeats nothing over 20 kills', async () => {
    await expectSameAsWithoutCrashes(scenario('local', join(dir, 'local-checkpoint'), false, 20));
  }, 600_000);

  it('the Redis store loses and repeats nothing over 20 kills', async () => {
    const prefix = `crash-${randomUUID()}`;
    try {
      await expectSameAsWithoutCrashes(scenario('redis', `${process.env.REDIS_URL}/0/${prefix}`, false, 20));
    } finally {
      await deleteRedisPrefix(process.env.REDIS_URL!, prefix);
    }
  }, 600_000);

  it('asynchronous checkpointing on the Redis store loses and repeats nothing over 20 kills', async () => {
    const prefix = `crash-async-${randomUUID()}`;
    try {
      await expectSameAsWithoutCrashes(scenario('redis-async', `${process.env.REDIS_URL}/0/${prefix}`, true, 20));
    } finally {
      await deleteRedisPrefix(process.env.REDIS_URL!, prefix);
    }
  }, 600_000);

  it('asynchronous checkpointing on the local store loses and repeats nothing over 10 kills', async () => {
    await expectSameAsWithoutCrashes(scenario('local-async', join(dir, 'local-async-checkpoint'), true, 10));
  }, 600_000);
});
