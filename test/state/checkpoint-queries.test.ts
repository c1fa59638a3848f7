// Whole queries against each checkpoint store: resuming from the last commit, two live runs
// refused, snapshots and retention bounding what the store keeps, corrupt files named, progress
// metrics, asynchronous commits, and inspection.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { DataFrame, Row, Session } from '../../src/index.js';
import { CheckpointError, Trigger, col, count, inspectCheckpoint, lit, sum } from '../../src/index.js';
import { SimulatedClock } from 'xstate';
import { main as cli } from '../../src/daemon/cli.js';
import { expectedCounts } from '../support/sequence-source.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';
import { eventually, sortRows, testSession } from '../support/helpers.js';

const KEYS = 13;

interface Store {
  readonly name: string;
  location(): string;
  /** Replaces the bytes of one checkpoint file. */
  overwrite(location: string, path: string, data: Buffer | string): Promise<void>;
  /** Reads one checkpoint file. */
  read(location: string, path: string): Promise<Buffer>;
  cleanup(): Promise<void>;
}

const tmp: string[] = [];
const prefixes: string[] = [];
const redisKey = (location: string, path: string): { key: string; field: string } => {
  const prefix = location.replace(/^redis:\/\/[^/]+\/0\//, '');
  const i = path.lastIndexOf('/');
  const dir = i < 0 ? '' : path.slice(0, i);
  const m = /^state\/[^/]+\/(\d+)/.exec(dir);
  return { key: `{${prefix}${m ? `|${m[1]}` : ''}}:f:${dir}`, field: path.slice(i + 1) };
};
/**
 * Whether the query's state files are packed (one per store and version, see packed-state.ts):
 * in a local directory, written by one thread (worker threads write one file per partition).
 */
const packed = (store: Store): boolean => store.name === 'a local directory' && !process.env['SPATE_MASTER'];
const stores: Store[] = [
  {
    name: 'a local directory',
    location: () => {
      const d = mkdtempSync(join(tmpdir(), 'spate-cpq-'));
      tmp.push(d);
      return join(d, 'cp');
    },
    overwrite: async (location, path, data) => writeFileSync(join(location, path), data),
    read: async (location, path) => readFileSync(join(location, path)),
    cleanup: async () => { for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true }); },
  },
  {
    name: 'Redis',
    location: () => {
      const p = `cpq-${randomUUID()}`;
      prefixes.push(p);
      return `${process.env.REDIS_URL}/0/${p}`;
    },
    overwrite: async (location, path, data) => {
      const r = new Redis(process.env.REDIS_URL!);
      const { key, field } = redisKey(location, path);
      await r.hset(key, field, data);
      r.disconnect();
    },
    read: async (location, path) => {
      const r = new Redis(process.env.REDIS_URL!);
      const { key, field } = redisKey(location, path);
      const v = await r.hgetBuffer(key, field);
      r.disconnect();
      if (!v) throw new Error(`no ${path} in Redis`);
      return v;
    },
    cleanup: async () => { for (const p of prefixes.splice(0)) await deleteRedisPrefix(process.env.REDIS_URL!, p); },
  },
];

function counts(spark: Session, rows: number, perBatch = 50): DataFrame {
  return spark.readStream.format('sequence').option('rows', rows).option('keys', KEYS).option('maxRowsPerTrigger', perBatch).load()
    .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'));
}

function expected(n: number): Row[] {
  return sortRows(expectedCounts(n, KEYS));
}

let tables = 0;
async function run(spark: Session, df: DataFrame, location: string): Promise<{ rows: Row[]; query: ReturnType<DataFrame['writeStream']['start']> }> {
  const name = `t${tables++}`;
  const query = df.writeStream.format('memory').queryName(name).outputMode('complete').option('checkpointLocation', location).start();
  await query.processAllAvailable();
  await query.stop();
  return { rows: sortRows(await spark.table(name).collect()), query };
}

