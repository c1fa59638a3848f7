// Tumbling and sliding windows through whole queries: assignment per SEMANTICS §3 (aligned to
// the epoch plus startTime, start inclusive, end exclusive), the window struct column, and
// rows without an event time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, col, count, lit, sum, window, types as T } from 'spate';
import type { DataFrame } from 'spate';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([T.field('ts', T.timestamp()), T.field('user', T.string())]);
type Event = { ts: Date | null; user: string };
const t = (hhmm: string): Date => new Date(`2019-02-05T${hhmm}Z`);

async function windowsFor(events: Event[], group: (df: DataFrame) => DataFrame) {
  const spark = testSession();
  const input = new MemoryStream(spark, schema);
  const run = record(group(input.toDF()), 'update');
  input.addData(events);
  await run.query.processAllAvailable();
  await run.query.stop();
  return run.rowsOf(0);
}

const countByWindow = (...args: [string, string?, string?]) => (df: DataFrame) =>
  df.groupBy(window(col('ts'), ...args)).agg(count(lit(1)).alias('n')).select('window.*', 'n');

describe('event-time windows', () => {
  it('puts an event at 10:11 in exactly three 15-minute windows sliding by 5 minutes', async () => {
    const rows = await windowsFor([{ ts: t('10:11'), user: 'a' }], countByWindow('15 minutes', '5 minutes'));
    expect(rows).toEqual([
      { start: t('10:00'), end: t('10:15'), n: 1 },
      { start: t('10:05'), end: t('10:20'), n: 1 },
      { start: t('10:10'), end: t('10:25'), n: 1 },
    ]);
  });

  it('puts an event at 12:07 in the tumbling window [12:00, 12:10), aligned to the epoch', async () => {
    expect(await windowsFor([{ ts: t('12:07'), user: 'a' }], countByWindow('10 minutes')))
      .toEqual([{ start: t('12:00'), end: t('12:10'), n: 1 }]);
  });

  it('treats the start as inclusive and the end as exclusive: an event at exactly 12:10 opens [12:10, 12:20)', async () => {
    expect(await windowsFor([{ ts: t('12:10'), user: 'a' }], countByWindow('10 minutes', '5 minutes'))).toEqual([
      { start: t('12:05'), end: t('12:15'), n: 1 },
      { start: t('12:10'), end: t('12:20'), n: 1 },
    ]);
  });

  it('shifts windows by startTime: hourly windows starting at 15 minutes past', async () => {
    expect(await windowsFor([{ ts: t('12:20'), user: 'a' }], countByWindow('1 hour', '1 hour', '15 minutes')))
      .toEqual([{ start: t('12:15'), end: t('13:15'), n: 1 }]);
  });

  it('keeps only the candidate windows that contain the event when the slide does not divide the window', async () => {
    // window 12 min, slide 5 min, start 2 min; event 12:05: candidates [12:02,12:14), [11:57,12:09), [11:52,12:04).
    expect(await windowsFor([{ ts: t('12:05'), user: 'a' }], countByWindow('12 minutes', '5 minutes', '2 minutes'))).toEqual([
      { start: t('11:57'), end: t('12:09'), n: 1 },
      { start: t('12:02'), end: t('12:14'), n: 1 },
    ]);
  });

  it('drops rows without an event time from windowed aggregations', async () => {
    expect(await windowsFor([{ ts: null, user: 'a' }, { ts: t('10:01'), user: 'b' }], countByWindow('10 minutes')))
      .toEqual([{ start: t('10:00'), end: t('10:10'), n: 1 }]);
  });

  it('exposes the window as a struct column with start and end, beside other grouping keys', async () => {
    const rows = await windowsFor(
      [{ ts: t('10:01'), user: 'a' }, { ts: t('10:02'), user: 'a' }, { ts: t('10:03'), user: 'b' }],
      (df) => df.groupBy(window(col('ts'), '10 minutes'), col('user')).count()
        .select(col('window.start').alias('from'), col('window'), 'user', 'count'),
    );
    expect(rows).toEqual([
      { from: t('10:00'), window: { start: t('10:00'), end: t('10:10') }, user: 'a', count: 2 },
      { from: t('10:00'), window: { start: t('10:00'), end: t('10:10') }, user: 'b', count: 1 },
    ]);
  });

  it('gives the window column the struct<start: timestamp, end: timestamp> type', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF().groupBy(window(col('ts'), '10 minutes')).count();
    expect(df.schema.fields[0]).toMatchObject({
      name: 'window',
      type: { kind: 'struct', fields: [{ name: 'start', type: { kind: 'timestamp' } }, { name: 'end', type: { kind: 'timestamp' } }] },
    });
  });

  it('rejects a slide longer than the window and a startTime not shorter than the slide', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF();
    expect(() => df.groupBy(window(col('ts'), '5 minutes', '10 minutes')).count()).toThrow(/slide duration .* must be less than or equal to the window duration/);
    expect(() => df.groupBy(window(col('ts'), '10 minutes', '5 minutes', '5 minutes')).count()).toThrow(/startTime .* must be less than the slide duration/);
    expect(() => df.groupBy(window(col('user'), '10 minutes')).count()).toThrow(/window\(\) needs a timestamp column.*toTimestamp/);
  });
});

describe('chained window aggregations in append mode', () => {
  it('aggregates the final windows of a first aggregation again, each emitted once, in the epoch they become final', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const perUser = input.toDF().withWatermark('ts', '5 minutes')
      .groupBy(window(col('ts'), '10 minutes'), col('user')).agg(count(lit(1)).alias('events'));
    const usersPerWindow = perUser.groupBy('window').agg(count(lit(1)).alias('users'), sum('events').alias('events'))
      .select('window.start', 'users', 'events');
    const run = record(usersPerWindow, 'append');
    input.addData([{ ts: t('10:01'), user: 'a' }, { ts: t('10:02'), user: 'b' }, { ts: t('10:03'), user: 'a' }]);
    await run.query.processAllAvailable();
    input.addData([{ ts: t('10:30'), user: 'c' }]); // watermark → 10:25: [10:00, 10:10) is final upstream, then downstream
    await run.query.processAllAvailable();
    await run.query.stop();
    const emitted = run.batches.flatMap((b) => b.rows.map((r) => ({ batchId: b.batchId, ...r })));
    expect(emitted).toEqual([{ batchId: 3, start: t('10:00'), users: 2, events: 3 }]);
  });
});

describe('windowed state across a restart', () => {
  it('continues a window restored from the checkpoint, and counts it once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spate-window-'));
    try {
      const spark = testSession();
      const input = new MemoryStream(spark, schema);
      const query = () => record(countByWindow('10 minutes')(input.toDF()), 'update', (w) => w.option('checkpointLocation', dir));
      const first = query();
      input.addData([{ ts: t('10:01'), user: 'a' }, { ts: t('10:02'), user: 'b' }]);
      await first.query.processAllAvailable();
      await first.query.stop();
      const second = query();
      input.addData([{ ts: t('10:03'), user: 'a' }]);
      await second.query.processAllAvailable();
      input.addData([{ ts: t('10:04'), user: 'c' }, { ts: t('10:11'), user: 'c' }]);
      await second.query.processAllAvailable();
      await second.query.stop();
      expect(second.rowsOf(1)).toEqual([{ start: t('10:00'), end: t('10:10'), n: 3 }]);
      expect(second.rowsOf(2)).toEqual([{ start: t('10:00'), end: t('10:10'), n: 4 }, { start: t('10:10'), end: t('10:20'), n: 1 }]);
      expect(second.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
