// withWatermark's options beyond Spark, end to end on a simulated clock (processing time moves
// only when the test moves it): an idle stream stops stalling the watermark (idleTimeout), and
// a row dated far in the future cannot leap it (maxFutureSkew).
import { SimulatedClock } from 'xstate';
import { MemoryStream, col, count, expr, lit, sum, toTimestamp, window, types as T } from '../../src/index.js';
import type { DataFrame, StreamingQuery, WatermarkOptions } from '../../src/index.js';
import { at, record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const events = T.struct([T.field('ts', T.timestamp()), T.field('src', T.string())]);
const MINUTE = 60_000;

function clockAt(iso: string): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(Date.parse(iso));
  return clock;
}

describe('withWatermark idleTimeout', () => {
  /** Two unioned streams with a 10-minute watermark each, counted in 10-minute windows, in append mode. */
  function unionOfTwo(options?: WatermarkOptions) {
    const clock = clockAt('2024-01-01T12:00:00Z');
    const spark = testSession();
    const fast = new MemoryStream(spark, events);
    const slow = new MemoryStream(spark, events);
    const both: DataFrame = fast.toDF().withWatermark('ts', '10 minutes', options)
      .union(slow.toDF().withWatermark('ts', '10 minutes', options))
      .groupBy(window(col('ts'), '10 minutes')).agg(count(lit(1)).alias('n')).select('window.start', 'n');
    const run = record(both, 'append', (w) => w.clock(clock));
    /** Moves processing time on by `ms`, then adds rows (a trigger runs as soon as rows arrive) and runs what is due. */
    const step = async (ms: number, add: () => void = () => undefined): Promise<void> => {
      clock.increment(ms);
      add();
      await run.query.processAllAvailable();
    };
    return { clock, fast, slow, run, step, emitted: () => run.batches.flatMap((b) => b.rows) };
  }
  const dropped = (q: StreamingQuery): number => q.recentProgress.reduce((n, p) => n + (p.stateOperators[0]?.numRowsDroppedByWatermark ?? 0), 0);

  it('closes windows once the quiet stream has been idle for the timeout, counts its late rows when it resumes, and lets it hold the watermark again', async () => {
    const t = unionOfTwo({ idleTimeout: '1 minute' });
    await t.step(0, () => {
      t.fast.addData({ ts: at('10:00'), src: 'fast' });
      t.slow.addData({ ts: at('10:02'), src: 'slow' });
    });
    await t.step(30_000, () => t.fast.addData({ ts: at('10:25'), src: 'fast' }));
    // The slow stream (09:52) holds the watermark: nothing is final.
    expect(t.emitted()).toEqual([]);
    expect(t.run.query.lastProgress!.watermarks!.map((w) => [w.watermark, w.idle])).toEqual([
      [at('10:15').toISOString(), false], [at('09:52').toISOString(), false],
    ]);

    // A minute after its last row the slow stream is idle: the fast one sets the watermark (10:15).
    await t.step(31_000);
    expect(t.emitted()).toEqual([{ start: at('10:00'), n: 2 }]);
    expect(t.run.query.lastProgress!.eventTime.watermark).toBe(at('10:15').toISOString());
    expect(t.run.query.lastProgress!.watermarks!.map((w) => w.idle)).toEqual([false, true]);

    // The slow stream resumes with a row for the closed window: late, dropped and counted.
    await t.step(1_000, () => t.slow.addData({ ts: at('10:05'), src: 'slow' }));
    expect(dropped(t.run.query)).toBe(1);
    expect(t.run.query.lastProgress!.watermarks!.map((w) => w.idle)).toEqual([false, false]);

    // Active again, it holds the watermark (09:55 < 10:15): the fast stream's 10:40 closes nothing…
    await t.step(1_000, () => t.fast.addData({ ts: at('10:40'), src: 'fast' }));
    expect(t.emitted()).toEqual([{ start: at('10:00'), n: 2 }]);
    // …until the slow stream is idle again.
    await t.step(MINUTE);
    await t.run.query.stop();
    expect(t.emitted()).toEqual([{ start: at('10:00'), n: 2 }, { start: at('10:20'), n: 1 }]);
  });

  it('without it, the quiet stream holds the watermark back for ever, as in Spark', async () => {
    const t = unionOfTwo();
    await t.step(0, () => {
      t.fast.addData({ ts: at('10:00'), src: 'fast' });
      t.slow.addData({ ts: at('10:02'), src: 'slow' });
    });
    await t.step(30_000, () => t.fast.addData({ ts: at('10:25'), src: 'fast' }));
    await t.step(60 * MINUTE);
    await t.run.query.stop();
    expect(t.emitted()).toEqual([]);
    expect(t.run.query.lastProgress!.eventTime.watermark).toBe(at('09:52').toISOString());
  });

  it('refuses an unknown option and a zero timeout with messages naming them', () => {
    const df = new MemoryStream(testSession(), events).toDF();
    expect(() => df.withWatermark('ts', '1 minute', { idleTimout: '1 minute' } as WatermarkOptions))
      .toThrow("withWatermark has no option 'idleTimout': the options are idleTimeout, perPartition, maxFutureSkew");
    expect(() => df.withWatermark('ts', '1 minute', { idleTimeout: 0 })).toThrow('idleTimeout must be longer than 0');
    expect(() => df.withWatermark('ts', '1 minute', { maxFutureSkew: 'soon' })).toThrow("cannot parse interval 'soon'");
  });
});

