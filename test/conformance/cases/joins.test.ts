// Stream-static joins (the static side read afresh each batch) and stream-stream joins with a
// time-range condition and watermarks on both sides, in Spark (joins.py) and in spate, over the
// ad events of ad-events.ts. Impressions carry a 10-minute watermark, clicks a 20-minute one, so
// unmatched rows are emitted (outer joins) and state is evicted only as both watermarks pass.
import { col, expr } from '../../../src/index.js';
import type { DataFrame } from '../../../src/index.js';
import type { SpateSources, StagedStream, StaticTable } from '../support/conformance-case.js';
import { conformanceSuite } from '../support/conformance-case.js';
import { CLICKED, clicks, impressions } from './ad-events.js';

const orders: StagedStream = {
  schema: 'order INT, product STRING, qty INT',
  batches: [
    [{ order: 1, product: 'p1', qty: 2 }, { order: 2, product: 'p9', qty: 1 }],
    [{ order: 3, product: 'p2', qty: 5 }, { order: 4, product: null, qty: 1 }],
    [{ order: 5, product: 'p1', qty: 1 }, { order: 6, product: 'p3', qty: 3 }],
  ],
};
const products: StaticTable = {
  schema: 'id STRING, name STRING, price DOUBLE',
  rows: [{ id: 'p1', name: 'pen', price: 1.5 }, { id: 'p2', name: 'pad', price: 3 }, { id: 'p3', name: 'ink', price: 0.25 }, { id: 'p3', name: 'ink refill', price: 0.2 }],
};
const stock: StaticTable = {
  schema: 'product STRING, warehouse STRING',
  rows: [{ product: 'p1', warehouse: 'north' }, { product: 'p1', warehouse: 'south' }, { product: 'p2', warehouse: 'north' }],
};

function adJoin({ stream }: SpateSources, how: string): DataFrame {
  const imps = stream('impressions').withWatermark('impTime', '10 minutes');
  const clicked = stream('clicks').withWatermark('clickTime', '20 minutes');
  return imps.join(clicked, expr(CLICKED), how);
}

conformanceSuite('joins', [
  {
    name: 'static_inner',
    title: 'a stream joined with a static table: matches only, several per row when the table repeats a key',
    streams: { orders },
    statics: { products },
    outputMode: 'append',
    query: ({ stream, static: table }) => stream('orders').join(table('products'), col('product').eq(col('id')))
      .select(col('order'), col('name'), col('qty').multiply(col('price')).alias('cost')),
  },
  {
    name: 'static_left_outer',
    title: 'a stream left-outer-joined with a static table keeps unmatched rows (and null keys) with nulls',
    streams: { orders },
    statics: { products },
    outputMode: 'append',
    query: ({ stream, static: table }) => stream('orders').join(table('products'), col('product').eq(col('id')), 'left_outer')
      .select('order', 'product', 'name'),
  },
  {
    name: 'static_left_anti',
    title: 'a stream left-anti-joined with a static table keeps the rows without a match',
    streams: { orders },
    statics: { products },
    outputMode: 'append',
    query: ({ stream, static: table }) => stream('orders').join(table('products'), col('product').eq(col('id')), 'left_anti'),
  },
  {
    name: 'static_using_column',
    title: 'a join on a column name present on both sides gives one column for it',
    streams: { orders },
    statics: { stock },
    outputMode: 'append',
    query: ({ stream, static: table }) => stream('orders').join(table('stock'), 'product').select('order', 'product', 'warehouse'),
  },
  {
    name: 'stream_inner',
    title: 'a stream-stream inner join with a time range emits each match once, when both rows are there',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: (s) => adJoin(s, 'inner'),
  },
  {
    name: 'stream_left_outer',
    title: 'a stream-stream left outer join emits unclicked impressions with nulls once the watermark passes them',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: (s) => adJoin(s, 'left_outer'),
  },
  {
    name: 'stream_right_outer',
    title: 'a stream-stream right outer join emits clicks without an impression with nulls',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: (s) => adJoin(s, 'right_outer'),
  },
  {
    name: 'stream_full_outer',
    title: 'a stream-stream full outer join emits unmatched rows of both sides',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: (s) => adJoin(s, 'full_outer'),
  },
  {
    name: 'stream_left_outer_right_watermark_only',
    title: 'a stream-stream left outer join with a watermark on the right side only',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: ({ stream }) => stream('impressions')
      .join(stream('clicks').withWatermark('clickTime', '20 minutes'), expr(CLICKED), 'left_outer'),
  },
  {
    name: 'stream_left_semi',
    title: 'a stream-stream left semi join emits each clicked impression once',
    streams: { impressions, clicks },
    outputMode: 'append',
    query: (s) => adJoin(s, 'left_semi'),
  },
]);
