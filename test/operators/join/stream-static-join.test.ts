// Stream-static joins: the static side is evaluated afresh for every micro-batch (the notes saw
// a change to the static data picked up by the running query), nothing is checkpointed, and
// only the join types Spark allows for the streaming side's position start.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, Session, col, count, types as T, window } from 'spate';
import { sortRows, testSession } from '../../support/helpers.js';
import { at, clickSchema, record } from './support.js';

const adSchema = T.struct([T.field('adId', T.string()), T.field('campaign', T.string())]);
type Ad = { adId: string; campaign: string };

function clicksOf(spark: Session) {
  const input = new MemoryStream(spark, clickSchema);
  return { input, df: input.toDF() };
}

describe('stream-static joins', () => {
  afterEach(async () => { await Session.getActiveSession()?.stop(); });

  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-join-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('read the static side afresh every micro-batch: a change to the file shows in the next batch', async () => {
    const spark = testSession();
    const file = join(dir, 'ads.json');
    const writeAds = (ads: Ad[]) => writeFile(file, JSON.stringify(ads));
    await writeAds([{ adId: 'A', campaign: 'spring' }]);
    const ads = spark.createDataFrame(async () => JSON.parse(await readFile(file, 'utf8')) as Ad[], adSchema);
    const clicks = clicksOf(spark);
    const run = record(clicks.df.join(ads, col('clickAdId').eq(col('adId'))));

    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }, { clickAdId: 'B', clickTime: at('10:01') }]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(0)).toEqual([{ clickAdId: 'A', clickTime: at('10:00'), adId: 'A', campaign: 'spring' }]);

    await writeAds([{ adId: 'A', campaign: 'summer' }, { adId: 'B', campaign: 'summer' }]);
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:02') }, { clickAdId: 'B', clickTime: at('10:03') }]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(1)).toEqual(sortRows([
      { clickAdId: 'A', clickTime: at('10:02'), adId: 'A', campaign: 'summer' },
      { clickAdId: 'B', clickTime: at('10:03'), adId: 'B', campaign: 'summer' },
    ]));
    await run.query.stop();
  });

  it('read a static folder with spark.read afresh every micro-batch: a changed JSON file shows in the next batch', async () => {
    const spark = testSession();
    const file = join(dir, 'ads.json');
    const writeAds = (ads: Ad[]) => writeFile(file, ads.map((a) => JSON.stringify(a)).join('\n'));
    await writeAds([{ adId: 'A', campaign: 'spring' }]);
    const ads = spark.read.format('json').schema(adSchema).load(dir);
    const clicks = clicksOf(spark);
    const run = record(clicks.df.join(ads, col('clickAdId').eq(col('adId'))));

    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(0)).toEqual([{ clickAdId: 'A', clickTime: at('10:00'), adId: 'A', campaign: 'spring' }]);

    await writeAds([{ adId: 'A', campaign: 'summer' }]);
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:02') }]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(1)).toEqual([{ clickAdId: 'A', clickTime: at('10:02'), adId: 'A', campaign: 'summer' }]);
    await run.query.stop();
  });

  it('are stateless: the checkpoint holds no state and progress lists no state operator', async () => {
    const spark = testSession();
    const ads = spark.createDataFrame([{ adId: 'A', campaign: 'spring' }], adSchema);
    const clicks = clicksOf(spark);
    const checkpoint = join(dir, 'checkpoint');
    const run = record(clicks.df.join(ads, col('clickAdId').eq(col('adId'))), 'append', checkpoint);
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.all()).toHaveLength(1);
    expect(run.query.lastProgress?.stateOperators).toEqual([]);
    expect(await readdir(checkpoint)).not.toContain('state');
  });

  describe('with the stream on the left', () => {
    const ads = (spark: Session) => spark.createDataFrame([
      { adId: 'A', campaign: 'spring' }, { adId: 'A', campaign: 'retarget' }, { adId: 'B', campaign: 'spring' },
    ], adSchema);
    const clicksAC = [{ clickAdId: 'A', clickTime: at('10:00') }, { clickAdId: 'C', clickTime: at('10:01') }];

    async function runJoin(how: string) {
      const spark = testSession();
      const clicks = clicksOf(spark);
      const run = record(clicks.df.join(ads(spark), col('clickAdId').eq(col('adId')), how));
      clicks.input.addData(clicksAC);
      await run.query.processAllAvailable();
      await run.query.stop();
      return run.all();
    }

    it('an inner join emits a row per matching static row', async () => {
      expect(await runJoin('inner')).toEqual(sortRows([
        { clickAdId: 'A', clickTime: at('10:00'), adId: 'A', campaign: 'spring' },
        { clickAdId: 'A', clickTime: at('10:00'), adId: 'A', campaign: 'retarget' },
      ]));
    });

    it('a left outer join null-pads an unmatched streamed row in the same batch', async () => {
      expect(await runJoin('left_outer')).toEqual(sortRows([
        { clickAdId: 'A', clickTime: at('10:00'), adId: 'A', campaign: 'spring' },
        { clickAdId: 'A', clickTime: at('10:00'), adId: 'A', campaign: 'retarget' },
        { clickAdId: 'C', clickTime: at('10:01'), adId: null, campaign: null },
      ]));
    });

    it('a left semi join emits a matching streamed row once, however many static rows match', async () => {
      expect(await runJoin('left_semi')).toEqual([{ clickAdId: 'A', clickTime: at('10:00') }]);
    });

    it('a left anti join emits the streamed rows no static row matches', async () => {
      expect(await runJoin('anti')).toEqual([{ clickAdId: 'C', clickTime: at('10:01') }]);
    });
  });

  describe('with the stream on the right', () => {
    async function runJoin(how: string) {
      const spark = testSession();
      const clicks = clicksOf(spark);
      const ads = spark.createDataFrame([{ adId: 'A', campaign: 'spring' }], adSchema);
      const run = record(ads.join(clicks.df, 'adId = clickAdId', how));
      clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }, { clickAdId: 'C', clickTime: at('10:01') }]);
      await run.query.processAllAvailable();
      await run.query.stop();
      return run.all();
    }

    it('an inner join emits the static columns first', async () => {
      expect(await runJoin('inner')).toEqual([{ adId: 'A', campaign: 'spring', clickAdId: 'A', clickTime: at('10:00') }]);
    });

    it('a right outer join null-pads an unmatched streamed row', async () => {
      expect(await runJoin('right_outer')).toEqual(sortRows([
        { adId: 'A', campaign: 'spring', clickAdId: 'A', clickTime: at('10:00') },
        { adId: null, campaign: null, clickAdId: 'C', clickTime: at('10:01') },
      ]));
    });
  });

  describe('refused at start(), naming the side that must be streaming', () => {
    const start = (how: string, streamOn: 'left' | 'right') => {
      const spark = testSession();
      const clicks = clicksOf(spark).df;
      const ads = spark.createDataFrame([{ adId: 'A', campaign: 'spring' }], adSchema);
      const df = streamOn === 'left' ? clicks.join(ads, 'clickAdId = adId', how) : ads.join(clicks, 'clickAdId = adId', how);
      return () => df.writeStream.format('memory').queryName(`refused_${how}_${streamOn}`).start();
    };

    it.each([
      ['right_outer', 'left', /RightOuter join with a streaming DataFrame\/Dataset on the left and a static DataFrame\/DataSet on the right not supported: .*stream must be on the right/],
      ['left_outer', 'right', /LeftOuter join with a streaming DataFrame\/Dataset on the right and a static DataFrame\/Dataset on the left is not supported: .*stream must be on the left/],
      ['left_semi', 'right', /LeftSemi join with a streaming DataFrame\/Dataset on the right and a static DataFrame\/Dataset on the left is not supported: .*stream must be on the left/],
      ['left_anti', 'right', /LeftAnti joins with a streaming DataFrame\/Dataset on the right are not supported: .*right side must be static/],
      ['full_outer', 'left', /FullOuter joins with streaming DataFrames\/Datasets on the left and a static DataFrame\/Dataset on the right is not supported: .*left outer join/],
      ['full_outer', 'right', /FullOuter joins with streaming DataFrames\/Datasets on the right and a static DataFrame\/Dataset on the left is not supported: .*right outer join/],
    ] as const)('a %s join with the stream on the %s', (how, side, message) => {
      expect(start(how, side)).toThrow(message);
    });
  });

  it('a streaming aggregation in update mode may feed a stream-static join (the join keeps no state)', async () => {
    const spark = testSession();
    const clicks = clicksOf(spark);
    const ads = spark.createDataFrame([{ adId: 'A', campaign: 'spring' }], adSchema);
    const perAd = clicks.df.groupBy('clickAdId').agg(count('*').alias('clicks'));
    const run = record(perAd.join(ads, col('clickAdId').eq(col('adId'))), 'update');
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }, { clickAdId: 'A', clickTime: at('10:01') }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.all()).toEqual([{ clickAdId: 'A', clicks: 2, adId: 'A', campaign: 'spring' }]);
  });

  it('a stream-static join may feed a watermarked windowed aggregation (the join is a step of its stage)', async () => {
    const spark = testSession();
    const clicks = clicksOf(spark);
    const ads = spark.createDataFrame([{ adId: 'A', campaign: 'spring' }, { adId: 'B', campaign: 'spring' }], adSchema);
    const perCampaign = clicks.df.withWatermark('clickTime', '10 minutes').join(ads, col('clickAdId').eq(col('adId')))
      .groupBy(window(col('clickTime'), '10 minutes'), col('campaign')).agg(count('*').alias('clicks'));
    const run = record(perCampaign, 'append');
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }, { clickAdId: 'B', clickTime: at('10:05') }, { clickAdId: 'C', clickTime: at('10:06') }]);
    await run.query.processAllAvailable();
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:30') }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.all()).toEqual([{ window: { start: at('10:00'), end: at('10:10') }, campaign: 'spring', clicks: 2 }]);
  });

  it('a static loader that fails fails the query with its error as the cause', async () => {
    const spark = testSession();
    const clicks = clicksOf(spark);
    const broken = new Error('ads table unreachable');
    const ads = spark.createDataFrame(async (): Promise<Ad[]> => { throw broken; }, adSchema);
    const run = record(clicks.df.join(ads, col('clickAdId').eq(col('adId'))));
    clicks.input.addData([{ clickAdId: 'A', clickTime: at('10:00') }]);
    await expect(run.query.processAllAvailable()).rejects.toThrow(/ads table unreachable/);
    expect(run.query.exception()?.cause).toBe(broken);
  });
});
