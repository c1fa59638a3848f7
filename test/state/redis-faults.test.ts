// Redis failures: a restart of the server in the middle of a run, a server that is not there
// at start, and a run that lost its lock to another one.
import { Redis } from 'ioredis';
import type { DataFrame, Row, Session } from '../../src/index.js';
import { CheckpointError, ConnectorError, col, count, lit, sum } from '../../src/index.js';
import { freePort, RedisServer } from '../support/redis-server.js';
import { expectedCounts } from '../support/sequence-source.js';
import { sortRows, testSession } from '../support/helpers.js';

const KEYS = 11;

function counts(spark: Session, rows: number, perBatch: number, paceMs = 0): DataFrame {
  return spark.readStream.format('sequence').option('rows', rows).option('keys', KEYS).option('maxRowsPerTrigger', perBatch)
    .option('paceMs', paceMs).option('chunkRows', 50).load()
    .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'));
}

function expected(n: number): Row[] {
  return sortRows(expectedCounts(n, KEYS));
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Redis faults', () => {
  let server: RedisServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('a query survives a Redis restart in the middle of a run and ends with exactly the right state', async () => {
    server = await RedisServer.start({ persistent: true });
    const spark = testSession({ 'spate.checkpoint.redis.retryTimeout': 300 });
    const q = counts(spark, 20_000, 200, 1).writeStream.format('memory').queryName('redis_restart').outputMode('complete')
      .option('checkpointLocation', `${server.url}/0/restart`)
      .restartPolicy({ type: 'onFailure', retries: 100, intervalMs: 100, backoff: 1 })
      .start();
    await until(() => (q.lastProgress?.batchId ?? -1) >= 5, 'five committed epochs');
    await server.kill('SIGKILL');
    const statuses: string[] = [];
    const watcher = setInterval(() => statuses.push(q.status.message), 5);
    try {
      await until(() => statuses.some((s) => s.startsWith('Restarting after failure')), 'the query to restart');
      await new Promise((r) => setTimeout(r, 500));
      await server.restart();
      await q.processAllAvailable();
    } finally {
      clearInterval(watcher);
    }
    expect(statuses.find((s) => s.startsWith('Restarting after failure'))).toMatch(/Redis at redis:\/\/127\.0\.0\.1:\d+\/0\/restart did not answer/);
    expect(q.exception()).toBeNull();
    expect(sortRows(await spark.table('redis_restart').collect())).toEqual(expected(20_000));
    expect(q.lastProgress!.sources[0]!.endOffset).toBe(20_000);
    await q.stop();
  });

  it('a query whose Redis is unreachable at start fails with a retriable error naming the server', async () => {
    const port = await freePort();
    const spark = testSession({ 'spate.checkpoint.redis.retryTimeout': 200 });
    const q = counts(spark, 100, 10).writeStream.format('memory').queryName('redis_down').outputMode('complete')
      .option('checkpointLocation', `redis://user:hunter2@127.0.0.1:${port}/0/down`).start();
    await expect(q.awaitTermination()).rejects.toThrow(`Redis at redis://user:***@127.0.0.1:${port}/0/down did not answer while taking the live-run lock`);
    const cause = q.exception()!.cause as ConnectorError;
    expect(cause).toBeInstanceOf(ConnectorError);
    expect(cause.retriable).toBe(true);
    expect(cause.message).toMatch(/ECONNREFUSED|Connection is closed/);
    expect(q.exception()!.message).not.toContain('hunter2');
  });

  it('a live run keeps renewing its lock, so a second run is refused long after the lock timeout', async () => {
    server = await RedisServer.start();
    const spark = testSession({ 'spate.checkpoint.redis.lockTimeout': 2500 });
    const location = `${server.url}/0/renewed`;
    const first = counts(spark, 1_000_000, 100, 1).writeStream.format('memory').queryName('renew_1').outputMode('complete')
      .option('checkpointLocation', location).start();
    await until(() => (first.lastProgress?.batchId ?? -1) >= 0, 'a first commit');
    await new Promise((r) => setTimeout(r, 6000));
    const second = counts(spark, 100, 10).writeStream.format('memory').queryName('renew_2').outputMode('complete')
      .option('checkpointLocation', location).start();
    await expect(second.awaitTermination()).rejects.toThrow(`is in use by run ${first.runId}`);
    expect(first.isActive).toBe(true);
    await first.stop();
    expect(first.exception()).toBeNull();
    // Released on stop: the checkpoint is free at once.
    const third = counts(spark, 1_000_000, 100, 1).writeStream.format('memory').queryName('renew_3').outputMode('complete')
      .option('checkpointLocation', location).start();
    await until(() => third.lastProgress !== null, 'the third run to commit');
    expect(third.lastProgress!.sources[0]!.startOffset).toBe(first.lastProgress!.sources[0]!.endOffset);
    await third.stop();
    expect(third.exception()).toBeNull();
  });

  it('a run that lost its lock to another run stops writing and fails without restarting', async () => {
    server = await RedisServer.start();
    const spark = testSession();
    const q = counts(spark, 1_000_000, 100, 1).writeStream.format('memory').queryName('redis_lost').outputMode('complete')
      .option('checkpointLocation', `${server.url}/0/lost`)
      .restartPolicy({ type: 'onFailure', retries: 5, intervalMs: 10 })
      .start();
    await until(() => (q.lastProgress?.batchId ?? -1) >= 2, 'three committed epochs');
    const redis = new Redis(server.url);
    await redis.set('{lost}:lock', JSON.stringify({ runId: 'intruder', host: 'elsewhere', pid: 1 }), 'PX', 60_000);
    await expect(q.awaitTermination()).rejects.toThrow(`run ${q.runId} lost checkpoint ${server.url}/0/lost to run intruder (process 1 on elsewhere)`);
    expect(q.exception()!.cause).toBeInstanceOf(CheckpointError);
    // Nothing was committed after the lock changed hands (at most the commit that was in flight).
    const committed = (await redis.hkeys('{lost}:f:commits')).map(Number);
    expect(Math.max(...committed)).toBeLessThanOrEqual(q.lastProgress!.batchId + 1);
    expect(await redis.get('{lost}:lock')).toContain('intruder');
    redis.disconnect();
  });
});
