// Tumbling, sliding and session windows with watermarks and late rows, in Spark (windows.py) and
// in spate. The watermark is 10 minutes; the batches (one file each) go:
//   0: 10:05 a, 10:07 b, 10:12 a            → next watermark 10:02
//   1: 10:21 a, 10:02 b, 10:25 b            → 10:15
//   2: 10:41 a                              → 10:31
//   3: 10:03 a, 10:08 b, 10:09 a (late: [10:00, 10:10) ended at or before 10:15), 10:38 b
//   4: 11:30 c                              → 11:20, then a no-data batch emits what it closed
import { col, count, expr, max, sessionWindow, sum, window } from '../../../src/index.js';
import type { DataFrame } from '../../../src/index.js';
import type { SpateSources, StagedStream } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';

const event = (hhmm: string, key: string, amount: number) => ({ ts: at(hhmm), key, amount });

const events: StagedStream = {
  schema: 'ts TIMESTAMP, key STRING, amount INT',
  batches: [
    [event('10:05', 'a', 5), event('10:07', 'b', 3), event('10:12', 'a', 2)],
    [event('10:21', 'a', 1), event('10:02', 'b', 4), event('10:25', 'b', 6)],
    [event('10:41', 'a', 7)],
    [event('10:03', 'a', 1), event('10:08', 'b', 2), event('10:09', 'a', 9), event('10:38', 'b', 1)],
    [event('11:30', 'c', 1)],
  ],
};

const watermarked = ({ stream }: SpateSources): DataFrame => stream('events').withWatermark('ts', '10 minutes');

conformanceSuite('windows', [
  {
    name: 'tumbling_update',
    title: 'tumbling windows per key in update mode: changed windows each batch, late rows dropped and counted',
    streams: { events },
    outputMode: 'update',
    query: (s) => watermarked(s).groupBy(window(col('ts'), '10 minutes'), col('key'))
      .agg(sum('amount').alias('total'), count('*').alias('n')),
  },
  {
    name: 'tumbling_append',
    title: 'tumbling windows in append mode are emitted once, in the batch after the watermark passes their end',
    streams: { events },
    outputMode: 'append',
    query: (s) => watermarked(s).groupBy(window(col('ts'), '10 minutes'), col('key'))
      .agg(sum('amount').alias('total')).select('window.start', 'window.end', 'key', 'total'),
  },
  {
    name: 'sliding_update',
    title: 'sliding windows (10 minutes every 5) put each row in two windows',
    streams: { events },
    outputMode: 'update',
    query: (s) => watermarked(s).groupBy(window(col('ts'), '10 minutes', '5 minutes')).agg(count('*').alias('n')),
  },
  {
    name: 'sliding_append',
    title: 'sliding windows (15 minutes every 5) per key in append mode',
    streams: { events },
    outputMode: 'append',
    query: (s) => watermarked(s).groupBy(window(col('ts'), '15 minutes', '5 minutes'), col('key')).agg(max('amount').alias('top')),
  },
  {
    name: 'start_time_complete',
    title: 'windows offset by a start time, in complete mode without a watermark',
    streams: { events },
    outputMode: 'complete',
    query: ({ stream }) => stream('events').groupBy(window(col('ts'), '20 minutes', '20 minutes', '5 minutes')).agg(sum('amount').alias('total')),
  },
  {
    name: 'session_append',
    title: 'session windows (5-minute gap) per key in append mode merge close events and close with the watermark',
    streams: { events },
    outputMode: 'append',
    query: (s) => watermarked(s).groupBy(sessionWindow(col('ts'), '5 minutes'), col('key'))
      .agg(count('*').alias('n'), sum('amount').alias('total')),
  },
  {
    name: 'session_complete',
    title: 'session windows in complete mode keep and re-emit every session',
    streams: { events },
    outputMode: 'complete',
    query: ({ stream }) => stream('events').groupBy(col('key'), sessionWindow(col('ts'), '5 minutes')).agg(count('*').alias('n')),
  },
  {
    name: 'session_dynamic_gap_append',
    title: 'session windows with a gap computed per row',
    streams: { events },
    outputMode: 'append',
    query: (s) => watermarked(s)
      .groupBy(sessionWindow(col('ts'), expr("CASE WHEN key = 'a' THEN '2 minutes' ELSE '10 minutes' END")), col('key'))
      .agg(sum('amount').alias('total')),
  },
]);
