// The notes' stream-stream join: ad impressions joined with ad clicks, first as a plain inner
// join (all state kept), then with watermarks (10 minutes on each stream) and the one-hour
// time constraint, as an inner and as a left outer join. Each step adds data to one stream, so
// each step is one micro-batch, plus the no-data batch Spark runs when the watermark moved.
import { Session, expr } from 'spate';
import type { DataFrame } from 'spate';
import { testSession } from '../../support/helpers.js';
import { adStreams, click, imp, joinState, joined, record } from './support.js';

const WITHIN_AN_HOUR = 'clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour';

const A = imp('A', '10:00');
const B = imp('B', '10:05');
const C = imp('C', '10:10');
const D = imp('D', '11:20');
const E = imp('E', '12:30');
const clickA = click('A', '10:20');
const clickX = click('X', '11:15');
const clickY = click('Y', '11:30');

describe("the notes' impressions ⋈ clicks", () => {
  afterEach(async () => { await Session.getActiveSession()?.stop(); });

  it('an inner join without watermarks matches rows across micro-batches in both directions and keeps all state', async () => {
    const spark = testSession();
    const { impressions, clicks } = adStreams(spark);
    const run = record(impressions.toDF().join(clicks.toDF(), expr('clickAdId = impressionAdId')));

    impressions.addData([A, B]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(0)).toEqual([]);

    const lateClickA = click('A', '13:00');
    clicks.addData([clickA, lateClickA]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(1)).toEqual([joined(A, clickA), joined(A, lateClickA)]);

    const secondA = imp('A', '14:00');
    impressions.addData([secondA]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(2)).toEqual([joined(secondA, clickA), joined(secondA, lateClickA)]);

    expect(run.batches.map((b) => b.batchId)).toEqual([0, 1, 2]);
    const state = joinState(run.query);
    expect(state.numRowsTotal).toBe(5);
    expect(state.numRowsUpdated).toBe(1);
    expect(state.numRowsRemoved).toBe(0);
    expect(state.customMetrics).toMatchObject({ leftRows: 3, rightRows: 2 });
    await run.query.stop();
  });

  describe('with 10-minute watermarks and the one-hour constraint', () => {
    const streams = (spark: ReturnType<typeof testSession>, how: string) => {
      const s = adStreams(spark);
      const df: DataFrame = s.impressions.toDF().withWatermark('impressionTime', '10 minutes')
        .join(s.clicks.toDF().withWatermark('clickTime', '10 minutes'), expr(WITHIN_AN_HOUR), how);
      return { ...s, run: record(df) };
    };

    it('an inner join emits only clicks within an hour of their impression, and its state shrinks as the watermark passes', async () => {
      const spark = testSession();
      const { impressions, clicks, run } = streams(spark, 'inner');
      impressions.addData([A, B, C]);                  // batch 0
      await run.query.processAllAvailable();
      clicks.addData([clickA, click('B', '11:30')]);   // batch 1; B's click is 85 minutes late; then a no-data batch 2 (wm 10:00)
      await run.query.processAllAvailable();
      expect(run.rowsOf(1)).toEqual([joined(A, clickA)]);
      expect(joinState(run.query).numRowsTotal).toBe(5);

      impressions.addData([D]);                        // batch 3 → watermark min(11:10, 11:20) = 11:10, no-data batch 4
      await run.query.processAllAvailable();
      expect(run.batches.map((b) => b.batchId)).toEqual([0, 1, 2, 3, 4]);
      expect(run.all()).toEqual([joined(A, clickA)]);
      // Impressions before 10:10 and clicks before 11:10 can never match again: A, B, click A gone.
      const state = joinState(run.query);
      expect(state.numRowsRemoved).toBe(3);
      expect(state.numRowsTotal).toBe(3);
      expect(state.customMetrics).toMatchObject({ leftRows: 2, rightRows: 1, leftRowsRemoved: 2, rightRowsRemoved: 1 });
      await run.query.stop();
    });

    it('a left outer join emits an unclicked impression null-padded only once the watermark passes its time plus one hour', async () => {
      const spark = testSession();
      const { impressions, clicks, run } = streams(spark, 'leftOuter');
      const progressOf = (id: number) => run.query.recentProgress.find((p) => p.batchId === id)!;

      impressions.addData([A, B, C]);                  // batch 0, watermark 0 (clicks have none yet, so min stays 0)
      await run.query.processAllAvailable();
      clicks.addData([clickA]);                        // batch 1 → watermark min(10:00, 10:10) = 10:00 for no-data batch 2
      await run.query.processAllAvailable();
      expect(run.rowsOf(1)).toEqual([joined(A, clickA)]);
      expect(run.rowsOf(2)).toEqual([]);

      clicks.addData([clickX]);                        // batch 3; impressions hold the watermark at 10:00
      await run.query.processAllAvailable();
      impressions.addData([D]);                        // batch 4 → watermark min(11:10, 11:05) = 11:05, no-data batch 5
      await run.query.processAllAvailable();
      expect(progressOf(5).eventTime.watermark).toBe('2024-03-01T11:05:00.000Z');
      // B (10:05) could still be clicked at 11:05: nothing emitted. A (matched, 10:00) and click A are evicted.
      expect(run.rowsOf(4)).toEqual([]);
      expect(run.rowsOf(5)).toEqual([]);
      expect(joinState(run.query)).toMatchObject({ numRowsTotal: 4, numRowsRemoved: 2, customMetrics: expect.objectContaining({ leftRows: 3, rightRows: 1 }) });

      clicks.addData([clickY]);                        // batch 6 → watermark min(11:10, 11:20) = 11:10, no-data batch 7
      await run.query.processAllAvailable();
      expect(progressOf(7).eventTime.watermark).toBe('2024-03-01T11:10:00.000Z');
      expect(run.rowsOf(6)).toEqual([]);
      expect(run.rowsOf(7)).toEqual([joined(B, null)]);
      expect(joinState(run.query)).toMatchObject({ numRowsTotal: 4, numRowsRemoved: 1 });

      impressions.addData([E]);                        // batch 8 → watermark min(12:20, 11:20) = 11:20, no-data batch 9
      await run.query.processAllAvailable();
      expect(run.rowsOf(9)).toEqual([joined(C, null)]);
      expect(run.all()).toEqual([joined(A, clickA), joined(B, null), joined(C, null)].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
      // Left: D, E; right: Y (X at 11:15 fell below the watermark).
      expect(joinState(run.query)).toMatchObject({ numRowsTotal: 3, customMetrics: expect.objectContaining({ leftRows: 2, rightRows: 1 }) });
      await run.query.stop();
    });

    it('drops a click at or below the previous batch watermark as late, and counts it', async () => {
      const spark = testSession();
      const { impressions, clicks, run } = streams(spark, 'leftOuter');
      impressions.addData([A, B, C]);
      await run.query.processAllAvailable();
      clicks.addData([clickA]);                        // batches 1, 2 (watermark 10:00)
      await run.query.processAllAvailable();
      clicks.addData([click('B', '09:59')]);           // batch 3: 09:59 <= 10:00, late
      await run.query.processAllAvailable();
      expect(run.rowsOf(3)).toEqual([]);
      expect(joinState(run.query).numRowsDroppedByWatermark).toBe(1);
      await run.query.stop();
    });
  });
});
