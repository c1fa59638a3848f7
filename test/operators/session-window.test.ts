// Session windows end to end (SEMANTICS §3): each event opens [t, t + gap); sessions of one key
// merge while they overlap or touch (inclusive); a per-row gap; final sessions emitted once in
// append mode when the watermark passes their end; state per session, restored after restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, col, collectList, count, lit, sessionWindow, sum, when, types as T } from 'spate';
import type { Column } from 'spate';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([T.field('user', T.string()), T.field('ts', T.timestamp()), T.field('n', T.integer())]);
const t = (hhmm: string): Date => new Date(`2024-03-01T${hhmm}:00Z`);
const ev = (user: string, hhmm: string, n = 1) => ({ user, ts: t(hhmm), n });
const session = (user: string, start: string, end: string, events: number) => ({ user, start: t(start), end: t(end), events });

function sessions(gap: string | Column, watermark: string | null) {
  const spark = testSession();
  const input = new MemoryStream(spark, schema);
  let df = input.toDF();
  if (watermark) df = df.withWatermark('ts', watermark);
  const out = df.groupBy(col('user'), sessionWindow(col('ts'), gap)).agg(count(lit(1)).alias('events'))
    .select('user', 'session_window.start', 'session_window.end', 'events');
  return { input, out };
}

describe('session windows', () => {
  it('merges events of a key closer than the gap, and keeps keys apart', async () => {
    const { input, out } = sessions('5 minutes', null);
    const run = record(out, 'complete');
    input.addData([ev('a', '10:00'), ev('a', '10:03'), ev('a', '10:20'), ev('b', '10:01')]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0)).toEqual([
      session('a', '10:00', '10:08', 2), session('a', '10:20', '10:25', 1), session('b', '10:01', '10:06', 1),
    ]);
  });

  it('counts as updated every session of each key with rows in the batch, as Spark rewrites them all', async () => {
    const { input, out } = sessions('5 minutes', null);
    const run = record(out, 'complete');
    input.addData([ev('a', '10:00'), ev('a', '10:20'), ev('b', '10:01'), ev('c', '11:00')]);
    await run.query.processAllAvailable();
    input.addData([ev('a', '10:40'), ev('b', '10:02')]);
    await run.query.processAllAvailable();
    await run.query.stop();
    // a: three sessions (two unchanged), b: one (merged); c has no rows in the batch.
    expect(run.query.recentProgress.map((p) => p.stateOperators[0]!.numRowsUpdated)).toEqual([4, 4]);
  });

  it('merges an event exactly one gap after the last one (the bounds touch)', async () => {
    const { input, out } = sessions('5 minutes', null);
    const run = record(out, 'complete');
    input.addData([ev('a', '10:00'), ev('a', '10:05')]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0)).toEqual([session('a', '10:00', '10:10', 2)]);
  });

  it('merges two sessions of earlier batches when a later event bridges them', async () => {
    const { input, out } = sessions('5 minutes', null);
    const run = record(out, 'complete');
    input.addData([ev('a', '10:00'), ev('a', '10:09')]);
    await run.query.processAllAvailable();
    expect(run.rowsOf(0)).toEqual([session('a', '10:00', '10:05', 1), session('a', '10:09', '10:14', 1)]);
    input.addData([ev('a', '10:04')]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(1)).toEqual([session('a', '10:00', '10:14', 3)]);
    expect(run.query.lastProgress!.stateOperators[0]).toMatchObject({ operatorName: 'sessionWindowStateStoreSaveExec', numRowsTotal: 1 });
  });

  it('merges the aggregates of merged sessions', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const out = input.toDF().groupBy(col('user'), sessionWindow(col('ts'), '5 minutes'))
      .agg(sum('n').alias('total'), collectList('n').alias('ns')).select('user', 'total', 'ns');
    const run = record(out, 'complete');
    input.addData([ev('a', '10:00', 1), ev('a', '10:09', 2)]);
    await run.query.processAllAvailable();
    input.addData([ev('a', '10:04', 4)]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(1)).toEqual([{ user: 'a', total: 7, ns: [1, 2, 4] }]);
  });

  it('takes the gap per row from an expression, dropping rows whose gap is not positive or missing', async () => {
    const gap = when(col('user').eq('fast'), '1 minute').when(col('user').eq('never'), '0 minutes').otherwise('10 minutes');
    const { input, out } = sessions(gap, null);
    const run = record(out, 'complete');
    input.addData([ev('fast', '10:00'), ev('fast', '10:02'), ev('slow', '10:00'), ev('slow', '10:08'), ev('never', '10:00')]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0)).toEqual([
      session('fast', '10:00', '10:01', 1), session('fast', '10:02', '10:03', 1), session('slow', '10:00', '10:18', 2),
    ]);
  });

  it('in append mode emits each session once, when the watermark passes its end, and drops late events', async () => {
    const { input, out } = sessions('5 minutes', '10 minutes');
    const run = record(out, 'append');
    input.addData([ev('a', '10:00'), ev('a', '10:03')]); // session [10:00, 10:08)
    await run.query.processAllAvailable();
    input.addData([ev('a', '10:30')]); // wm → 10:20: the first session is final
    await run.query.processAllAvailable();
    input.addData([ev('a', '10:06')]); // [10:06, 10:11) ends before the watermark 10:20: late
    await run.query.processAllAvailable();
    input.addData([ev('b', '11:00')]); // wm → 10:50: [10:30, 10:35) is final
    await run.query.processAllAvailable();
    await run.query.stop();
    const emitted = run.batches.filter((b) => b.rows.length > 0).map((b) => [b.batchId, ...b.rows.map((r) => `${r.user} ${(r.start as Date).toISOString().slice(11, 16)}-${(r.end as Date).toISOString().slice(11, 16)} ${r.events}`)]);
    expect(emitted).toEqual([[3, 'a 10:00-10:08 2'], [6, 'a 10:30-10:35 1']]);
    const dropped = run.query.recentProgress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0);
    expect(dropped).toBe(1);
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(1); // b's session, not final yet
  });

  it('needs another grouping column on a stream', () => {
    const spark = testSession();
    expect(() => new MemoryStream(spark, schema).toDF().groupBy(sessionWindow(col('ts'), '5 minutes')).count())
      .toThrow(/session_window\(\) on a stream needs at least one more grouping column/);
  });

  it('resumes its sessions from the checkpoint after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spate-session-'));
    try {
      const spark = testSession();
      const input = new MemoryStream(spark, schema);
      const build = () => input.toDF().groupBy(col('user'), sessionWindow(col('ts'), '5 minutes')).agg(count(lit(1)).alias('events'))
        .select('user', 'session_window.start', 'session_window.end', 'events');
      const first = record(build(), 'complete', (w) => w.option('checkpointLocation', dir));
      input.addData([ev('a', '10:00'), ev('a', '10:09')]);
      await first.query.processAllAvailable();
      await first.query.stop();
      const second = record(build(), 'complete', (w) => w.option('checkpointLocation', dir));
      input.addData([ev('a', '10:04')]);
      await second.query.processAllAvailable();
      await second.query.stop();
      expect(second.rowsOf(1)).toEqual([session('a', '10:00', '10:14', 3)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
