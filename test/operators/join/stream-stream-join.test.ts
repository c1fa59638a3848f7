// Stream-stream joins beyond the notes' example: every join type Spark supports between two
// streams (and the ones it refuses, with its messages), conditions as Columns, USING columns,
// a watermark in the join keys, self-joins, restarts from a checkpoint, cascaded joins and a
// windowed aggregation after a join.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, Session, col, count, expr, window, types as T } from 'spate';
import type { DataFrame, Row } from 'spate';
import { captureWarnings, sortRows, testSession } from '../../support/helpers.js';
import { adStreams, at, click, imp, joinState, joined, record } from './support.js';
import type { Click, Impression } from './support.js';

const WITHIN_AN_HOUR = 'clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour';

function watermarked(spark: Session) {
  const s = adStreams(spark);
  return {
    ...s,
    impressions: s.impressions,
    clicks: s.clicks,
    impDF: s.impressions.toDF().withWatermark('impressionTime', '10 minutes'),
    clickDF: s.clicks.toDF().withWatermark('clickTime', '10 minutes'),
  };
}

/** Adds each step's rows to its stream and waits for the batch (and any no-data batch) to commit. */
async function steps(run: ReturnType<typeof record>, plan: Array<[MemoryStream<Impression> | MemoryStream<Click>, Row[]]>): Promise<void> {
  for (const [stream, rows] of plan) {
    (stream as MemoryStream<Row>).addData(rows);
    await run.query.processAllAvailable();
  }
}

