// Streaming aggregations in complete, update and append mode, in Spark (aggregations.py) and in spate.
import {
  approxCountDistinct, avg, col, collectList, collectSet, count, expr, max, min, sortArray, stddev, sum, upper,
} from '../../../src/index.js';
import type { StagedStream } from '../support/conformance-case.js';
import { at, conformanceSuite } from '../support/conformance-case.js';

const sales: StagedStream = {
  schema: 'ts TIMESTAMP, key STRING, category STRING, amount INT, price DOUBLE',
  batches: [
    [
      { ts: at('10:00'), key: 'a', category: 'fruit', amount: 1, price: 0.1 },
      { ts: at('10:01'), key: 'b', category: 'fruit', amount: 3, price: 2.5 },
      { ts: at('10:01'), key: 'a', category: 'veg', amount: 2, price: 0.2 },
    ],
    [
      { ts: at('10:05'), key: 'c', category: null, amount: 4, price: 1e10 },
      { ts: at('10:01'), key: 'a', category: 'veg', amount: -1, price: 0.3 },
    ],
    [],
    [
      { ts: at('10:20'), key: 'b', category: 'fruit', amount: 5, price: 3.25 },
      { ts: at('10:00'), key: 'a', category: 'veg', amount: 9, price: 1 },
      { ts: at('10:21'), key: 'd', category: 'nuts', amount: null, price: null },
    ],
  ],
};

conformanceSuite('aggregations', [
  {
    name: 'per_key_complete',
    title: 'count, sum, avg, min and max per key in complete mode re-emit the whole table every batch',
    streams: { sales },
    outputMode: 'complete',
    query: ({ stream }) => stream('sales').groupBy('key').agg(
      count('*').alias('n'), sum('amount').alias('total'), avg('amount').alias('mean'),
      min('amount').alias('low'), max('amount').alias('high'), sum('price').alias('revenue')),
  },
  {
    name: 'per_key_update',
    title: 'update mode emits only the keys a batch changed, and nothing for an empty batch',
    streams: { sales },
    outputMode: 'update',
    query: ({ stream }) => stream('sales').groupBy('key').agg(count('*').alias('n'), sum('amount').alias('total')),
  },
  {
    name: 'global_complete',
    title: 'a global aggregation (no keys) in complete mode, counting non-null values',
    streams: { sales },
    outputMode: 'complete',
    query: ({ stream }) => stream('sales').agg(count('*').alias('n'), sum('amount').alias('total'),
      count('category').alias('with_category'), max('price').alias('top_price')),
  },
  {
    name: 'global_update',
    title: 'a global aggregation in update mode emits its one row every batch, an empty first batch included',
    streams: { sales: { ...sales, batches: [[], ...sales.batches] } },
    outputMode: 'update',
    query: ({ stream }) => stream('sales').agg(count('*').alias('n'), sum('amount').alias('total')),
  },
  {
    name: 'global_update_watermarked',
    title: 'a global aggregation over a watermarked stream in update mode, through the batches the watermark adds',
    streams: { sales },
    outputMode: 'update',
    query: ({ stream }) => stream('sales').withWatermark('ts', '10 minutes').agg(count('*').alias('n'), max('ts').alias('latest')),
  },
  {
    name: 'default_names_complete',
    title: 'groupBy().count() names its column count and groups null keys together',
    streams: { sales },
    outputMode: 'complete',
    query: ({ stream }) => stream('sales').groupBy('category').count(),
  },
  {
    name: 'more_functions_complete',
    title: 'collect_list, collect_set, count_if, approx_count_distinct, max_by, min_by, bool_and and stddev agree',
    streams: { sales },
    outputMode: 'complete',
    query: ({ stream }) => stream('sales').groupBy('category').agg(
      sortArray(collectList('key')).alias('keys'), sortArray(collectSet('key')).alias('distinct_keys'),
      expr('count_if(amount > 2)').alias('big'), approxCountDistinct('key').alias('approx_keys'),
      expr('max_by(key, amount)').alias('key_of_max'), expr('min_by(key, price)').alias('cheapest'),
      expr('bool_and(amount > 0)').alias('all_positive'), stddev('amount').alias('sd')),
  },
  {
    name: 'expression_keys_update',
    title: 'grouping by expressions, then filtering the aggregate (HAVING), in update mode',
    streams: { sales },
    outputMode: 'update',
    query: ({ stream }) => stream('sales')
      .groupBy(upper(col('category')).alias('cat'), expr('amount % 2 = 0').alias('even'))
      .agg(sum('price').alias('revenue'))
      .where('revenue > 5'),
  },
  {
    name: 'append_with_watermark',
    title: 'append mode on a key with a watermarked event time emits each group once, after the watermark passes it',
    streams: { sales },
    outputMode: 'append',
    query: ({ stream }) => stream('sales').withWatermark('ts', '10 minutes')
      .groupBy('ts', 'key').agg(sum('amount').alias('total')),
  },
]);