describe.each(stores)('queries checkpointed in $name', (store) => {
  afterEach(() => store.cleanup());

  it('a restarted query resumes from its last commit with its state', async () => {
    const location = store.location();
    const spark = testSession();
    expect((await run(spark, counts(spark, 400), location)).rows).toEqual(expected(400));
    const { rows, query } = await run(spark, counts(spark, 1000), location);
    expect(rows).toEqual(expected(1000));
    // Only the new rows were read: the second run started at epoch 8.
    expect(query.recentProgress[0]!.batchId).toBe(8);
    expect(query.recentProgress[0]!.sources[0]!.startOffset).toBe(400);
  });

  it('a second live run on the same checkpoint fails, naming the running one and what to do', async () => {
    const location = store.location();
    const spark = testSession();
    const first = counts(spark, 100_000, 10).writeStream.format('memory').queryName(`live_${tables++}`).outputMode('complete')
      .option('checkpointLocation', location).start();
    await new Promise<void>((resolve) => spark.streams.addListener({ onQueryProgress: () => resolve() }));
    const second = counts(spark, 100, 10).writeStream.format('memory').queryName(`live_${tables++}`).outputMode('complete')
      .option('checkpointLocation', location).start();
    await expect(second.awaitTermination()).rejects.toThrow(`is in use by run ${first.runId}`);
    const cause = second.exception()!.cause;
    expect(cause).toBeInstanceOf(CheckpointError);
    expect((cause as Error).message).toContain('two live runs cannot share a checkpoint; stop the other run, or use another checkpointLocation');
    expect(first.isActive).toBe(true);
    await first.stop();
    expect(first.exception()).toBeNull();
  });

  it('snapshots and retention keep the store bounded while every restart restores the right state', async () => {
    const location = store.location();
    const spark = testSession({
      'spate.sql.streaming.minBatchesToRetain': 4,
      'spate.sql.streaming.stateStore.minDeltasForSnapshot': 3,
      'spate.sql.streaming.stateStore.maintenanceInterval': 0,
    });
    // Maintenance runs in the background after each commit, and how far it gets before the
    // query stops depends on timing. Here each batch is triggered by a step of a simulated clock
    // and maintenance is let finish after it, so what the store keeps is exact.
    const clock = new SimulatedClock();
    const q = counts(spark, 1500, 50).writeStream.format('memory').queryName(`t${tables++}`).outputMode('complete')
      .option('checkpointLocation', location).trigger(Trigger.ProcessingTime(1000)).clock(clock).start();
    for (let batch = 0; batch < 30; batch++) {
      if (batch > 0) clock.increment(1000);
      await eventually(() => q.exception() !== null || q.recentProgress.some((p) => p.batchId === batch), `batch ${batch}`);
      expect(q.exception()).toBeNull();
      await q.engine.maintenanceIdle();
    }
    await q.stop();
    const inspection = await inspectCheckpoint(location);
    expect(inspection.epochs.lastCommitted).toBe(29);
    // The last 4 epochs' logs.
    expect(inspection.epochs.commits).toEqual([26, 27, 28, 29]);
    expect(inspection.epochs.offsets).toEqual([26, 27, 28, 29]);
    // A snapshot every 3 versions (3, 6, ..., 30). Rebuilding versions 27..30 needs the snapshot
    // of 27 and what follows; files of older versions are deleted. Per partition: 27.snapshot,
    // 30.snapshot and the deltas of 27 to 30.
    // Packed (a local directory, one thread): one file per version for every partition.
    const op = inspection.stateOperators[0]!;
    const perVersion = packed(store) ? 1 : op.partitions;
    expect(op.stores[0]).toMatchObject({ snapshots: perVersion * 2, deltas: perVersion * 4 });
    expect(op.files).toBe(perVersion * 6);
    expect(op.rows).toBe(KEYS);
    expect((await run(spark, counts(spark, 2000, 50), location)).rows).toEqual(expected(2000));
  });

  it('a truncated offset log file fails the query with a message naming the file', async () => {
    const location = store.location();
    const spark = testSession();
    await run(spark, counts(spark, 200), location);
    const original = await store.read(location, 'offsets/3');
    await store.overwrite(location, 'offsets/3', original.subarray(0, 5));
    const q = counts(spark, 400).writeStream.format('memory').queryName(`t${tables++}`).outputMode('complete').option('checkpointLocation', location).start();
    await expect(q.awaitTermination()).rejects.toThrow(`checkpoint file ${location}/offsets/3 is corrupt or truncated`);
    expect((q.exception()!.cause as Error).message).toMatch(/restore it from a backup or start the query with a new checkpointLocation/);
  });

  it('a corrupt state file fails the query with a message naming the file', async () => {
    const location = store.location();
    const spark = testSession();
    await run(spark, counts(spark, 200), location);
    const inspection = await inspectCheckpoint(location);
    const path = `state/aggregate-0/${packed(store) ? 'packed' : '0'}/default/${inspection.stateOperators[0]!.version}.delta`;
    const original = await store.read(location, path);
    await store.overwrite(location, path, original.subarray(0, Math.floor(original.length / 2)));
    const q = counts(spark, 400).writeStream.format('memory').queryName(`t${tables++}`).outputMode('complete').option('checkpointLocation', location).start();
    await expect(q.awaitTermination()).rejects.toThrow(`state file ${location}/${path} is corrupt or truncated`);
    expect(q.exception()!.cause).toBeInstanceOf(CheckpointError);
  });

  it('progress reports the state commit time and memory of each stateful operator', async () => {
    const location = store.location();
    const spark = testSession();
    const { query } = await run(spark, counts(spark, 5000, 1000), location);
    const op = query.lastProgress!.stateOperators[0]!;
    expect(op.numRowsTotal).toBe(KEYS);
    expect(op.commitTimeMs).toBeGreaterThanOrEqual(0);
    expect(query.recentProgress.some((p) => p.stateOperators[0]!.commitTimeMs > 0 || p.durationMs.commitOffsets! > 0)).toBe(true);
    // An estimate: more than the keys' characters, less than a kilobyte per row for these small rows.
    expect(op.memoryUsedBytes).toBeGreaterThan(KEYS * 20);
    expect(op.memoryUsedBytes).toBeLessThan(KEYS * 1024);
  });

  it('with asynchronous commits, everything processAllAvailable reported is committed and restores', async () => {
    const location = store.location();
    const spark = testSession({ 'spate.sql.streaming.asyncCheckpoint.enabled': true });
    const name = `t${tables++}`;
    const q = counts(spark, 600, 50).writeStream.format('memory').queryName(name).outputMode('complete').option('checkpointLocation', location).start();
    await q.processAllAvailable();
    // No stop yet: the commit of the last epoch is durable already.
    expect((await inspectCheckpoint(location)).epochs.lastCommitted).toBe(11);
    await q.stop();
    expect((await run(spark, counts(spark, 900, 50), location)).rows).toEqual(expected(900));
  });

  it('inspection reports epochs, offsets, watermark and state, and the CLI prints it', async () => {
    const location = store.location();
    const spark = testSession();
    await run(spark, counts(spark, 300, 100), location);
    const inspection = await inspectCheckpoint(location);
    expect(inspection).toMatchObject({
      location,
      conf: { 'spate.sql.shuffle.partitions': '3' },
      activeRun: null,
      epochs: { offsets: [0, 1, 2], commits: [0, 1, 2], lastCommitted: 2, uncommitted: [] },
      sources: [{ index: 0, format: 'sequence', committedOffset: 300 }],
      watermarkMs: 0,
    });
    expect(inspection.stateOperators).toEqual([expect.objectContaining({
      id: 'aggregate-0', kind: 'aggregate', version: 3, partitions: 3, rows: KEYS, files: expect.any(Number),
    })]);
    expect(inspection.stateOperators[0]!.bytes).toBeGreaterThan(0);
    expect(inspection.stateOperators[0]!.properties['grouping keys']).toBe('key: string');

    let out = '';
    expect(await cli(['checkpoint', 'inspect', location], { out: (t) => { out += t; }, err: (t) => { out += t; } })).toBe(0);
    expect(out).toContain(`Checkpoint ${location}`);
    expect(out).toMatch(/epochs\s+offsets 0-2 \(3 entries\), commits 0-2 \(3 entries\); last committed 2/);
    expect(out).toMatch(/0 sequence {2}committed 300/);
    expect(out).toMatch(/aggregate-0 \(aggregate\): 13 rows, .* in \d+ files, version 3, 3 partitions/);
    let json = '';
    expect(await cli(['checkpoint', 'inspect', location, '--json'], { out: (t) => { json += t; }, err: () => undefined })).toBe(0);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(inspection)));
  });
});

describe('the spate command', () => {
  it('says there is no checkpoint at a location without one, and exits 1', async () => {
    let err = '';
    const dir = mkdtempSync(join(tmpdir(), 'spate-cli-'));
    try {
      expect(await cli(['checkpoint', 'inspect', join(dir, 'none')], { out: () => undefined, err: (t) => { err += t; } })).toBe(1);
      expect(err).toContain(`there is no checkpoint at ${join(dir, 'none')}`);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints its usage for an unknown command, and exits 2', async () => {
    let err = '';
    expect(await cli(['checkpoint', 'explode', 'x'], { out: () => undefined, err: (t) => { err += t; } })).toBe(2);
    expect(err).toBe("error: unknown command 'explode'\n(run spate --help for usage)\n");
  });
});
