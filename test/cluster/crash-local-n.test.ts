// The exactly-once crash harness with the query on worker threads: children killed with SIGKILL
// at random points (while their threads start, run tasks, or the driver commits) and restarted,
// under local[2] on both stores, and with each restart on another thread count (an epoch cut
// short under one count is re-run under another); the output must equal the one-thread run
// without crashes.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CrashScenario } from '../support/crash/harness.js';
import { differencesFrom, readOutput, runWithCrashes, runWithoutCrashes } from '../support/crash/harness.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';

const SHAPE = { rows: 300_000, rowsPerBatch: 500, keys: 300, shufflePartitions: 8 } as const;
const MASTERS = ['local[2]', 'local', 'local[4]'];

describe('exactly-once recovery from SIGKILL under local[2]', () => {
  let dir: string;
  let reference: Map<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spate-crash-n-'));
    await runWithoutCrashes({ ...SHAPE, paceMs: 0, asyncCheckpoint: false, checkpointLocation: join(dir, 'reference-checkpoint'), outDir: join(dir, 'reference') });
    reference = readOutput(join(dir, 'reference'));
  }, 600_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const scenario = (name: string, checkpointLocation: string, env: CrashScenario['env']): CrashScenario => ({
    ...SHAPE, checkpointLocation, outDir: join(dir, name), kills: 6, asyncCheckpoint: false, paceMs: 4, maxKillDelayMs: 800, env,
  });
  const twoThreads = { SPATE_MASTER: 'local[2]' };

  async function expectSameAsOneThreadWithoutCrashes(s: CrashScenario): Promise<void> {
    const report = await runWithCrashes(s);
    expect(report.kills).toBe(s.kills);
    expect(differencesFrom(reference, s.outDir, SHAPE.rows)).toEqual([]);
  }

  it('the local store loses and repeats nothing over 6 kills', async () => {
    await expectSameAsOneThreadWithoutCrashes(scenario('local', join(dir, 'local-checkpoint'), twoThreads));
  }, 600_000);

  it('the Redis store loses and repeats nothing over 6 kills', async () => {
    const prefix = `crash-n-${randomUUID()}`;
    try {
      await expectSameAsOneThreadWithoutCrashes(scenario('redis', `${process.env.REDIS_URL}/0/${prefix}`, twoThreads));
    } finally {
      await deleteRedisPrefix(process.env.REDIS_URL!, prefix);
    }
  }, 600_000);

  it('a run whose restarts change the thread count (2, 1, 4, 2, ...) loses and repeats nothing over 6 kills', async () => {
    await expectSameAsOneThreadWithoutCrashes(scenario('rescaled', join(dir, 'rescaled-checkpoint'), (child) => ({ SPATE_MASTER: MASTERS[(child - 1) % MASTERS.length] })));
  }, 600_000);
});
