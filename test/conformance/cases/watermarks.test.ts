// Two streams with their own watermarks (10 and 5 minutes), unioned into one windowed count:
// the global watermark is the slower one's under the min policy (Spark's default) and the
// faster one's under max, in Spark (watermarks.py) and in spate.
//   batch 0: left 10:00, 10:31   right 10:01   → left 10:21, right 09:56: min 09:56, max 10:21
//   batch 1: left 10:22          right 10:12   → right 10:07: min 10:07, max 10:21 (10:12 late under max)
//   batch 2: left —              right 10:44   → right 10:39: min 10:21, max 10:39
//   batch 3: left 10:05          right 10:25   (10:05 late under both; 10:25 late under max)
//   batch 4: left 11:30          right 11:30   → both move on; the windows close
import { col, count, sum, window } from '../../../src/index.js';
import type { DataFrame } from '../../../src/index.js';
import type { SpateSources, StagedStream } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';

const rows = (...times: string[]) => times.map((t, i) => ({ ts: at(t), v: i + 1 }));
const left: StagedStream = { schema: 'ts TIMESTAMP, v INT', batches: [rows('10:00', '10:31'), rows('10:22'), [], rows('10:05'), rows('11:30')] };
const right: StagedStream = { schema: 'ts TIMESTAMP, v INT', batches: [rows('10:01'), rows('10:12'), rows('10:44'), rows('10:25'), rows('11:30')] };

const union = ({ stream }: SpateSources): DataFrame =>
  stream('left').withWatermark('ts', '10 minutes').union(stream('right').withWatermark('ts', '5 minutes'));

conformanceSuite('watermarks', [
  {
    name: 'union_min_policy',
    title: 'the min policy follows the slower stream: its late rows are the only ones dropped',
    streams: { left, right },
    outputMode: 'append',
    query: (s) => union(s).groupBy(window(col('ts'), '10 minutes')).agg(count('*').alias('n'), sum('v').alias('total')),
  },
  {
    name: 'union_max_policy',
    title: 'the max policy follows the faster stream and drops the slower one\'s rows sooner',
    streams: { left, right },
    outputMode: 'append',
    conf: { 'spark.sql.streaming.multipleWatermarkPolicy': 'max' },
    query: (s) => union(s).groupBy(window(col('ts'), '10 minutes')).agg(count('*').alias('n'), sum('v').alias('total')),
  },
  {
    name: 'union_max_policy_update',
    title: 'the max policy in update mode, with a key beside the window',
    streams: { left, right },
    outputMode: 'update',
    conf: { 'spark.sql.streaming.multipleWatermarkPolicy': 'max' },
    query: (s) => union(s).groupBy(window(col('ts'), '10 minutes'), col('v')).count(),
  },
]);
