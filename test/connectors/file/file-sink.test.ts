import { readFile, readdir } from 'node:fs/promises';
import { MemoryStream, col, types as T } from '../../../src/index.js';
import { sortRows, testSession } from '../../support/helpers.js';
import type { TempDir } from './support.js';
import { tempDir } from './support.js';

let dir: TempDir;
beforeEach(async () => { dir = await tempDir(); });
afterEach(async () => { await dir.remove(); });

const schema = T.struct([T.field('city', T.string()), T.field('n', T.integer()), T.field('at', T.timestamp())]);

describe('the file sink', () => {
  it('refuses update mode at start with Spark\'s message, and needs a checkpointLocation', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const counts = input.toDF().groupBy('city').count();
    expect(() => counts.writeStream.format('json').outputMode('update').option('checkpointLocation', dir.path('cp')).start(dir.path('out')))
      .toThrow('Data source json does not support Update output mode');
    expect(() => input.toDF().writeStream.format('csv').start(dir.path('out'))).toThrow(/checkpointLocation must be specified/);
    expect(() => input.toDF().writeStream.format('text').option('checkpointLocation', dir.path('cp')).start(dir.path('out')))
      .toThrow('Text data source supports only a single column, and you have 3 columns.');
    expect(() => input.toDF().writeStream.format('json').partitionBy('country').option('checkpointLocation', dir.path('cp')).start(dir.path('out')))
      .toThrow(/Partition column 'country' not found/);
  });

  it('writes json files per epoch under partition folders, and a static read of the folder gives each row once', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const q = input.toDF().writeStream.format('json').partitionBy('city').option('checkpointLocation', dir.path('cp')).start(dir.path('out'));
    input.addData([{ city: 'Paris', n: 1, at: new Date('2024-01-01T10:00:00Z') }, { city: 'Rome/Lazio', n: 2, at: null }]);
    await q.processAllAvailable();
    input.addData([{ city: 'Paris', n: 3, at: null }, { city: null, n: 4, at: null }]);
    await q.processAllAvailable();
    await q.stop();
    expect((await readdir(dir.path('out'))).sort()).toEqual(['_spate_metadata', 'city=Paris', 'city=Rome%2FLazio', 'city=__HIVE_DEFAULT_PARTITION__']);
    const paris = (await readdir(dir.path('out', 'city=Paris'))).sort();
    expect(paris.length).toBe(2);
    expect(await readFile(dir.path('out', 'city=Paris', paris[0]!), 'utf8')).toBe('{"n":1,"at":"2024-01-01T10:00:00.000Z"}\n');
    const back = await spark.read.format('json').schema(schema).load(dir.path('out')).collect();
    expect(sortRows(back)).toEqual(sortRows([
      { city: 'Paris', n: 1, at: new Date('2024-01-01T10:00:00Z') }, { city: 'Rome/Lazio', n: 2, at: null },
      { city: 'Paris', n: 3, at: null }, { city: null, n: 4, at: null },
    ]));
  });

  it('writes csv with a header and text lines, and reads them back', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const csv = input.toDF().writeStream.format('csv').option('header', true)
      .option('checkpointLocation', dir.path('cp1')).start(dir.path('csv'));
    const text = input.toDF().select(col('city')).writeStream.format('text').option('checkpointLocation', dir.path('cp2')).start(dir.path('text'));
    input.addData([{ city: 'a, "b"', n: 1, at: new Date('2024-01-01T00:00:00Z') }, { city: '', n: null, at: null }]);
    await csv.processAllAvailable();
    await text.processAllAvailable();
    await csv.stop();
    await text.stop();
    const file = (await readdir(dir.path('csv'))).find((n) => n.endsWith('.csv'))!;
    expect(await readFile(dir.path('csv', file), 'utf8')).toBe('city,n,at\n"a, \\"b\\"",1,2024-01-01T00:00:00.000Z\n"",,\n');
    expect(await spark.read.format('csv').schema(schema).option('header', true).load(dir.path('csv')).collect())
      .toEqual([{ city: 'a, "b"', n: 1, at: new Date('2024-01-01T00:00:00Z') }, { city: '', n: null, at: null }]);
    expect(await spark.read.format('text').load(dir.path('text')).collect()).toEqual([{ value: 'a, "b"' }, { value: '' }]);
  });

  it('rotates files after maxRecordsPerFile rows', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const q = input.toDF().writeStream.format('json').option('maxRecordsPerFile', 2).option('checkpointLocation', dir.path('cp')).start(dir.path('out'));
    input.addData(Array.from({ length: 5 }, (_, i) => ({ city: 'x', n: i, at: null })));
    await q.processAllAvailable();
    await q.stop();
    expect((await readdir(dir.path('out'))).filter((n) => n.startsWith('part-')).length).toBe(3);
    expect((await spark.read.format('json').schema(schema).load(dir.path('out')).collect()).length).toBe(5);
  });
});
