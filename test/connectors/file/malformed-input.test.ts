// Bad input in files: every malformed record is null (PERMISSIVE), dropped and counted
// (DROPMALFORMED) or a FAILFAST error naming the file and line, and never crashes the query.
import { col, count, lit, window } from '../../../src/index.js';
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
    await expect(failfast.awaitTermination()).rejects.toThrow(`malformed record in file ${file}, line 2: from_json() met a malformed record (a timestamp expected, got the number 99999999999999, which is out of range`);
  });
});
