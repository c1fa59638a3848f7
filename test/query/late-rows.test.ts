// Late rows go to a dead-letter sink (withWatermark(...).onLateRows(sink)) instead of vanishing:
// the notes' walk-through with a dead-letter file sink holding exactly the dropped row, also
// after the epoch that dropped it is re-run; every operator that drops rows by the watermark
// routes them with its name and the watermark; the rows maxFutureSkew drops too.
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupStateTimeout, MemoryStream, col, count, expr, lit, sessionWindow, sum, toTimestamp, window, types as T } from '../../src/index.js';
import type { DataFrame, GroupState, LateRowsSink, Row, Session } from '../../src/index.js';
import { SimulatedClock } from 'xstate';
import { DEAD_LETTER_SCHEMA } from '../../src/query/dead-letter-sink.js';
import { at, record } from '../support/batches.js';
import { sortRows, testSession } from '../support/helpers.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'spate-late-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const tradeSchema = T.struct([
  T.field('CreatedTime', T.string()), T.field('Type', T.string()),
  T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
]);
const trade = (hhmm: string, Type: string, Amount: number) => ({ CreatedTime: `2019-02-05 ${hhmm}:00`, Type, Amount, BrokerCode: 'ABX' });
const walkThrough = [
  [trade('10:05', 'BUY', 500)], [trade('10:40', 'BUY', 900)], [trade('10:20', 'BUY', 800)],
  [trade('10:48', 'SELL', 600)], [trade('10:14', 'SELL', 300), trade('10:16', 'SELL', 300)],
];

function tradesByWindow(input: MemoryStream<Row>, late: LateRowsSink): DataFrame {
  return input.toDF()
    .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
    .withWatermark('CreatedTime', '30 minutes').onLateRows(late)
    .groupBy(window(col('CreatedTime'), '15 minutes'))
    .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
         sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
    .named('trades-by-window')
    .select('window.*', 'BUY', 'SELL');
}

const readLate = (spark: Session) => spark.read.format('json').schema(DEAD_LETTER_SCHEMA).load(join(dir, 'late')).collect();

