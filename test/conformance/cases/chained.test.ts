// Chained stateful operators in append mode, in Spark (chained.py) and in spate: each operator
// passes on the watermark its output may still be late to (Spark 3.4+'s multiple stateful
// operators), so the last one emits each window once, in the same batch as Spark.
import { col, count, expr, sum, window } from '../../../src/index.js';
import type { StagedStream } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';
import { CLICKED, clicks, impressions } from './ad-events.js';

const event = (hhmm: string, key: string, amount: number) => ({ ts: at(hhmm), key, amount });
const events: StagedStream = {
  schema: 'ts TIMESTAMP, key STRING, amount INT',
  batches: [
    [event('10:01', 'a', 1), event('10:01', 'a', 1), event('10:06', 'b', 2), event('10:12', 'a', 3)],
    [event('10:19', 'b', 4), event('10:06', 'b', 2), event('10:24', 'a', 5)],
    [event('10:41', 'a', 1), event('10:02', 'c', 9)],
    [event('11:30', 'z', 1)],
  ],
};

conformanceSuite('chained', [
  {
    name: 'join_then_window',
    title: 'a stream-stream join followed by a windowed count',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: ({ stream }) => stream('impressions').withWatermark('impTime', '10 minutes')
      .join(stream('clicks').withWatermark('clickTime', '20 minutes'),
        expr(CLICKED))
      .groupBy(window(col('clickTime'), '30 minutes')).agg(count('*').alias('clicks')),
  },
  {
    name: 'window_then_window',
    title: 'a windowed sum per key followed by a coarser window over the first one\'s windows',
    streams: { events },
    outputMode: 'append',
    query: ({ stream }) => stream('events').withWatermark('ts', '10 minutes')
      .groupBy(window(col('ts'), '5 minutes'), col('key')).agg(sum('amount').alias('total'))
      .groupBy(window(col('window'), '20 minutes')).agg(sum('total').alias('total'), count('*').alias('groups')),
  },
  {
    name: 'dedup_then_window',
    title: 'dropDuplicates followed by a windowed count',
    streams: { events },
    outputMode: 'append',
    query: ({ stream }) => stream('events').withWatermark('ts', '10 minutes').dropDuplicates(['key', 'ts'])
      .groupBy(window(col('ts'), '10 minutes')).agg(count('*').alias('n')),
  },
]);
