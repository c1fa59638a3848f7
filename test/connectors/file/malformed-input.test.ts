// Bad input in files: every malformed record is null (PERMISSIVE), dropped and counted
// (DROPMALFORMED) or a FAILFAST error naming the file and line, and never crashes the query.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsPromises, { mkdir, rm, writeFile } from 'node:fs/promises';
import { col, count, lit, window } from '../../../src/index.js';
import type { Row, Session, StreamingQuery } from '../../../src/index.js';
import { testSession } from '../../support/helpers.js';
import type { TempDir } from './support.js';
import { tempDir } from './support.js';

let dir: TempDir;
beforeEach(async () => { dir = await tempDir(); });
afterEach(async () => { await dir.remove(); });

/** Progress of every batch, summed: rows dropped as malformed. */
const droppedIn = (q: { recentProgress: readonly { numMalformedRowsDropped: number }[] }): number =>
  q.recentProgress.reduce((n, p) => n + p.numMalformedRowsDropped, 0);

describe('malformed input in files', () => {
  it('drop and count a JSON record whose timestamp is out of range, in a windowed count, and run again after a restart', async () => {
    const file = await dir.file('in/a.json', '{"ts": 1700000000, "n": 1}\n{"ts": 99999999999999, "n": 2}\n{"ts": "2024-01-01 00:00:00", "n": 3}\n', 1);
    const spark = testSession();
    const run = (mode: string, name: string) => spark.readStream.format('json').schema('ts TIMESTAMP, n INT').option('mode', mode).load(dir.path('in'))
      .withWatermark('ts', '1 minute').groupBy(window(col('ts'), '1 hour')).agg(count(lit(1)).alias('c'))
      .select(col('window.start').alias('start'), col('c'))
      .writeStream.format('memory').queryName(name).outputMode('update').option('checkpointLocation', dir.path(`cp-${name}`)).start();

    for (const attempt of [1, 2]) {
      const q = run('DROPMALFORMED', `dropped${attempt}`);
      await q.processAllAvailable();
      await q.stop();
      if (attempt === 1) {
        expect((await spark.table('dropped1').collect()).map((r) => r['c'])).toEqual([1, 1]);
        expect(droppedIn(q)).toBe(1);
      }
    }
    const permissive = run('PERMISSIVE', 'permissive');
    await permissive.processAllAvailable();
    await permissive.stop();
    expect((await spark.table('permissive').collect()).length).toBe(2); // the bad record has no time, so no window

    const failfast = run('FAILFAST', 'failfast');
    await expect(failfast.awaitTermination()).rejects.toThrow(`malformed record in file ${file}, line 2: from_json() met a malformed record (field ts: a timestamp expected, got the number 99999999999999, which is out of range`);
  });

  /** Runs a streaming read of folder `in` to a memory table; the rows, the query and its progress. */
  async function readAll(spark: Session, format: string, schema: string | null, options: Record<string, string | number | boolean>, name: string): Promise<{ rows: Row[]; q: StreamingQuery }> {
    let reader = spark.readStream.format(format);
    if (schema) reader = reader.schema(schema);
    for (const [k, v] of Object.entries(options)) reader = reader.option(k, v);
    const q = reader.load(dir.path('in')).writeStream.format('memory').queryName(name).option('checkpointLocation', dir.path(`cp-${name}`)).start();
    await q.processAllAvailable();
    await q.stop();
    return { rows: await spark.table(name).collect(), q };
  }

  it('confine a stray CSV quote to its own record, which is malformed, instead of folding the rest of the file into one field', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => (i === 10 ? 'k10,"1' : `k${i},${i}`));
    const file = await dir.file('in/a.csv', `${lines.join('\n')}\n`, 1);
    const spark = testSession();
    const dropped = await readAll(spark, 'csv', 'k STRING, v INT', { mode: 'DROPMALFORMED' }, 'stray_drop');
    expect(dropped.rows.length).toBe(999);
    expect(droppedIn(dropped.q)).toBe(1);
    const permissive = await readAll(spark, 'csv', 'k STRING, v INT, _corrupt_record STRING', {}, 'stray_keep');
    expect(permissive.rows[10]).toEqual({ k: 'k10', v: 1, _corrupt_record: 'k10,"1' });
    expect(permissive.rows[11]).toEqual({ k: 'k11', v: 11, _corrupt_record: null });
    const failfast = await readAll(spark, 'csv', 'k STRING, v INT', { mode: 'FAILFAST' }, 'stray_fail').catch((e: Error) => e);
    expect(String(failfast)).toContain(`malformed record in file ${file}, line 11: a quoted field is not closed before the end of the line`);
  });

  it('treat text after a closing quote, an unterminated quote at the end and a wrong number of fields as malformed CSV records', async () => {
    await dir.file('in/a.csv', 'a,1\n"b"c,2\nd\ne,3,extra\n"f",4\n"g,5', 1);
    const spark = testSession();
    const permissive = await readAll(spark, 'csv', 'k STRING, v INT, _corrupt_record STRING', {}, 'fields_keep');
    expect(permissive.rows).toEqual([
      { k: 'a', v: 1, _corrupt_record: null },
      { k: 'b', v: 2, _corrupt_record: '"b"c,2' },
      { k: 'd', v: null, _corrupt_record: 'd' },
      { k: 'e', v: 3, _corrupt_record: 'e,3,extra' },
      { k: 'f', v: 4, _corrupt_record: null },
      { k: 'g,5', v: null, _corrupt_record: '"g,5' },
    ]);
    const dropped = await readAll(spark, 'csv', 'k STRING, v INT', { mode: 'DROPMALFORMED' }, 'fields_drop');
    expect(dropped.rows).toEqual([{ k: 'a', v: 1 }, { k: 'f', v: 4 }]);
    expect(droppedIn(dropped.q)).toBe(4);
    const multiLine = await readAll(spark, 'csv', 'k STRING, v INT', { mode: 'DROPMALFORMED', multiLine: true }, 'fields_multiline');
    expect(multiLine.rows).toEqual([{ k: 'a', v: 1 }, { k: 'f', v: 4 }]);
  });

  it('make lines and records beyond maxLineBytes and maxRecordBytes malformed, keeping their start for the corrupt column', async () => {
    const long = 'x'.repeat(5000);
    const json = await dir.file('in/a.json', `{"v":"a"}\n{"v":"${long}"}\n{"v":"b"}\n`, 1);
    const spark = testSession();
    const kept = await readAll(spark, 'json', 'v STRING, _corrupt_record STRING', { maxLineBytes: 1000 }, 'long_json');
    expect(kept.rows).toEqual([
      { v: 'a', _corrupt_record: null }, { v: null, _corrupt_record: `{"v":"${long}`.slice(0, 1000) }, { v: 'b', _corrupt_record: null },
    ]);
    const failfast = await readAll(spark, 'json', 'v STRING', { maxLineBytes: 1000, mode: 'FAILFAST' }, 'long_json_fail').catch((e: Error) => e);
    expect(String(failfast)).toContain(`malformed record in file ${json}, line 2: it is longer than maxLineBytes (1000 bytes)`);
    await rm(json);
    await dir.file('in/b.csv', `a,1\nb,"${long}"\nc,3\n`, 2);
    const csv = await readAll(spark, 'csv', 'k STRING, v STRING', { maxRecordBytes: 1000, mode: 'DROPMALFORMED' }, 'long_csv');
    expect(csv.rows).toEqual([{ k: 'a', v: '1' }, { k: 'c', v: '3' }]);
    expect(droppedIn(csv.q)).toBe(1);
  });

  it('read a 30 MB CSV field beyond maxRecordBytes in a process with a 64 MB heap', async () => {
    await writeFile(dir.path('big.csv'), `a,"${'x'.repeat(30 << 20)}"\nb,c\n`);
    const script = `
      import { Session } from './src/index.js';
      const spark = Session.builder().create();
      const rows = await spark.read.format('csv').schema('k STRING, v STRING').option('maxRecordBytes', 1 << 20).load(${JSON.stringify(dir.path('big.csv'))}).collect();
      console.log(JSON.stringify(rows));`;
    const run = spawnSync(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 120_000 });
    expect({ status: run.status, stderr: run.status === 0 ? '' : run.stderr.slice(-300) }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual([{ k: null, v: null }, { k: 'b', v: 'c' }]);
  });

  it('make invalid UTF-8 malformed in FAILFAST and DROPMALFORMED, and count it where PERMISSIVE keeps it; drop a UTF-8 BOM', async () => {
    const bad = Buffer.concat([Buffer.from('{"v":"ok"}\n{"v":"b'), Buffer.from([0xff, 0xfe]), Buffer.from('d"}\n{"v":"last"}\n')]);
    const file = dir.path('in', 'a.json');
    await mkdir(dir.path('in'), { recursive: true });
    await writeFile(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bad]));
    const spark = testSession();
    const kept = await readAll(spark, 'json', 'v STRING', {}, 'utf8_keep');
    expect(kept.rows).toEqual([{ v: 'ok' }, { v: 'b\uFFFD\uFFFDd' }, { v: 'last' }]);
    expect(kept.q.recentProgress[0]!.sources[0]!.metrics).toEqual({ numInvalidUtf8Records: '1' });
    const dropped = await readAll(spark, 'json', 'v STRING', { mode: 'DROPMALFORMED' }, 'utf8_drop');
    expect(dropped.rows).toEqual([{ v: 'ok' }, { v: 'last' }]);
    expect(droppedIn(dropped.q)).toBe(1);
    const failfast = await readAll(spark, 'json', 'v STRING', { mode: 'FAILFAST' }, 'utf8_fail').catch((e: Error) => e);
    expect(String(failfast)).toContain(`malformed record in file ${file}, line 2: it is not valid UTF-8`);
    const text = await readAll(spark, 'text', null, { mode: 'DROPMALFORMED' }, 'utf8_text');
    expect(text.rows).toEqual([{ value: '{"v":"ok"}' }, { value: '{"v":"last"}' }]);
  });

  /** Runs `swap` on `path` right before the reader opens it (as if another process got there first). */
  function beforeOpening(path: string, swap: () => void): jest.SpyInstance {
    const real = fs.createReadStream;
    let done = false;
    return jest.spyOn(fs, 'createReadStream').mockImplementation(((p: string, o: never) => {
      if (p === path && !done) { done = true; swap(); }
      return real(p, o);
    }) as typeof fs.createReadStream);
  }

  it('skip and count a file removed between listing and reading, with a warning', async () => {
    await dir.file('in/a.json', '{"v":"a"}\n', 1);
    const gone = await dir.file('in/b.json', '{"v":"b"}\n', 2);
    const spark = testSession();
    const warnings: string[] = [];
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation((w) => { warnings.push(String(w)); });
    const open = beforeOpening(gone, () => fs.rmSync(gone));
    try {
      const { rows, q } = await readAll(spark, 'json', 'v STRING', {}, 'vanished');
      expect(rows).toEqual([{ v: 'a' }]);
      expect(q.recentProgress[0]!.sources[0]!.metrics).toEqual({ numFilesVanished: '1' });
    } finally {
      open.mockRestore();
      warn.mockRestore();
    }
    expect(warnings).toEqual([expect.stringContaining(`file ${gone} of batch 0 was removed before it was read; it is skipped`)]);
  });

  it('leave out a file removed while its glob is listed, instead of failing on its ENOENT', async () => {
    await dir.file('in/a.json', '{"v":"a"}\n', 1);
    const gone = await dir.file('in/b.json', '{"v":"b"}\n', 2);
    const spark = testSession();
    // The folder was read with b.json in it; b.json goes before its status is asked.
    const real = fsPromises.stat;
    const stat = jest.spyOn(fsPromises, 'stat').mockImplementation((async (p: string, o?: never) => {
      if (p === gone) fs.rmSync(gone, { force: true });
      return real(p, o);
    }) as typeof fsPromises.stat);
    try {
      const q = spark.readStream.format('json').schema('v STRING').load(dir.path('in', '*.json'))
        .writeStream.format('memory').queryName('listed_vanished').option('checkpointLocation', dir.path('cp-listed')).start();
      await q.processAllAvailable();
      await q.stop();
      expect(q.exception()).toBeNull();
    } finally {
      stat.mockRestore();
    }
    expect(await spark.table('listed_vanished').collect()).toEqual([{ v: 'a' }]);
  });

  it('name the path of any other file-system error', async () => {
    const file = await dir.file('in/a.json', '{"v":"a"}\n', 1);
    const spark = testSession();
    const open = beforeOpening(file, () => { fs.rmSync(file); fs.mkdirSync(file); });
    try {
      const failed = await readAll(spark, 'json', 'v STRING', {}, 'eisdir').catch((e: Error) => e);
      expect(String(failed)).toContain(`cannot read file ${file}: EISDIR: illegal operation on a directory`);
    } finally {
      open.mockRestore();
    }
  });

  it('name the file a full disk refused, in the checkpoint and in the file sink manifest', async () => {
    // A real ENOSPC, as Node reports it: "ENOSPC: no space left on device, write", without a path.
    const enospc = await fsPromises.writeFile('/dev/full', 'x').catch((e: unknown) => e);
    expect(String((enospc as Error).message)).toMatch(/^ENOSPC/);
    await dir.file('in/a.json', '{"v":"a"}\n', 1);
    const spark = testSession();
    const real = fsPromises.writeFile;
    for (const target of ['commits', '_spate_metadata']) {
      const write = jest.spyOn(fsPromises, 'writeFile').mockImplementation((async (path: string, data: never) => {
        if (String(path).includes(`/${target}/`)) throw enospc;
        return real(path, data);
      }) as typeof fsPromises.writeFile);
      try {
        const q = spark.readStream.format('json').schema('v STRING').load(dir.path('in'))
          .writeStream.format('json').option('checkpointLocation', dir.path(`cp-${target}`)).start(dir.path(`out-${target}`));
        const failed = await q.awaitTermination().catch((e: Error) => e.message);
        expect(failed).toMatch(target === 'commits'
          ? new RegExp(`cannot write checkpoint file ${dir.path(`cp-${target}`, 'commits', '0')}: ENOSPC: no space left on device`)
          : new RegExp(`file sink cannot write its manifest entry ${dir.path(`out-${target}`, '_spate_metadata', '0')}: ENOSPC`));
      } finally {
        write.mockRestore();
      }
    }
  });
});
