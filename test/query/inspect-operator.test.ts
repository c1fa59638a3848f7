// `spate state inspect`: one operator's state rows as of a committed batch, read while the query
// keeps running on the checkpoint (which it never notices), for each kind of stateful operator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupStateTimeout, MemoryStream, col, expr, inspectOperatorState, sum, toTimestamp, window, types as T } from '../../src/index.js';
import type { DataFrame, GroupState, Row } from '../../src/index.js';
import { main as cli } from '../../src/daemon/cli.js';
import { at, record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const tradeSchema = T.struct([
  T.field('CreatedTime', T.string()), T.field('Type', T.string()),
  T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
]);
const trade = (hhmm: string, Type: string, Amount: number) => ({ CreatedTime: `2019-02-05 ${hhmm}:00`, Type, Amount, BrokerCode: 'ABX' });

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'spate-inspect-op-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

function tradesByWindow(input: MemoryStream<Row>): DataFrame {
  return input.toDF()
    .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
    .withWatermark('CreatedTime', '30 minutes')
    .groupBy(window(col('CreatedTime'), '15 minutes'))
    .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
         sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
    .named('trades-by-window')
    .select('window.*', 'BUY', 'SELL');
}

const win = (start: string, end: string) => ({ start: at(start), end: at(end) });
const cliOutput = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
  let out = '';
  let err = '';
  const code = await cli(args, { out: (t) => { out += t; }, err: (t) => { err += t; } });
  return { code, out, err };
};

