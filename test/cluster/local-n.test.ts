// master('local[N]'): one query's stages on N worker threads give the one-thread results, the
// plan shows where each part runs, sources are read and sinks written by the threads where they
// can be, progress reports each thread's share, a checkpoint resumes under any N, and a thread
// that throws or dies is recovered from the last commit with nothing lost or doubled.
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from '../../src/index.js';
import { MemoryStream, Session, callFunction, col, count, lit, sum, window, types as T } from '../../src/index.js';
import { ManifestLog } from '../../src/connectors/file/manifest.js';
import { record } from '../support/batches.js';
import { sortRows } from '../support/helpers.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';
import '../support/worker-functions.js';
import type { TempDir } from '../connectors/file/support.js';
import { tempDir } from '../connectors/file/support.js';

const session = (master: string, conf: Record<string, string | number> = {}): Session => {
  const b = Session.builder().master(master).config('spate.sql.shuffle.partitions', 8);
  for (const [k, v] of Object.entries(conf)) b.config(k, v);
  return b.create();
};

const trades = T.struct([T.field('ts', T.timestamp()), T.field('broker', T.string()), T.field('amount', T.long())]);
const at = (minute: number): Date => new Date(Date.UTC(2019, 1, 5, 10, minute));

type Trade = { ts: Date; broker: string; amount: number };

function tradeRows(from: number, n: number): Trade[] {
  return Array.from({ length: n }, (_, i) => ({ ts: at((from + i) % 50), broker: `B${(from + i) % 7}`, amount: (from + i) % 100 }));
}

