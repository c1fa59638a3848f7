// dropDuplicates (with and without a watermark) and dropDuplicatesWithinWatermark, in Spark
// (dedup.py) and in spate. Watermark 10 minutes: after batch 1 it is 10:10, after batch 2 10:20.
import type { StagedStream } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';

const event = (hhmm: string, key: string, v: number) => ({ ts: at(hhmm), key, v });

const events: StagedStream = {
  schema: 'ts TIMESTAMP, key STRING, v INT',
  batches: [
    [event('10:00', 'a', 1), event('10:00', 'a', 1), event('10:02', 'b', 2), event('10:05', 'a', 3)],
    [event('10:00', 'a', 9), event('10:20', 'c', 1), event('10:03', 'b', 1)],
    [event('10:30', 'a', 1), event('10:02', 'b', 5), event('10:21', 'c', 1)],
    [event('10:31', 'a', 2), event('10:45', 'b', 1), event('10:20', 'c', 1)],
    [event('11:00', 'z', 0)],
  ],
};

conformanceSuite('dedup', [
  {
    name: 'keys_without_watermark',
    title: 'dropDuplicates on a key keeps the first row of each key, forever',
    streams: { events },
    outputMode: 'append',
    query: ({ stream }) => stream('events').dropDuplicates(['key']),
  },
  {
    name: 'all_columns_without_watermark',
    title: 'dropDuplicates on every column drops exact repeats, within a batch and across batches',
    streams: { events },
    outputMode: 'append',
    query: ({ stream }) => stream('events').dropDuplicates(),
  },
  {
    name: 'with_watermark',
    title: 'dropDuplicates on (key, event time) with a watermark drops late rows and evicts old keys',
    streams: { events },
    outputMode: 'append',
    query: ({ stream }) => stream('events').withWatermark('ts', '10 minutes').dropDuplicates(['key', 'ts']),
  },
  {
    name: 'within_watermark',
    title: 'dropDuplicatesWithinWatermark drops repeats of a key within the delay of its first row',
    streams: { events },
    outputMode: 'append',
    query: ({ stream }) => stream('events').withWatermark('ts', '10 minutes').dropDuplicatesWithinWatermark(['key']),
  },
]);
