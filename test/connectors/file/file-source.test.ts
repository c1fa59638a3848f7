import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Trigger, col, explode, split, types as T } from '../../../src/index.js';
import type { Row, StreamingQuery } from '../../../src/index.js';
import { sortRows, testSession } from '../../support/helpers.js';
import type { TempDir } from './support.js';
import { tempDir } from './support.js';

let dir: TempDir;
beforeEach(async () => { dir = await tempDir(); });
afterEach(async () => { await dir.remove(); });

const schema = T.struct([T.field('name', T.string()), T.field('amount', T.integer())]);

async function tenJsonFiles(): Promise<void> {
  for (let i = 0; i < 10; i++) await dir.file(`in/f${i}.json`, `{"name":"n${i}","amount":${i}}\n`, 100 - i * 0 + i);
}

function collectBatches(q: { recentProgress: { batchId: number; numInputRows: number }[] }): number[] {
  return q.recentProgress.map((p) => p.numInputRows);
}

describe('the file source', () => {
  it('reads ten files one per batch under AvailableNow, then the query ends, and archives each committed file', async () => {
    await tenJsonFiles();
    const spark = testSession();
    const seen: { batchId: number; rows: Row[] }[] = [];
    const progress: unknown[] = [];
    const q: StreamingQuery = spark.readStream.format('json').schema(schema)
      .option('maxFilesPerTrigger', 1).option('cleanSource', 'archive').option('sourceArchiveDir', dir.path('archive'))
      .load(dir.path('in'))
      .writeStream.trigger(Trigger.AvailableNow())
      .option('checkpointLocation', dir.path('cp'))
      .foreachBatch(async (b, id) => {
        seen.push({ batchId: id, rows: await b.collect() });
        progress.push(q.engine.availableNowProgress());
      })
      .start();
    await q.awaitTermination();
    expect(seen.map((s) => s.batchId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(progress[0]).toEqual({ done: 1, total: 10, unit: 'files' });
    expect(progress[9]).toEqual({ done: 10, total: 10, unit: 'files' });
    // Oldest first: file i has modification time 100 + i.
    expect(seen.map((s) => s.rows)).toEqual(Array.from({ length: 10 }, (_, i) => [{ name: `n${i}`, amount: i }]));
    expect(collectBatches(q)).toEqual(Array(10).fill(1));
    expect(q.isActive).toBe(false);
    expect((await readdir(dir.path('in'))).sort()).toEqual([]);
    expect((await readdir(dir.path('archive'))).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `f${i}.json`).sort());
  });

  it('takes files up to maxBytesPerTrigger per batch, and at least one file', async () => {
    await tenJsonFiles(); // 24 or 25 bytes each
    await dir.file('in/big.json', `${'{"name":"big","amount":1}\n'.repeat(10)}`, 200);
    const spark = testSession();
    const q = spark.readStream.format('json').schema(schema).option('maxBytesPerTrigger', 60).load(dir.path('in'))
      .writeStream.format('memory').queryName('by_bytes').trigger(Trigger.AvailableNow()).option('checkpointLocation', dir.path('cp')).start();
    await q.awaitTermination();
    expect(collectBatches(q)).toEqual([2, 2, 2, 2, 2, 10]);
  });

  it('takes new files on later triggers, newest first with latestFirst, and never a file twice', async () => {
    await dir.file('in/a.json', '{"name":"a","amount":1}\n', 10);
    await dir.file('in/b.json', '{"name":"b","amount":2}\n', 20);
    const spark = testSession();
    const q = spark.readStream.format('json').schema(schema).option('latestFirst', true).option('maxFilesPerTrigger', 1)
      .load(dir.path('in'))
      .writeStream.format('memory').queryName('latest_first').option('checkpointLocation', dir.path('cp')).start();
    await q.processAllAvailable();
    await dir.file('in/c.json', '{"name":"c","amount":3}\n', 30);
    await q.processAllAvailable();
    await q.stop();
    expect((await spark.table('latest_first').collect()).map((r) => r['name'])).toEqual(['b', 'a', 'c']);
  });

  it('reads a glob, with partition columns filled from k=v folders', async () => {
    await dir.file('in/day=1/x.csv', 'a,1\nb,2\n', 1);
    await dir.file('in/day=2/y.csv', 'c,3\n', 2);
    await dir.file('in/skip/z.csv', 'z,9\n', 3);
    const spark = testSession();
    const q = spark.readStream.format('csv').schema('name STRING, amount INT, day INT').load(dir.path('in', 'day=*'))
      .writeStream.format('memory').queryName('globbed').option('checkpointLocation', dir.path('cp')).start();
    await q.processAllAvailable();
    await q.stop();
    expect(sortRows(await spark.table('globbed').collect())).toEqual(sortRows([
      { name: 'a', amount: 1, day: 1 }, { name: 'b', amount: 2, day: 1 }, { name: 'c', amount: 3, day: 2 },
    ]));
  });

  it('ignores files older than maxFileAge relative to the newest file, and dedups by name with fileNameOnly', async () => {
    await dir.file('in/old.json', '{"name":"old","amount":1}\n', 0);
    await dir.file('in/new.json', '{"name":"new","amount":2}\n', 3600);
    const spark = testSession();
    const q = spark.readStream.format('json').schema(schema).option('maxFileAge', '10 minutes').option('fileNameOnly', true)
      .load(dir.path('in', '*'))
      .writeStream.format('memory').queryName('aged').option('checkpointLocation', dir.path('cp')).start();
    await q.processAllAvailable();
    // The first listing takes everything; later an older file and a same-named file in another folder are not new.
    await dir.file('in/older.json', '{"name":"older","amount":3}\n', 60);
    await dir.file('in/sub/new.json', '{"name":"renamed","amount":4}\n', 3700);
    await dir.file('in/newer.json', '{"name":"newer","amount":5}\n', 3800);
    await q.processAllAvailable();
    await q.stop();
    expect((await spark.table('aged').collect()).map((r) => r['name']).sort()).toEqual(['new', 'newer', 'old']);
  });

  it('drops malformed JSON lines and counts them with DROPMALFORMED, keeps them (and the fields that fit) with PERMISSIVE', async () => {
    await dir.file('in/a.json', '{"name":"ok","amount":1}\nnot json\n{"name":"bad","amount":"x"}\n', 1);
    const spark = testSession();
    const dropped = spark.readStream.format('json').schema(schema).option('mode', 'DROPMALFORMED').load(dir.path('in'))
      .writeStream.format('memory').queryName('dropped').option('checkpointLocation', dir.path('cp1')).start();
    await dropped.processAllAvailable();
    await dropped.stop();
    expect(await spark.table('dropped').collect()).toEqual([{ name: 'ok', amount: 1 }]);
    expect(dropped.lastProgress?.numMalformedRowsDropped).toBe(2);

    const permissive = spark.readStream.format('json').schema('name STRING, amount INT, _corrupt_record STRING').load(dir.path('in'))
      .writeStream.format('memory').queryName('permissive').option('checkpointLocation', dir.path('cp2')).start();
    await permissive.processAllAvailable();
    await permissive.stop();
    expect(await spark.table('permissive').collect()).toEqual([
      { name: 'ok', amount: 1, _corrupt_record: null },
      { name: null, amount: null, _corrupt_record: 'not json' },
      { name: 'bad', amount: null, _corrupt_record: '{"name":"bad","amount":"x"}' },
    ]);
  });

  it('fails the query with FAILFAST, naming the file and the line of the bad record', async () => {
    const bad = await dir.file('in/a.csv', 'a,1\nb,two\n', 1);
    const spark = testSession();
    const q = spark.readStream.format('csv').schema(schema).option('mode', 'FAILFAST').load(dir.path('in'))
      .writeStream.format('memory').queryName('failfast').option('checkpointLocation', dir.path('cp')).start();
    await expect(q.awaitTermination()).rejects.toThrow(`malformed record in file ${bad}, line 2: 'two' is not a valid int for column amount`);
  });

  it('reads quoted CSV fields with separators, quotes and, with multiLine, line breaks, skipping a header', async () => {
    await dir.file('in/a.csv', 'name,amount\n"x, ""quoted""\nline",5\n"",\n', 1);
    const spark = testSession();
    const q = spark.readStream.format('csv').schema(schema).option('header', true).option('multiLine', true).load(dir.path('in'))
      .writeStream.format('memory').queryName('quoted').option('checkpointLocation', dir.path('cp')).start();
    await q.processAllAvailable();
    await q.stop();
    expect(await spark.table('quoted').collect()).toEqual([{ name: 'x, "quoted"\nline', amount: 5 }, { name: '', amount: null }]);
  });

  it('counts words in text files with the notes\' word count', async () => {
    await dir.file('in/1.txt', 'hello spark streaming\n', 1);
    await dir.file('in/2.txt', 'hello spark programming\n', 2);
    const spark = testSession();
    const q = spark.readStream.format('text').option('maxFilesPerTrigger', 1).load(dir.path('in'))
      .select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count()
      .writeStream.format('memory').queryName('file_wc').outputMode('complete').trigger(Trigger.AvailableNow())
      .option('checkpointLocation', dir.path('cp')).start();
    await q.awaitTermination();
    expect(q.recentProgress.length).toBe(2);
    expect(sortRows(await spark.table('file_wc').collect())).toEqual(sortRows([
      { word: 'hello', count: 2 }, { word: 'spark', count: 2 }, { word: 'streaming', count: 1 }, { word: 'programming', count: 1 },
    ]));
  });

  it('refuses a folder that does not exist when the frame is defined, naming it, as Spark\'s DataSource', () => {
    const spark = testSession();
    const missing = dir.path('nowhere');
    expect(() => spark.readStream.format('text').load(missing)).toThrow(`Path does not exist: ${missing}. Create it before reading it, or set option('waitForPath', true)`);
    expect(() => spark.read.format('text').load(missing)).toThrow(`Path does not exist: ${missing}. Create it before reading it`);
    // A glob may match nothing yet: not checked (nor in Spark).
    expect(() => spark.readStream.format('text').load(join(missing, '*.txt'))).not.toThrow();
  });

  it('with waitForPath, starts without the folder and reads it once it appears', async () => {
    const spark = testSession();
    const q = spark.readStream.format('text').option('waitForPath', true).load(dir.path('later'))
      .writeStream.format('memory').queryName('waited').start();
    await q.processAllAvailable();
    expect(await spark.table('waited').collect()).toEqual([]);
    await mkdir(dir.path('later'));
    await writeFile(dir.path('later', 'a.txt'), 'hello\n');
    await q.processAllAvailable();
    await q.stop();
    expect(await spark.table('waited').collect()).toEqual([{ value: 'hello' }]);
  });

  it('requires a schema for json and csv, refuses archive without a folder or with a folder inside the source', async () => {
    await mkdir(dir.path('in'), { recursive: true });
    const spark = testSession();
    expect(() => spark.readStream.format('json').load(dir.path('in'))).toThrow(/Schema must be specified when creating a streaming source DataFrame/);
    expect(() => spark.readStream.format('csv').load(dir.path('in'))).toThrow(/Schema must be specified/);
    expect(() => spark.readStream.format('text').option('cleanSource', 'archive').load(dir.path('in')).writeStream.format('console').start())
      .toThrow("Archive mode must be used with 'sourceArchiveDir' option.");
    expect(() => spark.readStream.format('text').option('cleanSource', 'archive').option('sourceArchiveDir', dir.path('in', 'archive'))
      .load(dir.path('in')).writeStream.format('console').start()).toThrow(/lies inside the source path/);
  });

  it('replays a batch whose commit was lost with exactly the files it logged, and never writes its output twice', async () => {
    await tenJsonFiles();
    const spark = testSession();
    const run = (): StreamingQuery => spark.readStream.format('json').schema(schema)
      .option('maxFilesPerTrigger', 3).option('cleanSource', 'archive').option('sourceArchiveDir', dir.path('archive'))
      .load(dir.path('in'))
      .writeStream.format('json').trigger(Trigger.AvailableNow())
      .option('checkpointLocation', dir.path('cp')).start(dir.path('out'));
    await run().awaitTermination();
    // The disk as a crash would leave it after the sink committed batch 3 (files and manifest)
    // but before the checkpoint's commits/3: no commit marker, batch 3's files not yet archived.
    await rm(join(dir.path('cp'), 'commits', '3'));
    for (const f of ['f9.json']) await rename(dir.path('archive', f), dir.path('in', f));
    // A file that arrives meanwhile belongs to a later batch.
    await dir.file('in/late.json', '{"name":"late","amount":99}\n', 500);
    const q = run();
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => [p.batchId, p.numInputRows])).toEqual([[3, 1], [4, 1]]);
    expect(q.recentProgress[0]!.sink.numOutputRows).toBe(0);
    const out = await spark.read.format('json').schema(schema).load(dir.path('out')).collect();
    expect(sortRows(out)).toEqual(sortRows([
      ...Array.from({ length: 10 }, (_, i) => ({ name: `n${i}`, amount: i })), { name: 'late', amount: 99 },
    ]));
    expect((await readdir(dir.path('in')))).toEqual([]);
  });

  it('replays a batch that crashed before its manifest entry: orphan part files are never read', async () => {
    await tenJsonFiles();
    const spark = testSession();
    const run = (): StreamingQuery => spark.readStream.format('json').schema(schema).option('maxFilesPerTrigger', 5)
      .load(dir.path('in'))
      .writeStream.format('json').trigger(Trigger.AvailableNow()).option('checkpointLocation', dir.path('cp')).start(dir.path('out'));
    await run().awaitTermination();
    await rm(join(dir.path('cp'), 'commits', '1'));
    await rm(join(dir.path('out'), '_spate_metadata', '1'));
    const q = run();
    await q.awaitTermination();
    expect(q.recentProgress.map((p) => [p.batchId, p.numInputRows, p.sink.numOutputRows])).toEqual([[1, 5, 5]]);
    const parts = (await readdir(dir.path('out'))).filter((n) => n.startsWith('part-00001'));
    expect(parts.length).toBe(2); // the orphan of the first attempt and the committed one
    const out = await spark.read.format('json').schema(schema).load(dir.path('out')).collect();
    expect(sortRows(out)).toEqual(sortRows(Array.from({ length: 10 }, (_, i) => ({ name: `n${i}`, amount: i }))));
  });
});