describe("master('local[N]')", () => {
  let dir: TempDir;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.remove(); });

  it('explain() names the exchange, the partial aggregation and what stays on the driver and why', () => {
    const spark = session('local[2]');
    const input = new MemoryStream(spark, trades);
    const windows = input.toDF().withWatermark('ts', '10 minutes').groupBy(window(col('ts'), '5 minutes'), col('broker')).agg(sum('amount').alias('total'));
    expect(windows.explain({ mode: 'physical', outputMode: 'append' })).toBe([
      '== Physical Plan (master local[2]: 2 worker threads, 8 key groups) ==',
      'Gather [region 0: 2 threads → driver]',
      '+- *(2 threads) StateStoreSave [window, broker], aggregates [sum]',
      '   +- Exchange hashpartitioning(window, broker), 8 key groups',
      '      +- *(2 threads) PartialAggregate (map-side combine)',
      '         +- *(2 threads) EventTimeWatermark ts, 600000 ms',
      '            +- Scatter roundrobin [driver → 2 threads]',
      '               +- *(driver: reads a memory source object held by the driver) StreamingSource memory',
      '',
    ].join('\n'));
    const mapped = input.toDF().map((r) => r, trades).groupBy('broker').count();
    expect(mapped.explain()).toContain('*(driver: holds a user closure (map function), which cannot leave the driver thread) Map [user function]');
    expect(session('local').conf.get('spate.master')).toBe('local');
    expect(input.toDF().groupBy('broker').count().explain()).toContain('Exchange hashpartitioning(broker)');
  });

  it('refuses a master it cannot run, naming the ones it can', () => {
    expect(() => Session.builder().master('spark://host:7077')).toThrow(/unknown master 'spark:\/\/host:7077': spate runs 'local'.*'local\[N\]'/);
    expect(() => Session.builder().master('local[0]')).toThrow(/give 1 to 256/);
  });

  it('reads a file source on the threads and writes the file sink from them: the same files as one thread, in part files per thread', async () => {
    for (let f = 0; f < 6; f++) {
      await dir.file(`in/trades-${f}.json`, tradeRows(f * 40, 40).map((r) => JSON.stringify({ ...r, ts: (r['ts'] as Date).toISOString() })).join('\n'), f);
    }
    const run = async (master: string, name: string): Promise<{ rows: Row[]; files: string[]; progress: Session['streams']['active'][number]['lastProgress'] }> => {
      const spark = session(master);
      const q = spark.readStream.format('json').schema(trades).option('maxFilesPerTrigger', 2).load(dir.path('in'))
        .withWatermark('ts', '5 minutes')
        .groupBy(window(col('ts'), '10 minutes'), col('broker')).agg(sum('amount').alias('total'), count(lit(1)).alias('n'))
        .select(col('window.start').alias('start'), 'broker', 'total', 'n')
        .writeStream.format('json').outputMode('append')
        .option('checkpointLocation', dir.path(`cp-${name}`)).trigger({ kind: 'availableNow' }).start(dir.path(`out-${name}`));
      await q.awaitTermination();
      const manifest = new ManifestLog(dir.path(`out-${name}`));
      const files = (await manifest.allEntries()).map((e) => e.path);
      const { readFile } = await import('node:fs/promises');
      const rows: Row[] = [];
      for (const f of files) for (const line of (await readFile(dir.path(`out-${name}`, f), 'utf8')).split('\n')) if (line) rows.push(JSON.parse(line) as Row);
      return { rows: sortRows(rows), files, progress: q.lastProgress };
    };
    const one = await run('local', 'one');
    const two = await run('local[2]', 'two');
    expect(two.rows).toEqual(one.rows);
    expect(one.rows.length).toBeGreaterThan(0);
    expect(two.files.every((f) => /^part-t[01]-/.test(f))).toBe(true);
    const written = readdirSync(dir.path('out-two')).filter((f) => f.startsWith('part-'));
    expect(written.sort()).toEqual([...two.files].sort());
  });

  it('reports each thread\'s share of a batch and the bytes that crossed between threads', async () => {
    const spark = session('local[2]');
    const input = new MemoryStream(spark, trades);
    const run = record(input.toDF().groupBy('broker').agg(sum('amount').alias('total')), 'complete');
    input.addData(tradeRows(0, 700));
    await run.query.processAllAvailable();
    const p = run.query.lastProgress!;
    await run.query.stop();
    expect(p.parallelism).toMatchObject({ master: 'local[2]', threads: 2, onDriver: ['StreamingSource memory: reads a memory source object held by the driver'] });
    expect(p.parallelism!.tasks.map((t) => t.thread)).toEqual([0, 1]);
    expect(p.parallelism!.tasks.reduce((n, t) => n + t.rowsIn, 0)).toBe(700);
    expect(p.parallelism!.tasks.reduce((n, t) => n + t.stateRows, 0)).toBe(7);
    expect(p.stateOperators[0]!.numRowsTotal).toBe(7);
    expect(p.parallelism!.exchange.rows).toBeGreaterThanOrEqual(700 + 7);
    expect(p.parallelism!.exchange.bytesPerRow).toBeGreaterThan(0);
    expect(run.query.status.parallelism?.threads).toBe(2);
    expect(run.rowsOf(0)).toHaveLength(7);
  });

  for (const store of ['local', 'redis'] as const) {
    it(`resumes a checkpoint written under local[1] under local[4], then under local[2], exactly (${store} store)`, async () => {
      const prefix = `local-n-${randomUUID()}`;
      const location = store === 'local' ? dir.path('cp') : `${process.env.REDIS_URL}/0/${prefix}`;
      const feed = [tradeRows(0, 300), tradeRows(300, 300), tradeRows(600, 300), tradeRows(900, 300)];
      const expected = await runLives([['local', [feed[0]!, feed[1]!, feed[2]!, feed[3]!]]], dir.path('cp-reference'));
      try {
        const lives = await runLives([['local', [feed[0]!]], ['local[4]', [feed[1]!, feed[2]!]], ['local[2]', [feed[3]!]]], location);
        expect(lives).toEqual(expected);
      } finally {
        if (store === 'redis') await deleteRedisPrefix(process.env.REDIS_URL!, prefix);
      }
    });
  }

  it('fails the query when a worker thread throws, with the thread\'s error as the cause', async () => {
    const spark = session('local[2]', { 'spate.worker.imports': WORKER_FUNCTIONS });
    const input = new MemoryStream(spark, T.struct([T.field('word', T.string())]));
    const q = input.toDF().select(callFunction('fail_once_per_thread', col('word')).alias('word')).groupBy('word').count()
      .writeStream.outputMode('update').format('memory').queryName('failing').start();
    input.addData([{ word: 'boom-never' }]);
    await expect(q.processAllAvailable()).rejects.toThrow(/worker thread \d+ fails on purpose at 'boom-never'/);
    expect((q.exception()!.cause as Error).message).toMatch(/fails on purpose/);
  });

  it('recovers from a worker thread that throws mid-epoch, from the last commit, losing and repeating nothing', async () => {
    expect(await restartingRun('fail_once_per_thread', 'boom-restart')).toEqual(expectedCounts('boom-restart'));
  });

  it('recovers from a worker thread that dies mid-epoch, on a fresh thread', async () => {
    expect(await restartingRun('exit_once', 'exit-restart')).toEqual(expectedCounts('exit-restart'));
  });
});

