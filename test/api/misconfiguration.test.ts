// Silent misconfiguration, reported: options nothing reads (a misspelling, or an option given
// to the wrong side), unknown `spate.*` settings and Spark settings, as warnings naming the
// closest known name, or errors under spate.conf.strict=true.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, Session, types as T } from '../../src/index.js';
import { captureWarnings, testSession } from '../support/helpers.js';

let dir: string;
let warnings: ReturnType<typeof captureWarnings>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spate-misconf-'));
  warnings = captureWarnings();
});
afterEach(async () => {
  warnings.restore();
  await Session.getActiveSession()?.stop();
  await rm(dir, { recursive: true, force: true });
});

const schema = T.struct([T.field('a', T.string())]);

describe('reader and writer options', () => {
  it('warns about a misspelled reader option, naming the one meant', () => {
    testSession().readStream.format('json').schema(schema).option('maxFilesPerTriger', 1).load(dir);
    expect(warnings.messages).toEqual(["unknown option 'maxFilesPerTriger' for the json source has no effect; did you mean maxFilesPerTrigger?"]);
  });

  it('says when a reader option was given to the writer, and a writer option to the reader', async () => {
    const spark = testSession();
    const q = spark.readStream.format('json').schema(schema).option('checkpointLocation', join(dir, 'x')).load(dir)
      .writeStream.format('json').option('maxFilesPerTrigger', 1).option('checkpointLocation', join(dir, 'cp')).start(join(dir, 'out'));
    await q.stop();
    expect(warnings.messages).toEqual([
      "option 'checkpointLocation' is an option of writeStream (every sink), not of readStream.format('json'): give it to writeStream.option('checkpointLocation', ...)",
      "option 'maxFilesPerTrigger' is an option of readStream.format('json'), not of the json sink: give it to spark.readStream.format('json').option('maxFilesPerTrigger', ...), where the data is read",
    ]);
  });

  it('names the readers of a source option given to a sink of another format, and lists a sink\'s options when nothing is close', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const q = input.toDF().writeStream.format('console').option('startingOffsets', 'earliest').option('colour', 'blue').start();
    await q.stop();
    expect(warnings.messages).toEqual([
      "option 'startingOffsets' is a reader option (of kafka), not an option of the console sink: give it to spark.readStream...option('startingOffsets', ...)",
      "unknown option 'colour' for the console sink has no effect; its options are numRows, truncate",
    ]);
  });

  it('accepts declared options in any case, and the writer\'s own options on every sink', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    spark.readStream.format('csv').schema(schema).option('HEADER', true).option('sep', ';').option('path', dir).load();
    const q = input.toDF().writeStream.format('console').option('numrows', 5).option('checkpointLocation', join(dir, 'cp')).option('queryName', 'q').start();
    await q.stop();
    expect(warnings.messages).toEqual([]);
  });

  it('reports Kafka client settings spate does not pass to kafkajs', () => {
    testSession().readStream.format('kafka').option('kafka.bootstrap.servers', 'localhost:9092').option('subscribe', 't')
      .option('kafka.max.poll.records', 10).option('kafka.client.id', 'me').load();
    expect(warnings.messages).toEqual([expect.stringMatching(/^unknown option 'kafka\.max\.poll\.records' for the kafka source has no effect/)]);
  });

  it('refuses them all at once under spate.conf.strict=true', () => {
    const spark = testSession({ 'spate.conf.strict': true });
    expect(() => spark.readStream.format('text').option('maxFilesPerTriger', 1).option('latestFrist', true).load(dir))
      .toThrow(/^unknown option 'maxFilesPerTriger' .*\nunknown option 'latestFrist' for the text source has no effect; did you mean latestFirst\?\n\(spate.conf.strict=true/);
  });
});

describe('session settings', () => {
  it('reads a spark.* key as its spate.* counterpart, with a note', () => {
    const spark = Session.builder().config('spark.sql.shuffle.partitions', 7).create();
    expect(spark.conf.get('spate.sql.shuffle.partitions')).toBe('7');
    expect(spark.conf.get('spark.sql.shuffle.partitions')).toBe('7');
    expect(warnings.messages).toEqual(['configuration spark.sql.shuffle.partitions is read as spate.sql.shuffle.partitions, spate\'s name for the same setting']);
  });

  it('warns about an unknown spate.* key and a Spark key without counterpart, naming the closest known key', () => {
    const spark = Session.builder().config('spate.sql.shufle.partitions', 7).create();
    spark.conf.set('spark.sql.adaptive.enabled', true);
    spark.conf.set('spark.sql.streaming.stopGracefullyOnShutdow', true);
    spark.conf.set('myapp.region', 'eu'); // an application's own key: not spate's business
    expect(warnings.messages).toEqual([
      'unknown configuration spate.sql.shufle.partitions has no effect; did you mean spate.sql.shuffle.partitions?',
      'configuration spark.sql.adaptive.enabled has no effect: spate has no counterpart of this Spark setting',
      'configuration spark.sql.streaming.stopGracefullyOnShutdow has no effect: spate has no counterpart of this Spark setting; did you mean spate.streaming.stopGracefullyOnShutdown?',
    ]);
    expect(spark.conf.get('myapp.region')).toBe('eu');
  });

  it('refuses unknown keys under spate.conf.strict=true, however the setting was given', () => {
    expect(() => Session.builder().config('spark.sql.shufle.partitions', 7).config('spate.conf.strict', true).create())
      .toThrow(/^configuration spark.sql.shufle.partitions has no effect: spate has no counterpart of this Spark setting; did you mean spate.sql.shuffle.partitions\?\n\(spate.conf.strict=true/);
    const spark = Session.builder().config('spark.conf.strict', true).create();
    expect(() => spark.conf.set('spate.link.capacty', 4)).toThrow(/did you mean spate\.link\.capacity\?/);
    expect(spark.conf.get('spate.link.capacty')).toBeUndefined();
  });
});