describe('stream-stream joins', () => {
  afterEach(async () => { await Session.getActiveSession()?.stop(); });

  it('a full outer join null-pads unmatched rows of both sides as each side evicts them', async () => {
    const spark = testSession();
    const s = watermarked(spark);
    const run = record(s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'full_outer'));
    const [A, B, D] = [imp('A', '10:00'), imp('B', '10:05'), imp('D', '11:30')];
    const [clickA, clickZ, clickY] = [click('A', '10:20'), click('Z', '10:30'), click('Y', '11:40')];
    await steps(run, [
      [s.impressions, [A, B]],       // batch 0
      [s.clicks, [clickA, clickZ]],  // batch 1, no-data batch 2 (watermark 09:55)
      [s.impressions, [D]],          // batch 3, no-data batch 4 (10:20)
      [s.clicks, [clickY]],          // batch 5, no-data batch 6 (11:20): impressions before 10:20, clicks before 11:20 evicted
    ]);
    expect(run.rowsOf(1)).toEqual([joined(A, clickA)]);
    expect(run.rowsOf(4)).toEqual([]);
    expect(run.rowsOf(6)).toEqual(sortRows([joined(B, null), joined(null, clickZ)]));
    await run.query.stop();
  });

  it('a right outer join keeps every row of the right side, null-padding the left once the watermark passes', async () => {
    const spark = testSession();
    const s = watermarked(spark);
    const run = record(s.clickDF.join(s.impDF, expr(WITHIN_AN_HOUR), 'rightOuter'));
    const [A, B, D] = [imp('A', '10:00'), imp('B', '10:05'), imp('D', '11:30')];
    const clickA = click('A', '10:20');
    await steps(run, [
      [s.impressions, [A, B]],
      [s.clicks, [clickA]],                 // batches 1, 2
      [s.impressions, [D]],                 // batches 3, 4 (watermark 10:10: B at 10:05 still clickable)
      [s.clicks, [click('Y', '11:40')]],    // batches 5, 6 (watermark 11:20)
    ]);
    const clicksThenImpressions = (c: Click | null, i: Impression | null) => ({ ...joined(i, c) });
    expect(run.rowsOf(1)).toEqual([clicksThenImpressions(clickA, A)]);
    expect(run.rowsOf(4)).toEqual([]);
    expect(run.rowsOf(6)).toEqual([clicksThenImpressions(null, B)]);
    expect(Object.keys(run.rowsOf(6)[0]!)).toEqual(['clickAdId', 'clickTime', 'impressionAdId', 'impressionTime']);
    await run.query.stop();
  });

  it('a left semi join emits an impression once, at its first click, whichever stream brings the pair together', async () => {
    const spark = testSession();
    const s = watermarked(spark);
    const run = record(s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'left_semi'));
    const [A, B, C] = [imp('A', '10:00'), imp('B', '10:05'), imp('C', '10:40')];
    await steps(run, [
      [s.impressions, [A, B]],                                  // batch 0
      [s.clicks, [click('A', '10:20'), click('A', '10:25')]],  // batch 1: A once; no-data batch 2
      [s.clicks, [click('A', '10:30'), click('C', '10:45')]],  // batch 3: A already emitted
      [s.impressions, [C]],                                     // batch 4: C meets its earlier click
    ]);
    expect(run.rowsOf(1)).toEqual([A]);
    expect(run.rowsOf(3)).toEqual([]);
    expect(run.rowsOf(4)).toEqual([C]);
    expect(run.all()).toEqual(sortRows([A, C]));
    await run.query.stop();
  });

  it('a left semi join drops an impression from its state once it is emitted, keeping only impressions still waiting for a click', async () => {
    // As Spark 4.2's state store shows batch by batch (conformance case stream_left_semi).
    const spark = testSession();
    const s = watermarked(spark);
    const run = record(s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'left_semi'));
    await steps(run, [[s.impressions, [imp('A', '10:00'), imp('B', '10:05')]]]);
    expect(joinState(run.query)).toMatchObject({ numRowsTotal: 2, customMetrics: expect.objectContaining({ leftRows: 2, rightRows: 0 }) });
    await steps(run, [[s.clicks, [click('A', '10:20'), click('A', '10:25')]]]);
    expect(run.all()).toEqual([imp('A', '10:00')]);
    // A left with its first click; both clicks stay buffered for impressions still to come.
    expect(joinState(run.query)).toMatchObject({ numRowsTotal: 3, customMetrics: expect.objectContaining({ leftRows: 1, rightRows: 2 }) });
    expect(run.query.recentProgress.map((p) => p.stateOperators[0]!.numRowsRemoved)).toContain(1);
    await steps(run, [[s.impressions, [imp('A', '10:15')]]]); // meets the buffered click at 10:20: emitted, never buffered
    expect(run.all()).toEqual(sortRows([imp('A', '10:00'), imp('A', '10:15')]));
    expect(joinState(run.query).customMetrics).toMatchObject({ leftRows: 1, rightRows: 2 });
    await run.query.stop();
  });

  it('a left outer join with the watermark on the right only runs as Spark runs it, and start() warns that the left state is unbounded', async () => {
    // Spark accepts it (the range condition bounds impressions by the clicks' watermark), but it
    // evicts only a side that has a watermark itself: impressions stay buffered forever and an
    // impression nobody clicked is never emitted null-padded.
    const spark = testSession();
    const s = adStreams(spark);
    const warnings = captureWarnings();
    try {
      const run = record(s.impressions.toDF().join(s.clicks.toDF().withWatermark('clickTime', '10 minutes'), expr(WITHIN_AN_HOUR), 'leftOuter'));
      const [A, B] = [imp('A', '10:00'), imp('B', '10:05')];
      const clickA = click('A', '10:20');
      await steps(run, [
        [s.impressions, [A, B]],
        [s.clicks, [clickA]],
        [s.clicks, [click('Y', '13:40')]], // watermark 13:30: B's hour ended long ago
        [s.clicks, [click('Z', '14:40')]],
      ]);
      expect(run.all()).toEqual([joined(A, clickA)]);
      expect(joinState(run.query).numRowsTotal).toBe(5); // A, B and the three clicks: nothing is evicted
      await run.query.stop();
      expect(warnings.messages).toEqual([expect.stringMatching(
        /^Stream-stream LeftOuter join: the left side has no watermark, so its buffered rows are never evicted\. Its state grows without bound and its rows that never match are never emitted null-padded/,
      )]);
    } finally {
      warnings.restore();
    }
  });

  it('start() gives no such warning when the preserved side has a watermark', async () => {
    const spark = testSession();
    const s = watermarked(spark);
    const warnings = captureWarnings();
    try {
      const run = record(s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'leftOuter'));
      await run.query.stop();
      expect(warnings.messages.filter((m) => m.includes('no watermark'))).toEqual([]);
    } finally {
      warnings.restore();
    }
  });

  it('takes the condition as a Column, with between and an interval', async () => {
    const spark = testSession();
    const s = watermarked(spark);
    const cond = col('clickAdId').eq(col('impressionAdId'))
      .and(col('clickTime').between(col('impressionTime'), col('impressionTime').plus(expr('interval 1 hour'))));
    const run = record(s.impDF.join(s.clickDF, cond, 'leftOuter'));
    const [A, B] = [imp('A', '10:00'), imp('B', '10:05')];
    await steps(run, [
      [s.impressions, [A, B]],
      [s.clicks, [click('A', '10:20'), click('B', '11:30')]],  // B's click is too late for the constraint
      [s.impressions, [imp('E', '12:00')]],
      [s.clicks, [click('Y', '12:00')]],                       // watermark 11:50: A and B evicted
    ]);
    expect(run.all()).toEqual(sortRows([joined(A, click('A', '10:20')), joined(B, null)]));
    await run.query.stop();
  });

  it('joins on USING column names, keeping one column per name', async () => {
    const spark = testSession();
    const left = new MemoryStream(spark, T.struct([T.field('adId', T.string()), T.field('views', T.long())]));
    const right = new MemoryStream(spark, T.struct([T.field('adId', T.string()), T.field('clicks', T.long())]));
    const run = record(left.toDF().join(right.toDF(), 'adId'));
    left.addData([{ adId: 'A', views: 10 }, { adId: 'B', views: 4 }]);
    await run.query.processAllAvailable();
    right.addData([{ adId: 'A', clicks: 2 }]);
    await run.query.processAllAvailable();
    expect(run.all()).toEqual([{ adId: 'A', views: 10, clicks: 2 }]);
    await run.query.stop();
  });

  it('evicts by a watermarked join key, so a left outer join needs no range condition', async () => {
    const spark = testSession();
    const left = new MemoryStream(spark, T.struct([T.field('lid', T.long()), T.field('lts', T.timestamp())]));
    const right = new MemoryStream(spark, T.struct([T.field('rid', T.long()), T.field('rts', T.timestamp())]));
    const run = record(left.toDF().withWatermark('lts', '10 minutes')
      .join(right.toDF().withWatermark('rts', '10 minutes'), 'lid = rid AND lts = rts', 'leftOuter'));
    left.addData([{ lid: 1, lts: at('10:00') }, { lid: 2, lts: at('10:05') }]);    // batch 0
    await run.query.processAllAvailable();
    right.addData([{ rid: 1, rts: at('10:00') }, { rid: 3, rts: at('10:30') }]);   // batches 1, 2 (watermark 09:55)
    await run.query.processAllAvailable();
    left.addData([{ lid: 4, lts: at('11:00') }]);                                    // batches 3, 4 (watermark 10:20)
    await run.query.processAllAvailable();
    expect(run.rowsOf(1)).toEqual([{ lid: 1, lts: at('10:00'), rid: 1, rts: at('10:00') }]);
    expect(run.rowsOf(4)).toEqual([{ lid: 2, lts: at('10:05'), rid: null, rts: null }]);
    await run.query.stop();
  });

  it('joins a stream with itself (one side renamed): pairs of clicks on one ad within ten minutes', async () => {
    const spark = testSession();
    const { clicks } = adStreams(spark);
    const first = clicks.toDF();
    const second = clicks.toDF().select(col('clickAdId').alias('adId2'), col('clickTime').alias('time2'));
    const run = record(first.join(second, 'clickAdId = adId2 AND time2 > clickTime AND time2 <= clickTime + interval 10 minutes'));
    clicks.addData([click('A', '10:00'), click('A', '10:05'), click('A', '10:30')]);
    await run.query.processAllAvailable();
    clicks.addData([click('A', '10:35')]);
    await run.query.processAllAvailable();
    expect(run.all()).toEqual(sortRows([
      { clickAdId: 'A', clickTime: at('10:00'), adId2: 'A', time2: at('10:05') },
      { clickAdId: 'A', clickTime: at('10:30'), adId2: 'A', time2: at('10:35') },
    ]));
    await run.query.stop();
  });

  describe('refused at start()', () => {
    const refused = (build: (s: ReturnType<typeof watermarked>) => DataFrame, mode = 'append') => {
      const spark = testSession();
      const df = build(watermarked(spark));
      return () => df.writeStream.outputMode(mode).format('memory').queryName('refused').start();
    };
    const NEEDS_WATERMARK = /is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition: add withWatermark/;

    it('a left anti join of two streams', () => {
      expect(refused((s) => s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'left_anti')))
        .toThrow(/LeftAnti joins with a streaming DataFrame\/Dataset on the right are not supported/);
    });

    it('a join of two streams in update or complete mode', () => {
      expect(refused((s) => s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR)), 'update'))
        .toThrow(/Join between two streaming DataFrames\/Datasets is not supported in Update output mode, only in Append output mode/);
    });

    it('a left outer join without watermarks', () => {
      expect(refused((s) => s.impressions.toDF().join(s.clicks.toDF(), expr(WITHIN_AN_HOUR), 'left_outer')))
        .toThrow(new RegExp(`Stream-stream LeftOuter join between two streaming DataFrame/Datasets ${NEEDS_WATERMARK.source}`));
    });

    it('a left outer join with watermarks but no range condition', () => {
      expect(refused((s) => s.impDF.join(s.clickDF, expr('clickAdId = impressionAdId'), 'left_outer'))).toThrow(NEEDS_WATERMARK);
    });

    it('a left outer join whose watermark is only on the preserved (left) side', () => {
      expect(refused((s) => s.impDF.join(s.clicks.toDF(), expr(WITHIN_AN_HOUR), 'left_outer'))).toThrow(NEEDS_WATERMARK);
    });

    it('a right outer join whose watermark is only on the preserved (right) side', () => {
      expect(refused((s) => s.clicks.toDF().join(s.impDF, expr(WITHIN_AN_HOUR), 'right_outer'))).toThrow(/Stream-stream RightOuter join/);
    });

    it('a full outer or left semi join without a bounding condition', () => {
      expect(refused((s) => s.impDF.join(s.clickDF, expr('clickAdId = impressionAdId'), 'full'))).toThrow(/Stream-stream FullOuter join/);
      expect(refused((s) => s.impDF.join(s.clickDF, expr('clickAdId = impressionAdId'), 'semi'))).toThrow(/Stream-stream LeftSemi join/);
    });

    it('a range condition in months, whose length varies', () => {
      expect(refused((s) => s.impDF.join(s.clickDF, expr('clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 month'), 'left_outer')))
        .toThrow(NEEDS_WATERMARK);
    });

    it('accepts a left outer join with the watermark on the nullable side only (the left state is then never evicted, as in Spark)', async () => {
      const start = refused((s) => s.impressions.toDF().join(s.clickDF, expr(WITHIN_AN_HOUR), 'left_outer'));
      const q = start();
      await q.stop();
      expect(q.exception()).toBeNull();
    });
  });

  describe('from a checkpoint', () => {
    let dir: string;
    beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-ssjoin-')); });
    afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

    const [A, B, C, D] = [imp('A', '10:00'), imp('B', '10:05'), imp('C', '10:10'), imp('D', '11:20')];
    const plan = (s: ReturnType<typeof watermarked>): Array<[MemoryStream<Impression> | MemoryStream<Click>, Row[]]> => [
      [s.impressions, [A, B, C]],
      [s.clicks, [click('A', '10:20')]],
      [s.clicks, [click('C', '10:50')]],   // matches C, buffered before the restart
      [s.impressions, [D]],
      [s.clicks, [click('Y', '11:30')]],   // watermark 11:10: B evicted unmatched; A was matched before the restart
    ];

    async function uninterrupted(): Promise<Row[]> {
      const spark = testSession();
      const s = watermarked(spark);
      const run = record(s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'leftOuter'));
      await steps(run, plan(s));
      await run.query.stop();
      return run.all();
    }

    it('resumes with the buffered rows and their matched flags: outputs equal an uninterrupted run, none repeated', async () => {
      const expected = await uninterrupted();
      expect(expected).toEqual(sortRows([joined(A, click('A', '10:20')), joined(C, click('C', '10:50')), joined(B, null)]));
      const spark = testSession();
      const s = watermarked(spark);
      const df = s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'leftOuter');
      const checkpoint = join(dir, 'cp');
      const steps1 = plan(s).slice(0, 2);
      const steps2 = plan(s).slice(2);
      const first = record(df, 'append', checkpoint);
      await steps(first, steps1);
      await first.query.stop();
      const second = record(df, 'append', checkpoint);
      await steps(second, steps2);
      await second.query.stop();
      expect(first.all()).toEqual([joined(A, click('A', '10:20'))]);
      expect(sortRows([...first.all(), ...second.all()])).toEqual(expected);
      expect(Math.min(...second.batches.map((b) => b.batchId))).toBeGreaterThan(Math.max(...first.batches.map((b) => b.batchId)));
    });

    it('re-runs a batch that failed before its commit with the state as of the last commit, emitting each match once', async () => {
      const expected = await uninterrupted();
      const spark = testSession();
      const s = watermarked(spark);
      const df = s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'leftOuter');
      const checkpoint = join(dir, 'cp');
      const seen: Row[] = [];
      let failures = 0;
      const start = () => df.writeStream.option('checkpointLocation', checkpoint).foreachBatch(async (batch) => {
        const rows = await batch.collect();
        if (rows.some((r) => r['clickAdId'] === 'C') && failures === 0) {
          failures++;
          throw new Error('sink down');
        }
        seen.push(...rows);
      }).start();
      const p = plan(s);
      let q = start();
      for (const [i, [stream, rows]] of p.entries()) {
        (stream as MemoryStream<Row>).addData(rows);
        if (i === 2) {
          await expect(q.processAllAvailable()).rejects.toThrow(/sink down/);
          q = start();
        }
        await q.processAllAvailable();
      }
      await q.stop();
      expect(failures).toBe(1);
      expect(sortRows(seen)).toEqual(expected);
    });
  });

  describe('cascaded and followed by aggregations', () => {
    const conversionSchema = T.struct([T.field('conversionAdId', T.string()), T.field('conversionTime', T.timestamp())]);

    it('refuses to join a joined stream that carries two event-time columns, naming them', () => {
      const spark = testSession();
      const s = watermarked(spark);
      const conversions = new MemoryStream(spark, conversionSchema).toDF().withWatermark('conversionTime', '10 minutes');
      const clicked = s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR));
      expect(() => clicked.join(conversions, 'conversionAdId = clickAdId'))
        .toThrow(/More than one event time columns are available.*the left side of this stream-stream join has event time columns \[impressionTime, clickTime\]/);
    });

    it('cascades two stream-stream joins: impressions ⋈ clicks ⋈ conversions, each with its own time constraint', async () => {
      const spark = testSession();
      const s = watermarked(spark);
      const conversionsIn = new MemoryStream(spark, conversionSchema);
      const conversions = conversionsIn.toDF().withWatermark('conversionTime', '10 minutes');
      const clicked = s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR)).drop('impressionTime');
      const converted = clicked.join(conversions,
        'conversionAdId = clickAdId AND conversionTime >= clickTime AND conversionTime <= clickTime + interval 30 minutes', 'left_outer');
      const run = record(converted);
      s.impressions.addData([imp('A', '10:00'), imp('B', '10:01')]);
      await run.query.processAllAvailable();
      s.clicks.addData([click('A', '10:10'), click('B', '10:11')]);
      await run.query.processAllAvailable();
      conversionsIn.addData([{ conversionAdId: 'A', conversionTime: at('10:20') }]);
      await run.query.processAllAvailable();
      expect(run.all()).toEqual([{ impressionAdId: 'A', clickAdId: 'A', clickTime: at('10:10'), conversionAdId: 'A', conversionTime: at('10:20') }]);
      // Move every stream on: B's click (10:11) can no longer convert once the watermark passes 10:41.
      s.impressions.addData([imp('Z', '12:00')]);
      await run.query.processAllAvailable();
      s.clicks.addData([click('Z', '12:00')]);
      await run.query.processAllAvailable();
      conversionsIn.addData([{ conversionAdId: 'Q', conversionTime: at('12:00') }]);
      await run.query.processAllAvailable();
      expect(run.all()).toEqual(sortRows([
        { impressionAdId: 'A', clickAdId: 'A', clickTime: at('10:10'), conversionAdId: 'A', conversionTime: at('10:20') },
        { impressionAdId: 'B', clickAdId: 'B', clickTime: at('10:11'), conversionAdId: null, conversionTime: null },
      ]));
      expect(run.query.lastProgress?.stateOperators.map((o) => o.operatorName)).toEqual(['symmetricHashJoin', 'symmetricHashJoin']);
      await run.query.stop();
    });

    it('feeds a windowed aggregation in append mode that counts the late null-padded rows instead of dropping them', async () => {
      const spark = testSession();
      const s = watermarked(spark);
      const perHour = s.impDF.join(s.clickDF, expr(WITHIN_AN_HOUR), 'leftOuter')
        .groupBy(window(col('impressionTime'), '1 hour'))
        .agg(count('*').alias('impressions'), count('clickAdId').alias('clicks'))
        .select('window.start', 'impressions', 'clicks');
      const run = record(perHour);
      await steps(run, [
        [s.impressions, [imp('A', '10:00'), imp('B', '10:05'), imp('C', '10:40')]],
        [s.clicks, [click('A', '10:20')]],
        [s.impressions, [imp('D', '11:13')]],
        [s.clicks, [click('Y', '11:13')]],   // watermark 11:03: past the end of [10:00, 11:00), but B (10:05) may still be clicked
        [s.impressions, [imp('E', '11:30')]],
        [s.clicks, [click('Y', '11:30')]],   // watermark 11:20: B is emitted null-padded, though 11:00 <= 11:03
        [s.impressions, [imp('F', '14:00')]],
        [s.clicks, [click('Z', '14:00')]],   // watermark 13:50: C, D, E emitted; the join's output watermark 12:49:59.999 closes both windows
      ]);
      // The aggregation sees the join's output watermark (input minus the hour), so no joined row is late for it.
      expect(run.all()).toEqual([{ start: at('10:00'), impressions: 3, clicks: 1 }, { start: at('11:00'), impressions: 2, clicks: 0 }]);
      await run.query.stop();
    });
  });
});