describe('onLateRows', () => {
  it("holds exactly the row the notes' walk-through drops, once, also when the epoch that dropped it is re-run", async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, tradeSchema);
    const late: LateRowsSink = { format: 'json', path: join(dir, 'late') };
    const run = record(tradesByWindow(input, late), 'update', (w) => w.option('checkpointLocation', join(dir, 'cp')));
    for (const batch of walkThrough) {
      input.addData(batch);
      await run.query.processAllAvailable();
    }
    await run.query.stop();
    const dropped = {
      operator: 'trades-by-window', reason: 'late', watermark: at('10:18'), batchId: 7,
      value: JSON.stringify({ CreatedTime: at('10:14'), Type: 'SELL', Amount: 300, BrokerCode: 'ABX' }),
    };
    expect(await readLate(spark)).toEqual([dropped]);
    const last = run.query.lastProgress!;
    expect(last.stateOperators[0]!.numRowsDroppedByWatermark).toBe(1);
    expect(last.deadLetterSink).toEqual({ description: `FileSink[${join(dir, 'late')}]`, numOutputRows: 1 });
    expect(run.query.recentProgress.slice(0, -1).every((p) => p.deadLetterSink!.numOutputRows === 0)).toBe(true);

    // As if the process died after the sinks committed epoch 7 but before its commit marker: the
    // restart re-runs epoch 7, drops the same row again, and the dead-letter sink keeps one copy.
    unlinkSync(join(dir, 'cp', 'commits', '7'));
    const again = record(tradesByWindow(input, late), 'update', (w) => w.option('checkpointLocation', join(dir, 'cp')));
    await again.query.processAllAvailable();
    await again.query.stop();
    expect(again.batches.map((b) => b.batchId)).toEqual([7]);
    expect(again.query.lastProgress!.deadLetterSink!.numOutputRows).toBe(0);
    expect(await readLate(spark)).toEqual([dropped]);
  });

  describe('routes the late rows of every operator that drops them, with its name and watermark', () => {
    const events = T.struct([T.field('id', T.string()), T.field('ts', T.timestamp())]);
    let tables = 0;

    /** Two batches: 10:30 moves the watermark to 10:20, then a row of 10:05 arrives; the dead letters. */
    async function lateOf(build: (df: DataFrame) => DataFrame, mode: 'append' | 'update' = 'append'): Promise<Row[]> {
      const spark = testSession();
      const input = new MemoryStream<Row>(spark, events);
      const name = `late${tables++}`;
      const run = record(build(input.toDF().withWatermark('ts', '10 minutes').onLateRows({ format: 'memory', options: { queryName: name } })), mode);
      input.addData({ id: 'a', ts: at('10:30') });
      await run.query.processAllAvailable();
      input.addData({ id: 'a', ts: at('10:05') });
      await run.query.processAllAvailable();
      await run.query.stop();
      return sortRows(await spark.table(name).collect()).map((r) => ({ ...r, value: JSON.parse(r['value'] as string) }));
    }
    const lateRow = (operator: string) => ({ operator, reason: 'late', watermark: at('10:20'), batchId: 2, value: { id: 'a', ts: at('10:05').toISOString() } });

    it('dropDuplicates', async () => {
      expect(await lateOf((df) => df.dropDuplicates(['id', 'ts']).named('dedup'))).toEqual([lateRow('dedup')]);
    });

    it('a sliding window: once for each window the row was too late for, as the counter counts', async () => {
      const rows = await lateOf((df) => df.groupBy(window(col('ts'), '10 minutes', '5 minutes')).agg(count(lit(1)).alias('n')).named('sliding'));
      expect(rows).toEqual([lateRow('sliding'), lateRow('sliding')]);
    });

    it('a session window', async () => {
      const rows = await lateOf((df) => df.groupBy(col('id'), sessionWindow(col('ts'), '5 minutes')).agg(count(lit(1)).alias('n')).named('sessions'));
      expect(rows).toEqual([lateRow('sessions')]);
    });

    it('flatMapGroupsWithState with an event-time timeout', async () => {
      const rows = await lateOf((df) => df.groupByKey((r) => r['id'] as string).flatMapGroupsWithState(
        { outputMode: 'append', timeout: GroupStateTimeout.EventTimeTimeout, outputSchema: T.struct([T.field('id', T.string())]) },
        (_id: string, _rows: Row[], _state: GroupState<number>) => [],
      ).named('per-id'));
      expect(rows).toEqual([lateRow('per-id')]);
    });

    it('a stream-stream join', async () => {
      const spark = testSession();
      const left = new MemoryStream<Row>(spark, events);
      const right = new MemoryStream<Row>(spark, T.struct([T.field('rid', T.string()), T.field('rts', T.timestamp())]));
      const joined = left.toDF().withWatermark('ts', '10 minutes').onLateRows({ format: 'memory', options: { queryName: 'join_late' } })
        .join(right.toDF().withWatermark('rts', '10 minutes').onLateRows({ format: 'memory', options: { queryName: 'join_late' } }), 'id = rid AND rts >= ts AND rts <= ts + interval 5 minutes')
        .named('pairs');
      const run = record(joined, 'append');
      left.addData({ id: 'a', ts: at('10:30') });
      right.addData({ rid: 'a', rts: at('10:31') });
      await run.query.processAllAvailable();
      right.addData({ rid: 'b', rts: at('10:05') });
      await run.query.processAllAvailable();
      await run.query.stop();
      const rows = (await spark.table('join_late').collect()).map((r) => ({ ...r, value: JSON.parse(r['value'] as string) }));
      expect(rows).toEqual([{ operator: 'pairs', reason: 'late', watermark: at('10:20'), batchId: 2, value: { rid: 'b', rts: at('10:05').toISOString() } }]);
    });

    it('the rows maxFutureSkew drops, named after their withWatermark', async () => {
      const spark = testSession();
      const input = new MemoryStream<Row>(spark, events);
      const counts = input.toDF().withWatermark('ts', '10 minutes', { maxFutureSkew: '1 hour', lateRows: { format: 'memory', options: { queryName: 'future' } } })
        .groupBy(window(col('ts'), '10 minutes')).agg(count(lit(1)).alias('n'));
      const clock = new SimulatedClock();
      clock.set(at('10:00').getTime());
      const run = record(counts, 'append', (w) => w.clock(clock));
      input.addData([{ id: 'a', ts: at('10:30') }, { id: 'bogus', ts: new Date('2020-02-05T10:00:00Z') }]);
      await run.query.processAllAvailable();
      await run.query.stop();
      const rows = (await spark.table('future').collect()).map((r) => ({ ...r, value: JSON.parse(r['value'] as string) }));
      expect(rows).toEqual([{ operator: 'withWatermark(ts)', reason: 'maxFutureSkew', watermark: new Date(0), batchId: 0, value: { id: 'bogus', ts: '2020-02-05T10:00:00.000Z' } }]);
    });
  });

  it('hands foreachBatch dead-letter sinks a DataFrame of the batch, with its id', async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, tradeSchema);
    const seen: { batchId: number; rows: Row[] }[] = [];
    const run = record(tradesByWindow(input, async (batch, batchId) => { seen.push({ batchId, rows: await batch.collect() }); }), 'append');
    for (const batch of walkThrough) {
      input.addData(batch);
      await run.query.processAllAvailable();
    }
    await run.query.stop();
    expect(seen.map((s) => [s.batchId, s.rows.map((r) => r['operator'])])).toEqual([[7, ['trades-by-window']]]);
  });

  it('refuses a misplaced onLateRows, two different dead-letter sinks, and a file one without a checkpoint', () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, T.struct([T.field('ts', T.timestamp())]));
    expect(() => input.toDF().onLateRows({ format: 'console' })).toThrow('onLateRows(sink) must directly follow withWatermark');
    const a = input.toDF().withWatermark('ts', '1 minute').onLateRows({ format: 'memory', options: { queryName: 'a' } });
    const b = input.toDF().withWatermark('ts', '1 minute').onLateRows({ format: 'memory', options: { queryName: 'b' } });
    expect(() => a.union(b).writeStream.format('console').start()).toThrow('a query sends its late rows to one dead-letter sink, and this one names 2');
    expect(() => input.toDF().withWatermark('ts', '1 minute').onLateRows({ format: 'json', path: join(dir, 'late') }).writeStream.format('console').start())
      .toThrow('the dead-letter sink json needs the query\'s checkpointLocation');
  });
});
