// Property tests of the streaming aggregation (DESIGN §8): random event streams split into
// random micro-batches.
//  - Without a watermark the final result equals the same aggregation over all rows in one
//    batch, whatever the split.
//  - With a watermark the final result equals the one-batch aggregation over the rows the run
//    did not drop, the dropped rows are exactly those SEMANTICS §4 says are late (window end at
//    or below the watermark of the batch before, which comes from the data before it), and
//    numRowsDroppedByWatermark counts them as Spark does: once per late group of each batch.
import fc from 'fast-check';
import { MemoryStream, col, count, lit, sum, window, types as T } from 'spate';
import type { DataFrame, Row } from 'spate';
import { record } from '../support/batches.js';
import { sortRows, testSession } from '../support/helpers.js';

const schema = T.struct([T.field('key', T.string()), T.field('ts', T.timestamp()), T.field('v', T.integer())]);
type Event = { key: string; ts: Date; v: number };

const BASE = Date.parse('2024-03-01T10:00:00Z');
const MINUTE = 60_000;

const events = fc.array(
  fc.record({ key: fc.constantFrom('a', 'b', 'c'), minute: fc.integer({ min: 0, max: 180 }), second: fc.integer({ min: 0, max: 59 }), v: fc.integer({ min: -50, max: 100 }) })
    .map((e): Event => ({ key: e.key, ts: new Date(BASE + e.minute * MINUTE + e.second * 1000), v: e.v })),
  { minLength: 1, maxLength: 40 },
);
/** Batch sizes, cycled until every event is in a batch. */
const splits = fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 });

function split<E>(rows: readonly E[], sizes: readonly number[]): E[][] {
  const batches: E[][] = [];
  for (let i = 0, b = 0; i < rows.length; b++) {
    const n = sizes[b % sizes.length]!;
    batches.push(rows.slice(i, i + n));
    i += n;
  }
  return batches;
}

type Windowing = { window: string; slide?: string; start?: string };
const windowings: Windowing[] = [
  { window: '10 minutes' }, { window: '10 minutes', slide: '5 minutes' }, { window: '15 minutes', slide: '5 minutes', start: '2 minutes' }, { window: '7 minutes', slide: '3 minutes' },
];

function aggregated(df: DataFrame, w: Windowing): DataFrame {
  return df.groupBy(window(col('ts'), w.window, w.slide ?? w.window, w.start ?? '0 seconds'), col('key'))
    .agg(sum('v').alias('s'), count(lit(1)).alias('n'))
    .select(col('window.start').alias('start'), 'key', 's', 'n');
}

async function oneBatch(rows: Event[], w: Windowing): Promise<Row[]> {
  const spark = testSession();
  return sortRows(await aggregated(spark.createDataFrame(rows, schema), w).collect());
}

/** Runs the stream batch by batch; the final value of every group is its last emitted row (update mode). */
async function streamed(batches: Event[][], w: Windowing, delay: string | null) {
  const spark = testSession();
  const input = new MemoryStream(spark, schema);
  const df = delay === null ? input.toDF() : input.toDF().withWatermark('ts', delay);
  const run = record(aggregated(df, w), 'update');
  for (const b of batches) {
    input.addData(b);
    await run.query.processAllAvailable();
  }
  await run.query.stop();
  const finals = new Map<string, Row>();
  for (const b of run.batches) for (const r of b.rows) finals.set(`${(r.start as Date).getTime()}|${String(r.key)}`, r);
  const dropped = run.query.recentProgress.reduce((n, p) => n + p.stateOperators[0]!.numRowsDroppedByWatermark, 0);
  return { result: sortRows([...finals.values()]), dropped };
}

describe('streaming aggregation properties', () => {
  it('without a watermark, gives the one-batch result whatever the split into micro-batches', async () => {
    await fc.assert(fc.asyncProperty(events, splits, splits, fc.constantFrom(...windowings), async (rows, s1, s2, w) => {
      const expected = await oneBatch(rows, w);
      expect((await streamed(split(rows, s1), w, null)).result).toEqual(expected);
      expect((await streamed(split(rows, s2), w, null)).result).toEqual(expected);
    }), { numRuns: 25 });
  });

  it('with a watermark, gives the one-batch result over the rows not late, and counts the late groups of each batch', async () => {
    const w: Windowing = { window: '10 minutes' };
    await fc.assert(fc.asyncProperty(events, splits, fc.constantFrom(0, 5, 20, 60), async (rows, sizes, delayMinutes) => {
      const batches = split(rows, sizes);
      // The model: a row of batch k is late when its window ends at or below the watermark
      // computed from batches before k (max event time − delay, never below 0).
      // Spark counts late rows after the partial aggregation: once per (window, key) of a batch.
      const kept: Event[] = [];
      let late = 0;
      let maxSeen = -Infinity;
      for (const b of batches) {
        const watermark = Math.max(0, maxSeen - delayMinutes * MINUTE);
        const lateGroups = new Set<string>();
        for (const e of b) {
          const windowEnd = Math.floor(e.ts.getTime() / (10 * MINUTE)) * 10 * MINUTE + 10 * MINUTE;
          if (windowEnd <= watermark) lateGroups.add(`${windowEnd}|${e.key}`);
          else kept.push(e);
        }
        late += lateGroups.size;
        for (const e of b) maxSeen = Math.max(maxSeen, e.ts.getTime());
      }
      const run = await streamed(batches, w, `${delayMinutes} minutes`);
      expect(run.dropped).toBe(late);
      expect(run.result).toEqual(await oneBatch(kept, w));
    }), { numRuns: 30 });
  });
});
