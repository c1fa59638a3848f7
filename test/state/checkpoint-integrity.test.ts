// A checkpoint that lost files, or whose Redis lost keys, is refused with a message naming what
// is gone: never a silently smaller state, a restart from epoch 0, or epochs written into an
// emptied database.
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataFrame, Session, StreamingQuery } from '../../src/index.js';
import { CheckpointError, col, count, lit, sum } from '../../src/index.js';
import { encodeEntryBlob } from '../../src/state/entry-codec.js';
import { decodePacked } from '../../src/state/packed-state.js';
import { RedisServer } from '../support/redis-server.js';
import { expectedCounts } from '../support/sequence-source.js';
import { eventually, sortRows, testSession } from '../support/helpers.js';

const KEYS = 50;

function counts(spark: Session, rows: number, perBatch: number, paceMs = 0): DataFrame {
  return spark.readStream.format('sequence').option('rows', rows).option('keys', KEYS).option('maxRowsPerTrigger', perBatch)
    .option('paceMs', paceMs).option('chunkRows', 50).load()
    .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'));
}

function run(spark: Session, location: string, rows: number, name: string, perBatch = 500): StreamingQuery {
  return counts(spark, rows, perBatch).writeStream.format('memory').queryName(name).outputMode('complete')
    .option('checkpointLocation', location).start();
}

