import { registerSink, registerSource, types as T } from '../../src/index.js';
import type { Row, StreamSink, StreamSource } from '../../src/index.js';
import { testSession } from '../support/helpers.js';

const TOTAL = 5_000_000;
const CHUNK_ROWS = 10_000;
const CAPACITY = 4;
const schema = T.struct([T.field('id', T.long()), T.field('payload', T.string())]);

/** Five million rows available at once, produced lazily as the reader asks for them. */
registerSource('five-million', {
  options: [],
  schema: () => schema,
  create: (): StreamSource => ({
    schema,
    description: 'FiveMillion',
    async open() {},
    async initialOffset() { return 0; },
    async latestOffset() { return TOTAL; },
    *read(start, end) {
      for (let i = start as number; i < (end as number); i += CHUNK_ROWS) {
        const rows: Row[] = [];
        for (let j = i; j < Math.min(end as number, i + CHUNK_ROWS); j++) rows.push({ id: j, payload: `row ${j} with some text` });
        yield rows;
      }
    },
    async commit() {},
    async close() {},
  }),
});

const received = { rows: 0, chunks: 0 };
/** A sink that takes 5 ms per chunk. */
registerSink('slow', {
  options: [],
  create: (): StreamSink => ({
    description: 'SlowSink',
    supportedModes: ['append', 'update', 'complete'],
    guarantee: 'none',
    needsCheckpointLocation: false,
    async open() {},
    beginEpoch: () => ({
      write: async (rows) => {
        received.rows += rows.length;
        received.chunks++;
        await new Promise((r) => setTimeout(r, 5));
      },
      commit: () => undefined,
    }),
    async close() {},
  }),
});

describe('credit-based backpressure', () => {
  it('a sink taking 5 ms per chunk holds rows in flight to the links\' capacity while 5 million rows wait', async () => {
    const spark = testSession({ 'spate.link.chunkRows': CHUNK_ROWS, 'spate.link.capacity': CAPACITY });
    const df = spark.readStream.format('five-million').load().filter('id % 2 = 0').selectExpr('id', 'upper(payload) AS payload');
    const q = df.writeStream.format('slow').start();
    let peakRows = 0;
    const sampler = setInterval(() => {
      peakRows = Math.max(peakRows, q.engine.activeSupervisor?.rowsInFlight() ?? 0);
    }, 2);
    await q.processAllAvailable();
    clearInterval(sampler);
    const supervisor = q.engine.activeSupervisor!;
    peakRows = Math.max(peakRows, supervisor.peakRowsInFlight());
    await q.stop();

    expect(received.rows).toBe(TOTAL / 2);
    // Two links (source → chain, chain → sink), each admitting CAPACITY chunks of CHUNK_ROWS rows.
    const bound = 2 * CAPACITY * CHUNK_ROWS;
    expect(peakRows).toBeLessThanOrEqual(bound);
    // At ~100 bytes per row in memory, the data plane holds well under 50 MB while the source has 5M rows.
    expect(peakRows * 100).toBeLessThan(50 * 2 ** 20);
  }, 180_000); // 5 million rows through a 5 ms-per-chunk sink: a budget for a loaded machine, not a measure of speed
});
