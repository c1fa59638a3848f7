// The rate-micro-batch source, after Spark's RatePerMicroBatchProviderSuite: a fixed number of
// rows per batch whatever the trigger, timestamps advancing per batch, restarts that carry on,
// Trigger.Once and AvailableNow reading one batch, and its option checks.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { Trigger } from '../../src/index.js';
import type { Row, Session } from '../../src/index.js';
import { eventually, testSession } from '../support/helpers.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-rate-mb-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Runs the source on a ProcessingTime(10 ms) trigger on a simulated clock, recording each batch. */
function start(spark: Session, options: Record<string, string>, checkpoint?: string, trigger = Trigger.ProcessingTime(10)) {
  const clock = new SimulatedClock();
  const batches: { batchId: number; rows: Row[] }[] = [];
  let reader = spark.readStream.format('rate-micro-batch');
  for (const [k, v] of Object.entries(options)) reader = reader.option(k, v);
  const writer = reader.load().writeStream.trigger(trigger).clock(clock)
    .foreachBatch(async (b, batchId) => { batches.push({ batchId, rows: await b.collect() }); });
  if (checkpoint) writer.option('checkpointLocation', checkpoint);
  const query = writer.start();
  /** Waits for the run's batch `n`, moving the clock to its trigger (the first runs at start). */
  const batch = async (n: number): Promise<Row[]> => {
    if (n > 0) clock.increment(10);
    await eventually(() => batches.length > n || query.exception() !== null, `batch ${n}`);
    if (query.exception()) throw query.exception();
    return batches[n]!.rows;
  };
  return { query, batches, batch };
}

const values = (rows: Row[]): unknown[] => rows.map((r) => r['value']);

describe('the rate-micro-batch source', () => {
  it('gives rowsPerBatch rows per batch, stamped startTimestamp and advancing advanceMillisPerBatch each batch', async () => {
    const spark = testSession();
    const run = start(spark, { rowsPerBatch: '10', startTimestamp: '1000', advanceMillisPerBatch: '50' });
    for (const [n, ts] of [[0, 1000], [1, 1050], [2, 1100]] as const) {
      const rows = await run.batch(n);
      expect(rows).toEqual(range(n * 10, n * 10 + 10).map((value) => ({ timestamp: new Date(ts), value })));
    }
    await run.query.stop();
    expect(run.query.recentProgress[0]!.sources[0]).toMatchObject({
      description: 'RatePerMicroBatchStream[rowsPerBatch=10, numPartitions=1, startTimestamp=1000, advanceMsPerBatch=50]',
      startOffset: { offset: 0, timestamp: 1000 }, endOffset: { offset: 10, timestamp: 1050 }, numInputRows: 10,
    });
  });

  it('carries on after a restart from the checkpoint', async () => {
    const spark = testSession();
    const cp = join(dir, 'cp');
    const first = start(spark, { rowsPerBatch: '10' }, cp);
    expect(values(await first.batch(0))).toEqual(range(0, 10));
    expect(values(await first.batch(1))).toEqual(range(10, 20));
    await first.query.stop();
    const second = start(spark, { rowsPerBatch: '10' }, cp);
    const rows = await second.batch(0);
    await second.query.stop();
    expect(values(rows)).toEqual(range(20, 30));
    expect(second.batches[0]!.batchId).toBe(2);
    // Timestamps carry on too: batch 2 is stamped 2 × 1000 ms after the start.
    expect(rows[0]!['timestamp']).toEqual(new Date(2000));
  });

  it.each([['Trigger.Once', Trigger.Once()], ['Trigger.AvailableNow', Trigger.AvailableNow()]])('reads exactly one batch under %s, then the query ends', async (_name, trigger) => {
    const spark = testSession();
    const cp = join(dir, 'cp');
    const first = start(spark, { rowsPerBatch: '10' }, cp);
    expect(values(await first.batch(0))).toEqual(range(0, 10));
    await first.query.stop();
    const once = start(spark, { rowsPerBatch: '10' }, cp, trigger);
    await once.query.awaitTermination();
    expect(once.batches.map((b) => [b.batchId, values(b.rows)])).toEqual([[1, range(10, 20)]]);
    const third = start(spark, { rowsPerBatch: '10' }, cp);
    expect(values(await third.batch(0))).toEqual(range(20, 30));
    await third.query.stop();
  });

  it('reads numPartitions partitions in turn, as Spark\'s readers return them', async () => {
    const spark = testSession();
    const run = start(spark, { rowsPerBatch: '10', numPartitions: '3' });
    const rows = await run.batch(0);
    await run.query.stop();
    expect(values(rows)).toEqual([0, 3, 6, 9, 1, 4, 7, 2, 5, 8]);
  });

  it('refuses bad option values with Spark\'s messages, and a user schema', () => {
    const spark = testSession();
    const load = (options: Record<string, string>): unknown => {
      let r = spark.readStream.format('rate-micro-batch');
      for (const [k, v] of Object.entries(options)) r = r.option(k, v);
      return r.load();
    };
    expect(() => load({})).toThrow("Invalid value '0'. The option 'rowsPerBatch' must be positive");
    expect(() => load({ rowsPerBatch: '-1' })).toThrow("Invalid value '-1'. The option 'rowsPerBatch' must be positive");
    expect(() => load({ rowsPerBatch: '1', numPartitions: '0' })).toThrow("Invalid value '0'. The option 'numPartitions' must be positive");
    expect(() => load({ rowsPerBatch: '1', advanceMillisPerBatch: '-1' })).toThrow("Invalid value '-1'. The option 'advanceMillisPerBatch' must be non-negative");
    expect(() => load({ rowsPerBatch: '1', startTimestamp: '-1' })).toThrow("Invalid value '-1'. The option 'startTimestamp' must be non-negative");
    expect(() => load({ rowsPerBatch: 'ten' })).toThrow("Invalid value 'ten'. The option 'rowsPerBatch' must be positive");
    expect(() => spark.readStream.format('rate-micro-batch').option('rowsPerBatch', 1).schema('a INT').load())
      .toThrow('The rate-micro-batch source does not support a user-specified schema');
    // Zero is allowed for these two, as in Spark.
    expect(() => load({ rowsPerBatch: '1', advanceMillisPerBatch: '0', startTimestamp: '0' })).not.toThrow();
  });

  it('prints Spark\'s schema: nullable timestamp and long', () => {
    const spark = testSession();
    const df = spark.readStream.format('rate-micro-batch').option('rowsPerBatch', 1).load();
    expect(df.schema.fields.map((f) => [f.name, f.type.kind, f.nullable])).toEqual([['timestamp', 'timestamp', true], ['value', 'long', true]]);
  });
});