describe('a local checkpoint that lost files', () => {
  let dir: string;
  let spark: Session;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spate-integrity-'));
    spark = testSession();
    // 3,000 rows in six epochs over three shuffle partitions: every partition writes every epoch.
    const q = run(spark, join(dir, 'original'), 3000, 'original');
    await q.processAllAvailable();
    await q.stop();
    expect(sortRows(await spark.table('original').collect())).toEqual(sortRows(expectedCounts(3000, KEYS)));
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  /** A copy of the finished checkpoint with `damage` done to it; restarting it with more input. */
  async function restartAfter(name: string, damage: (cp: string) => Promise<void>): Promise<StreamingQuery> {
    const copy = join(dir, name);
    await cp(join(dir, 'original'), copy, { recursive: true });
    await damage(copy);
    return run(spark, copy, 4000, name);
  }

  const stateDir = async (cpDir: string): Promise<string> => {
    const [op] = await readdir(join(cpDir, 'state'));
    return join(cpDir, 'state', op!);
  };

  /** Rewrites a checkpoint's packed state files as the per-partition files spate wrote before packing. */
  async function unpack(copy: string): Promise<void> {
    const state = await stateDir(copy);
    for (const store of await readdir(join(state, 'packed'))) {
      for (const name of await readdir(join(state, 'packed', store))) {
        const e = decodePacked(await readFile(join(state, 'packed', store, name)));
        for (const g of e.groups) {
          await mkdir(join(state, String(g.partition), store), { recursive: true });
          await writeFile(join(state, String(g.partition), store, name), encodeEntryBlob({ keys: e.keys.slice(g.from, g.to), values: e.values.slice(g.from, g.to) }));
        }
      }
    }
    await rm(join(state, 'packed'), { recursive: true });
  }

  it('resumes an undamaged copy to the exact counts', async () => {
    const q = await restartAfter('intact', async () => undefined);
    await q.processAllAvailable();
    await q.stop();
    expect(sortRows(await spark.table('intact').collect())).toEqual(sortRows(expectedCounts(4000, KEYS)));
  });

  it('refuses to restore when the newest delta is gone, naming it', async () => {
    const q = await restartAfter('no-delta', async (copy) => {
      await rm(join(await stateDir(copy), 'packed', 'default', '6.delta'));
    });
    await expect(q.awaitTermination()).rejects.toThrow(/is missing state file state\/[^ ]+\/packed\/default\/6\.delta \(operator [^,]+, shuffle partition \d\)/);
    expect(q.exception()!.cause).toBeInstanceOf(CheckpointError);
  });

  it('refuses to restore when the packed state folder is gone', async () => {
    const q = await restartAfter('no-packed', async (copy) => { await rm(join(await stateDir(copy), 'packed'), { recursive: true }); });
    await expect(q.awaitTermination()).rejects.toThrow(/is missing state file state\/[^ ]+\/packed\/default\/1\.delta \(operator [^,]+, shuffle partition 0, and 5 more version\(s\) of it\)/);
  });

  it('resumes a checkpoint written with one state file per partition (before packing), then the mixed one it becomes', async () => {
    const q = await restartAfter('per-partition', unpack);
    await q.processAllAvailable();
    await q.stop();
    expect(sortRows(await spark.table('per-partition').collect())).toEqual(sortRows(expectedCounts(4000, KEYS)));
    const state = await stateDir(join(dir, 'per-partition'));
    // Epochs 1-6 were read from per-partition files; epochs 7-8 went to packed ones.
    expect((await readdir(join(state, 'packed', 'default'))).sort()).toEqual(['7.delta', '8.delta']);
    expect((await readdir(join(state, '1', 'default'))).sort()).toEqual(['1.delta', '2.delta', '3.delta', '4.delta', '5.delta', '6.delta']);
    const again = run(spark, join(dir, 'per-partition'), 5000, 'mixed');
    await again.processAllAvailable();
    await again.stop();
    expect(sortRows(await spark.table('mixed').collect())).toEqual(sortRows(expectedCounts(5000, KEYS)));
  });

  it('refuses to restore a per-partition checkpoint when one partition folder is gone', async () => {
    const q = await restartAfter('no-partition', async (copy) => {
      await unpack(copy);
      await rm(join(await stateDir(copy), '2'), { recursive: true });
    });
    await expect(q.awaitTermination()).rejects.toThrow(/is missing state file state\/[^ ]+\/2\/[^ ]+\/1\.delta \(operator [^,]+, shuffle partition 2, and 5 more version\(s\) of it\)/);
  });

  it('refuses to restore when the whole state folder is gone', async () => {
    const q = await restartAfter('no-state', async (copy) => { await rm(join(copy, 'state'), { recursive: true }); });
    await expect(q.awaitTermination()).rejects.toThrow(/is missing state file state\//);
  });

  it('refuses a checkpoint whose offsets folder is gone, and keeps its state', async () => {
    let copyDir = '';
    const q = await restartAfter('no-offsets', async (copy) => {
      copyDir = copy;
      await rm(join(copy, 'offsets'), { recursive: true });
    });
    await expect(q.awaitTermination()).rejects.toThrow(/is corrupt: it has commits up to commits\/5 but no offset log/);
    expect((await readdir(join(await stateDir(copyDir), 'packed'), { recursive: true })).length).toBeGreaterThan(0);
  });

  it('refuses a checkpoint whose metadata is gone', async () => {
    const q = await restartAfter('no-metadata', async (copy) => { await rm(join(copy, 'metadata')); });
    await expect(q.awaitTermination()).rejects.toThrow(/has offsets\/, commits\/, state\/ but no metadata/);
  });
});

describe('a Redis checkpoint on a server that can lose keys', () => {
  let server: RedisServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  it('is refused on a server with an evicting maxmemory-policy, unless allowEviction downgrades it to a warning', async () => {
    server = await RedisServer.start({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
    const spark = testSession();
    const refused = run(spark, `${server.url}/0/lru`, 100, 'lru_refused', 50);
    await expect(refused.awaitTermination()).rejects.toThrow(
      `Redis at ${server.url}/0/lru has maxmemory-policy allkeys-lru: it may evict checkpoint keys under memory pressure, which silently loses state or offsets`);

    const warnings: string[] = [];
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation((w) => { warnings.push(String(w)); });
    try {
      const allowed = run(testSession({ 'spate.checkpoint.redis.allowEviction': true }), `${server.url}/0/lru`, 100, 'lru_allowed', 50);
      await allowed.processAllAvailable();
      await allowed.stop();
      expect(allowed.exception()).toBeNull();
    } finally {
      warn.mockRestore();
    }
    expect(warnings).toContainEqual(expect.stringMatching(/has maxmemory-policy allkeys-lru: .* Running anyway because spate.checkpoint.redis.allowEviction is true/));
  });

  it('says Redis is out of memory, with its maxmemory, when a commit is refused', async () => {
    server = await RedisServer.start({ args: ['--maxmemory', '3mb', '--maxmemory-policy', 'noeviction'] });
    const spark = testSession();
    // Distinct keys make the state grow past 3 MB within a few epochs.
    const q = spark.readStream.format('sequence').option('rows', 200_000).option('keys', 200_000).option('maxRowsPerTrigger', 20_000).load()
      .groupBy('id').agg(count(lit(1)).alias('n'))
      .writeStream.format('memory').queryName('oom').outputMode('update').option('checkpointLocation', `${server.url}/0/oom`).start();
    await expect(q.awaitTermination()).rejects.toThrow(new RegExp(`Redis at ${server.url}/0/oom is out of memory \\(maxmemory 3\\.00M, [^)]+ used\\) and refused the checkpoint write`));
  });

  it('stops a run whose Redis restarted without persistence instead of writing epochs into the emptied database', async () => {
    server = await RedisServer.start();
    const spark = testSession({ 'spate.checkpoint.redis.retryTimeout': 200 });
    const location = `${server.url}/0/volatile`;
    const q = counts(spark, 1_000_000, 100, 1).writeStream.format('memory').queryName('volatile').outputMode('complete')
      .option('checkpointLocation', location)
      .restartPolicy({ type: 'onFailure', retries: 1000, intervalMs: 20 })
      .start();
    await eventually(() => (q.lastProgress?.batchId ?? -1) >= 3, 'four committed epochs', 30_000);
    await server.kill('SIGKILL');
    await server.restart(); // empty: no append-only file, no snapshot
    await expect(q.awaitTermination()).rejects.toThrow(`stops writing checkpoint ${location}: its live-run lock vanished and its metadata is gone`);
    expect(q.exception()!.cause).toBeInstanceOf(CheckpointError);
    const { Redis } = await import('ioredis');
    const redis = new Redis(server.url);
    try {
      expect(await redis.keys('*')).toEqual([]); // nothing written after the loss
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a restore that finds offsets and commits without metadata', async () => {
    server = await RedisServer.start();
    const spark = testSession();
    const location = `${server.url}/0/partial`;
    const first = run(spark, location, 1000, 'partial_1', 200);
    await first.processAllAvailable();
    await first.stop();
    const { Redis } = await import('ioredis');
    const redis = new Redis(server.url);
    try {
      await redis.hdel('{partial}:f:', 'metadata');
    } finally {
      redis.disconnect();
    }
    const second = run(spark, location, 2000, 'partial_2', 200);
    await expect(second.awaitTermination()).rejects.toThrow(`checkpoint ${location} has offsets/, commits/, state/ but no metadata`);
  });
});