describe('withWatermark maxFutureSkew', () => {
  const schema = T.struct([
    T.field('CreatedTime', T.string()), T.field('Type', T.string()),
    T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
  ]);
  const trade = (time: string, Type: string, Amount: number) => ({ CreatedTime: time, Type, Amount, BrokerCode: 'ABX' });

  /** The notes' trades windows in append mode, processing time 2019-02-05 10:50 UTC. */
  async function tradesWith(options?: WatermarkOptions) {
    const clock = clockAt('2019-02-05T10:50:00Z');
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const windows = input.toDF()
      .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
      .withWatermark('CreatedTime', '30 minutes', options)
      .groupBy(window(col('CreatedTime'), '15 minutes'))
      .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
           sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
      .select('window.*', 'BUY', 'SELL');
    const run = record(windows, 'append', (w) => w.clock(clock));
    input.addData([trade('2019-02-05 10:05:00', 'BUY', 500)]);
    await run.query.processAllAvailable();
    input.addData([trade('2020-02-05 10:06:00', 'BUY', 1)]); // a year ahead: a bogus clock upstream
    await run.query.processAllAvailable();
    input.addData([trade('2019-02-05 10:07:00', 'SELL', 200)]);
    await run.query.processAllAvailable();
    input.addData([trade('2019-02-05 11:00:00', 'SELL', 100)]); // moves the watermark to 10:30
    await run.query.processAllAvailable();
    await run.query.stop();
    return run;
  }

  it('drops and counts a row dated next year instead of letting it close every open window', async () => {
    const run = await tradesWith({ maxFutureSkew: '10 minutes' });
    const progress = run.query.recentProgress;
    expect(progress.map((p) => p.watermarks![0]!.numRowsDroppedByMaxFutureSkew).reduce((a, b) => a + b)).toBe(1);
    expect(progress.every((p) => p.eventTime.watermark! < '2019-02-06')).toBe(true);
    // [10:00, 10:15) stayed open for the 10:07 sell and closed when the real 11:00 trade moved the watermark.
    expect(run.batches.flatMap((b) => b.rows)).toEqual([{ start: at('10:00'), end: at('10:15'), BUY: 500, SELL: 200 }]);
    expect(progress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0)).toBe(0);
  });

  it('without it, the bogus row leaps the watermark a year ahead and the 10:07 sell is dropped as late', async () => {
    const run = await tradesWith();
    expect(run.batches.flatMap((b) => b.rows)).toEqual([
      { start: at('10:00'), end: at('10:15'), BUY: 500, SELL: null },
    ]);
    expect(run.query.recentProgress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0)).toBe(2);
  });
});