/**
 * Runs the windowed sums over `lives`: each life a run of the query under a master, on the
 * same checkpoint, fed its batches one at a time; returns every epoch's sorted output.
 */
async function runLives(lives: readonly (readonly [string, readonly Trade[][]])[], checkpointLocation: string): Promise<Row[][]> {
  const out: Row[][] = [];
  const spark = session('local');
  const input = new MemoryStream(spark, trades);
  const windows = input.toDF().withWatermark('ts', '5 minutes').groupBy(window(col('ts'), '10 minutes'), col('broker')).agg(sum('amount').alias('total'));
  for (const [master, batches] of lives) {
    spark.conf.set('spate.master', master);
    const q = record(windows, 'update', (w) => w.option('checkpointLocation', checkpointLocation));
    for (const b of batches) {
      input.addData(b);
      await q.query.processAllAvailable();
    }
    await q.query.stop();
    if (q.query.exception()) throw q.query.exception();
    for (const b of q.batches) out[b.batchId] = sortRows(b.rows);
  }
  return out;
}

const WORKER_FUNCTIONS = join(__dirname, '../support/worker-functions.ts');

/**
 * A word count whose chain calls a registered function that fails once per thread on `trigger`,
 * restarting on failure; returns the final count of every word (the last row of each over the
 * batches, whose ids must each come once).
 */
async function restartingRun(fn: string, trigger: string): Promise<Row[]> {
  const spark = session('local[2]', { 'spate.worker.imports': WORKER_FUNCTIONS });
  const input = new MemoryStream(spark, T.struct([T.field('word', T.string())]));
  const run = record(input.toDF().select(callFunction(fn, col('word')).alias('word')).groupBy('word').count(), 'update',
    (w) => w.restartPolicy({ type: 'onFailure', retries: 5, intervalMs: 0 }));
  input.addData(['a', 'b', 'a', 'c'].map((word) => ({ word })));
  await run.query.processAllAvailable();
  input.addData([trigger, 'a', trigger, 'b'].map((word) => ({ word })));
  await run.query.processAllAvailable();
  input.addData([{ word: 'c' }]);
  await run.query.processAllAvailable();
  await run.query.stop();
  expect(run.query.exception()).toBeNull();
  const ids = run.batches.map((b) => b.batchId);
  expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
  const latest = new Map<string, Row>();
  for (const b of run.batches) for (const r of b.rows) latest.set(String(r['word']), r);
  return sortRows([...latest.values()]);
}

function expectedCounts(trigger: string): Row[] {
  return sortRows([{ word: 'a', count: 3 }, { word: 'b', count: 2 }, { word: 'c', count: 2 }, { word: trigger, count: 2 }]);
}
