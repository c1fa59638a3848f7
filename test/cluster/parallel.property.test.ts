// For any number of threads, any split of the input into micro-batches and any assignment of
// key groups to threads, a query gives, batch by batch, the rows the one-thread engine gives
// (rows within a batch come in no particular order, as in Spark). Small chunks deal one batch's
// rows out to several threads, so that a key group gets partial groups in one epoch both from
// the thread that owns it (merged in place) and from others (encoded).
import fc from 'fast-check';
import type { Row } from '../../src/index.js';
import { MemoryStream, Session, avg, col, count, lit, max, min, sum, window, types as T } from '../../src/index.js';
import { record } from '../support/batches.js';
import { sortRows } from '../support/helpers.js';

const schema = T.struct([T.field('ts', T.timestamp()), T.field('key', T.string()), T.field('v', T.long())]);
type Event = { ts: Date; key: string; v: number };

async function run(master: string, seed: number | null, batches: readonly Event[][], chunkRows: number): Promise<Row[][]> {
  const b = Session.builder().master(master).config('spate.sql.shuffle.partitions', 6).config('spate.link.chunkRows', chunkRows);
  if (seed !== null) b.config('spate.cluster.keyGroupShuffleSeed', seed);
  const spark = b.create();
  const input = new MemoryStream(spark, schema);
  const q = record(input.toDF().withWatermark('ts', '10 minutes')
    .groupBy(window(col('ts'), '5 minutes'), col('key'))
    .agg(sum('v').alias('total'), count(lit(1)).alias('n'), min('v').alias('low'), max('v').alias('high'), avg('v').alias('mean')), 'update');
  for (const batch of batches) {
    input.addData(batch);
    await q.query.processAllAvailable();
  }
  await q.query.stop();
  if (q.query.exception()) throw q.query.exception();
  const out: Row[][] = [];
  for (const x of q.batches) out[x.batchId] = sortRows(x.rows);
  return out;
}

describe('a query on N threads (property)', () => {
  it('gives the one-thread output for any thread count, micro-batch split and key-group assignment', async () => {
    const event = fc.record({ minute: fc.integer({ min: 0, max: 90 }), key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), v: fc.integer({ min: -50, max: 50 }) })
      .map(({ minute, key, v }): Event => ({ ts: new Date(Date.UTC(2019, 1, 5, 10, minute)), key, v }));
    const scenario = fc.record({
      batches: fc.array(fc.array(event, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
      threads: fc.integer({ min: 2, max: 4 }),
      seed: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null }),
      chunkRows: fc.integer({ min: 1, max: 8 }),
    });
    await fc.assert(fc.asyncProperty(scenario, async (s) => {
      const one = await run('local', null, s.batches, s.chunkRows);
      const many = await run(`local[${s.threads}]`, s.seed, s.batches, s.chunkRows);
      expect(many).toEqual(one);
    }), { numRuns: 12 });
  }, 240_000);
});