describe('spate state inspect', () => {
  it("shows the trades windows' state of a running query at the last and at an earlier batch, by key, without disturbing it", async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, tradeSchema);
    const run = record(tradesByWindow(input), 'update', (w) => w.option('checkpointLocation', dir));
    for (const batch of [[trade('10:05', 'BUY', 500)], [trade('10:40', 'BUY', 900)], [trade('10:20', 'BUY', 800), trade('10:22', 'SELL', 100)]]) {
      input.addData(batch);
      await run.query.processAllAvailable();
    }
    // Batches 0-4 committed (with two no-data batches); the query keeps running.
    const last = await inspectOperatorState(dir, { operator: 'trades-by-window' });
    expect(last).toMatchObject({ location: dir, operator: 'trades-by-window', kind: 'aggregate', batch: 4 });
    const byStart = (rows: Row[]) => [...rows].sort((a, b) => (a['window'] as { start: Date }).start.getTime() - (b['window'] as { start: Date }).start.getTime());
    expect(byStart(last.rows)).toEqual([
      { window: win('10:00', '10:15'), BUY: 500, SELL: null },
      { window: win('10:15', '10:30'), BUY: 800, SELL: 100 },
      { window: win('10:30', '10:45'), BUY: 900, SELL: null },
    ]);
    expect((await inspectOperatorState(dir, { operator: 'trades-by-window', batch: 0 })).rows).toEqual([{ window: win('10:00', '10:15'), BUY: 500, SELL: null }]);
    expect((await inspectOperatorState(dir, { operator: 'trades-by-window', key: at('10:15').toISOString() })).rows)
      .toEqual([{ window: win('10:15', '10:30'), BUY: 800, SELL: 100 }]);

    // The CLI prints the same, as JSON or as a table.
    const json = await cliOutput(['state', 'inspect', dir, '--operator', 'trades-by-window', '--key', JSON.stringify(at('10:30').toISOString()), '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out).rows).toEqual([{ window: { start: at('10:30').toISOString(), end: at('10:45').toISOString() }, BUY: 900, SELL: null }]);
    const table = await cliOutput(['state', 'inspect', dir, '--operator=trades-by-window', '--batch', '0']);
    expect(table.out).toContain(`Operator trades-by-window (aggregate) of checkpoint ${dir}, after batch 0: 1 row\n`);
    expect(table.out).toMatch(/\|window\s*\|BUY\|SELL\|/);

    // The query never noticed: it goes on, and its state is what it would have been.
    input.addData([trade('10:48', 'SELL', 600)]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.query.exception()).toBeNull();
    expect(run.rowsOf(5)).toEqual([{ start: at('10:45'), end: at('11:00'), BUY: null, SELL: 600 }]);
  });

  it("shows a deduplication's keys with when they expire, and a GroupState's value and timeout", async () => {
    const spark = testSession();
    const events = T.struct([T.field('user', T.string()), T.field('ts', T.timestamp())]);
    const input = new MemoryStream<Row>(spark, events);
    const dedup = input.toDF().withWatermark('ts', '10 minutes').dropDuplicates(['user', 'ts']).named('seen');
    const q1 = record(dedup, 'append', (w) => w.option('checkpointLocation', join(dir, 'dedup')));
    input.addData([{ user: 'ann', ts: at('10:00') }, { user: 'ann', ts: at('10:00') }, { user: 'bob', ts: at('10:01') }]);
    await q1.query.processAllAvailable();
    await q1.query.stop();
    const seen = await inspectOperatorState(join(dir, 'dedup'), { operator: 'seen', key: ['bob', at('10:01').toISOString()] });
    expect(seen).toMatchObject({ kind: 'dropDuplicates', rows: [{ user: 'bob', ts: at('10:01'), expiresAt: at('10:01') }] });

    const counts = input.toDF().groupByKey((r) => r['user'] as string).mapGroupsWithState(
      { outputSchema: T.struct([T.field('user', T.string()), T.field('n', T.long())]), timeout: GroupStateTimeout.ProcessingTimeTimeout },
      (user: string, rows: Row[], state: GroupState<{ n: number }>) => {
        const n = (state.getOption()?.n ?? 0) + rows.length;
        state.update({ n });
        state.setTimeoutDuration('1 hour');
        return { user, n };
      },
    ).named('per-user');
    const q2 = record(counts, 'update', (w) => w.option('checkpointLocation', join(dir, 'gs')));
    await q2.query.processAllAvailable();
    await q2.query.stop();
    const perUser = await inspectOperatorState(join(dir, 'gs'), { operator: 'per-user', key: 'ann' });
    expect(perUser.kind).toBe('mapGroupsWithState');
    expect(perUser.rows).toEqual([{ key: 'ann', state: { n: 2 }, timeoutTimestamp: expect.any(Date) }]);
  });

  it("shows a stream-stream join's buffered rows, side by side", async () => {
    const spark = testSession();
    const imps = new MemoryStream<Row>(spark, T.struct([T.field('impressionAdId', T.string()), T.field('impressionTime', T.timestamp())]));
    const clicks = new MemoryStream<Row>(spark, T.struct([T.field('clickAdId', T.string()), T.field('clickTime', T.timestamp())]));
    const joined = imps.toDF().withWatermark('impressionTime', '10 minutes')
      .join(clicks.toDF().withWatermark('clickTime', '10 minutes'), 'clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour')
      .named('ad-clicks');
    const q = record(joined, 'append', (w) => w.option('checkpointLocation', dir));
    imps.addData([{ impressionAdId: 'a1', impressionTime: at('10:00') }, { impressionAdId: 'a2', impressionTime: at('10:01') }]);
    clicks.addData([{ clickAdId: 'a1', clickTime: at('10:05') }]);
    await q.query.processAllAvailable();
    await q.query.stop();
    const state = await inspectOperatorState(dir, { operator: 'ad-clicks', key: 'a1' });
    expect(state.kind).toBe('join');
    // The click matched when it arrived; an inner join never flips the impression's flag (nothing reads it).
    expect(state.rows).toEqual([
      { side: 'left', key: 'a1', row: { impressionAdId: 'a1', impressionTime: at('10:00') }, matched: false },
      { side: 'right', key: 'a1', row: { clickAdId: 'a1', clickTime: at('10:05') }, matched: true },
    ]);
  });

  it('names what exists when the operator or batch does not, and exits 2 on a bad command line', async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, tradeSchema);
    const run = record(tradesByWindow(input), 'update', (w) => w.option('checkpointLocation', dir));
    input.addData([trade('10:05', 'BUY', 500)]);
    await run.query.processAllAvailable();
    await run.query.stop();
    await expect(inspectOperatorState(dir, { operator: 'trades' })).rejects.toThrow(`checkpoint ${dir} has no stateful operator 'trades': it has 'trades-by-window'`);
    await expect(inspectOperatorState(dir, { operator: 'trades-by-window', batch: 9 })).rejects.toThrow('batch 9 is not committed in checkpoint');
    const missing = await cliOutput(['state', 'inspect', dir]);
    expect(missing).toMatchObject({ code: 2, err: expect.stringContaining("required option '--operator <name>' not specified") });
    const badKey = await cliOutput(['state', 'inspect', dir, '--operator', 'x', '--key', 'ABX']);
    expect(badKey).toMatchObject({ code: 2, err: expect.stringContaining('--key must be JSON') });
    const unknownOperator = await cliOutput(['state', 'inspect', dir, '--operator', 'x']);
    expect(unknownOperator).toMatchObject({ code: 1, err: expect.stringContaining("has no stateful operator 'x'") });
  });
});
