// spate/testing as a user's test uses it: the README's example over the notes' trades windows,
// event time declared without rows, processing time moved for timeouts and idle partitions, a
// restart from a checkpoint; and the TestClock on its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupStateTimeout, Session, col, count, expr, lit, sum, toTimestamp, window, types as T } from 'spate';
import type { DataFrame, GroupState, Row } from 'spate';
import { TestClock, TestStream, startTest } from 'spate/testing';

const at = (hhmm: string): Date => new Date(`2019-02-05T${hhmm}:00Z`);
const spark = Session.builder().config('spate.sql.shuffle.partitions', 2).create();

describe('spate/testing', () => {
  it("tests the notes' trades windows batch by batch, as the README shows", async () => {
    const schema = T.struct([T.field('CreatedTime', T.string()), T.field('Type', T.string()), T.field('Amount', T.integer())]);
    const trade = (hhmm: string, Type: string, Amount: number) => ({ CreatedTime: `2019-02-05 ${hhmm}:00`, Type, Amount });
    const trades = new TestStream(spark, schema);
    const windows = trades.toDF()
      .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
      .withWatermark('CreatedTime', '30 minutes')
      .groupBy(window(col('CreatedTime'), '15 minutes'))
      .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
           sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
      .select('window.*', 'BUY', 'SELL');

    const t = startTest(windows, { outputMode: 'append' });
    expect(await t.addData(trades, [trade('10:05', 'BUY', 500), trade('10:12', 'SELL', 200)])).toEqual([
      { batchId: 0, rows: [] },
      { batchId: 1, rows: [] },           // the no-data batch the new watermark (09:42) runs
    ]);
    // Event time reaches 10:48 without a trade: the watermark moves to 10:18, [10:00, 10:15) is final.
    expect(await t.advanceEventTime(trades, at('10:48'))).toEqual([
      { batchId: 2, rows: [] },
      { batchId: 3, rows: [{ start: at('10:00'), end: at('10:15'), BUY: 500, SELL: 200 }] },
    ]);
    // A trade for that window now is late: dropped, counted.
    expect(await t.addData(trades, trade('10:14', 'BUY', 1))).toEqual([{ batchId: 4, rows: [] }]);
    expect(t.progress.at(-1)!.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
    await t.stop();
  });

  it('moves processing time to fire a timeout, never waiting on the wall clock', async () => {
    const events = T.struct([T.field('user', T.string())]);
    const clicks = new TestStream(spark, events);
    const sessions = clicks.toDF().groupByKey((r) => r['user'] as string).flatMapGroupsWithState(
      { outputMode: 'append', timeout: GroupStateTimeout.ProcessingTimeTimeout, outputSchema: T.struct([T.field('user', T.string()), T.field('clicks', T.long())]) },
      (user: string, rows: Row[], state: GroupState<number>) => {
        if (state.hasTimedOut) {
          const n = state.get();
          state.remove();
          return [{ user, clicks: n }];
        }
        state.update((state.getOption() ?? 0) + rows.length);
        state.setTimeoutDuration('30 minutes');
        return [];
      },
    );
    const t = startTest(sessions, { outputMode: 'append', clock: new TestClock('2024-01-01T12:00:00Z') });
    const rowsOf = (batches: { rows: Row[] }[]): Row[] => batches.flatMap((b) => b.rows);
    expect(rowsOf(await t.addData(clicks, [{ user: 'ann' }, { user: 'ann' }]))).toEqual([]);
    expect(rowsOf(await t.advanceProcessingTime('29 minutes'))).toEqual([]);
    expect(rowsOf(await t.advanceProcessingTime('2 minutes'))).toEqual([{ user: 'ann', clicks: 2 }]);
    await t.stop();
  });

  it('adds rows to partitions, so a test can see a quiet partition go idle and release the watermark', async () => {
    const events = T.struct([T.field('ts', T.timestamp())]);
    const input = new TestStream(spark, events);
    const counts = input.toDF().withWatermark('ts', '10 minutes', { perPartition: true, idleTimeout: '1 minute' })
      .groupBy(window(col('ts'), '10 minutes')).agg(count(lit(1)).alias('n')).select('window.start', 'n');
    const t = startTest(counts, { outputMode: 'append' });
    await t.addData(input, [{ ts: at('10:00') }], { partition: 'p0' });
    await t.addData(input, [{ ts: at('10:02') }], { partition: 'p1' });
    await t.advanceProcessingTime('30 seconds');
    await t.addData(input, [{ ts: at('10:25') }], { partition: 'p0' });
    expect(t.batches.flatMap((b) => b.rows)).toEqual([]);
    expect(await t.advanceProcessingTime('31 seconds')).toEqual([{ batchId: expect.any(Number), rows: [{ start: at('10:00'), n: 2 }] }]);
    expect(t.progress.at(-1)!.watermarks![0]!.partitions!.map((p) => [p.partition, p.idle])).toEqual([['p0', false], ['p1', true]]);
    await t.stop();
  });

  it('restarts a query from its checkpoint with the same streams', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spate-testing-'));
    try {
      const input = new TestStream(spark, T.struct([T.field('word', T.string())]));
      const counts = (): DataFrame => input.toDF().groupBy('word').count();
      const first = startTest(counts(), { outputMode: 'update', checkpointLocation: dir });
      await first.addData(input, [{ word: 'a' }, { word: 'b' }]);
      await first.stop();
      input.addData({ word: 'a' });
      const second = startTest(counts(), { outputMode: 'update', checkpointLocation: dir });
      expect(await second.run()).toEqual([{ batchId: 1, rows: [{ word: 'a', count: 2 }] }]);
      await second.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TestClock', () => {
  it('fires each timer at its own instant, in order, and not a cancelled one', () => {
    const clock = new TestClock('2024-01-01T00:00:00Z');
    const fired: string[] = [];
    const stamp = (name: string) => () => fired.push(`${name}@${new Date(clock.now()).toISOString().slice(11, 19)}`);
    clock.setTimeout(stamp('b'), 20_000);
    clock.setTimeout(stamp('a'), 10_000);
    const gone = clock.setTimeout(stamp('x'), 15_000);
    clock.setTimeout(() => { stamp('c')(); clock.setTimeout(stamp('d'), 5_000); }, 20_000);
    clock.clearTimeout(gone);
    clock.advance('30 seconds');
    expect(fired).toEqual(['a@00:00:10', 'b@00:00:20', 'c@00:00:20', 'd@00:00:25']);
    expect(clock.now()).toBe(Date.parse('2024-01-01T00:00:30Z'));
    expect(() => clock.advanceTo('2024-01-01T00:00:00Z')).toThrow('TestClock cannot move back');
    expect(() => new TestClock('2024-01-01 00:00')).toThrow('an ISO-8601 time with its zone');
  });
});
