// The notes' trades query at volume: 10M trades of 1,000 brokers, a 30-minute watermark,
// 15-minute windows per broker with BUY and SELL sums from `case when` expressions, append mode.
// Trades come from a replayable generator source (event i is a pure function of i, read in
// batches of 100,000 offsets), so memory holds the state, not the input. A hand-written loop
// keeps the same windows with the same watermark, late-row and eviction rules, per batch.
// The memory check samples state rows and RSS as the 10M events go by: both stay flat.
// With `--peer spark` the same trades, as JSON-lines files, run in Spark local[1] and local[2].
import type { Row, StreamSource, StreamingQueryProgress } from '../../src/index.js';
import { Session, col, expr, registerSource, sum, window, types as T } from '../../src/index.js';
import type { Scenario } from '../harness.js';
import { consume, measure } from '../harness.js';
import { counted } from '../noop-sink.js';
import { sparkPeers } from '../peers/spark.js';

const BASE_MS = Date.parse('2019-02-05T10:00:00Z');
/** Event time advances 10 ms per trade: 10M trades span about 28 hours. */
const STEP_MS = 10;
const WINDOW_MS = 15 * 60_000;
const DELAY_MS = 30 * 60_000;
const BATCH = 100_000;
const CHUNK = 4096;

const tradeSchema = T.struct([
  T.field('CreatedTime', T.timestamp()), T.field('Type', T.string()), T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
]);
type Trade = { CreatedTime: Date; Type: string; Amount: number; BrokerCode: string };

/** Trade i: up to 2 minutes out of order, one in 1,000 two hours late (dropped as late). */
function tradeGenerator(keys: number): (i: number) => Trade {
  const brokers = Array.from({ length: keys }, (_, k) => `BRK${k.toString().padStart(4, '0')}`);
  return (i) => {
    const disorder = (i * 7919) % 120_000;
    const late = i % 1000 === 999 ? 2 * 3_600_000 : 0;
    return {
      CreatedTime: new Date(BASE_MS + i * STEP_MS - disorder - late),
      Type: i % 3 === 0 ? 'SELL' : 'BUY',
      Amount: (i * 31) % 1000,
      BrokerCode: brokers[(i * 7) % keys]!,
    };
  };
}

/** The generator as a source: offsets are trade indexes, each batch reads up to BATCH of them. */
class TradeSource implements StreamSource {
  readonly schema = tradeSchema;
  readonly description = 'TradeGenerator';
  readonly replayable = true;
  private readonly trade: (i: number) => Trade;

  constructor(private readonly total: number, keys: number) {
    this.trade = tradeGenerator(keys);
  }

  async open(): Promise<void> {}
  async initialOffset(): Promise<number> { return 0; }
  async latestOffset(start: unknown): Promise<number> { return Math.min(this.total, (start as number) + BATCH); }
  *read(start: unknown, end: unknown): Iterable<Row[]> {
    for (let i = start as number; i < (end as number); i += CHUNK) {
      const rows: Row[] = [];
      for (let j = i; j < Math.min(i + CHUNK, end as number); j++) rows.push(this.trade(j));
      yield rows;
    }
  }
  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

registerSource('trade-generator', {
  options: ['events', 'keys'],
  schema: () => tradeSchema,
  create: (opts) => new TradeSource(Number(opts.options['events']), Number(opts.options['keys'])),
});

/**
 * The same windows by hand, batch by batch as the query runs them (data keeps arriving, so no
 * no-data batch runs until the end): batch k evicts with the watermark of the data before it and
 * drops rows at or below the watermark of batch k − 1 as late, counting them once per group and
 * batch as Spark's numRowsDroppedByWatermark does; a last batch evicts the rest the final
 * watermark allows.
 */
function handLoop(total: number, keys: number): { emitted: number; late: number; maxState: number } {
  const trade = tradeGenerator(keys);
  const state = new Map<string, { start: number; buy: number | null; sell: number | null }>();
  let watermark = 0;
  let lateWatermark = 0;
  let maxEventTime = -Infinity;
  let emitted = 0;
  let late = 0;
  let maxState = 0;
  const evict = (): void => {
    for (const [key, w] of state) {
      if (w.start + WINDOW_MS <= watermark) {
        state.delete(key);
        consume({ start: new Date(w.start), end: new Date(w.start + WINDOW_MS), BUY: w.buy, SELL: w.sell });
        emitted++;
      }
    }
  };
  for (let batchStart = 0; batchStart < total; batchStart += BATCH) {
    const lateGroups = new Set<string>();
    for (let i = batchStart; i < Math.min(total, batchStart + BATCH); i++) {
      const t = trade(i);
      const ms = t.CreatedTime.getTime();
      if (ms > maxEventTime) maxEventTime = ms;
      const start = ms - (((ms % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
      const key = `${start}|${t.BrokerCode}`;
      if (start + WINDOW_MS <= lateWatermark) {
        lateGroups.add(key);
        continue;
      }
      let w = state.get(key);
      if (!w) state.set(key, (w = { start, buy: null, sell: null }));
      if (t.Type === 'BUY') w.buy = (w.buy ?? 0) + t.Amount;
      else if (t.Type === 'SELL') w.sell = (w.sell ?? 0) + t.Amount;
    }
    late += lateGroups.size;
    maxState = Math.max(maxState, state.size);
    evict();
    lateWatermark = watermark;
    watermark = Math.max(watermark, maxEventTime - DELAY_MS);
  }
  evict();
  return { emitted, late, maxState };
}

/** The same trades as JSON lines, batch by batch as the source reads them, for the Spark peer. */
function* tradeLines(total: number, keys: number): Iterable<string[]> {
  const trade = tradeGenerator(keys);
  for (let from = 0; from < total; from += BATCH) {
    const lines: string[] = [];
    for (let i = from; i < Math.min(total, from + BATCH); i++) lines.push(JSON.stringify(trade(i)));
    yield lines;
  }
}

export const tradesWindow: Scenario = {
  name: 'trades-window',
  description: "the notes' trades windowed aggregation with a watermark: 10M events, 1,000 brokers, append mode",
  async run(scale) {
    const total = Math.round(10_000_000 * scale);
    const keys = 1000;
    let hand = { emitted: 0, late: 0, maxState: 0 };
    const handMeasured = await measure(() => {
      hand = handLoop(total, keys);
      return total;
    });

    // Few retained epochs, so the checkpoint (in memory here) keeps a bounded history.
    const spark = Session.builder().appName('bench').config('spate.sql.shuffle.partitions', 8)
      .config('spate.sql.streaming.minBatchesToRetain', 10).create();
    const samples: { events: number; stateRows: number; heapMiB: number; rssMiB: number }[] = [];
    let late = 0;
    let events = 0;
    let dataBatches = 0;
    const sampleEvery = Math.max(1, Math.floor(total / BATCH / 10));
    spark.streams.addListener({
      onQueryProgress({ progress: p }: { progress: StreamingQueryProgress }) {
        events += p.numInputRows;
        const op = p.stateOperators[0];
        late += op?.numRowsDroppedByWatermark ?? 0;
        if (p.numInputRows > 0 && ++dataBatches % sampleEvery === 0) {
          const m = process.memoryUsage();
          samples.push({ events, stateRows: op?.numRowsTotal ?? 0, heapMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 });
        }
      },
    });
    counted.rows = 0;
    const spate = await measure(async () => {
      const q = spark.readStream.format('trade-generator').option('events', total).option('keys', keys).load()
        .withWatermark('CreatedTime', '30 minutes')
        .groupBy(window(col('CreatedTime'), '15 minutes'), col('BrokerCode'))
        .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
             sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
        .select('window.*', 'BrokerCode', 'BUY', 'SELL')
        .writeStream.format('noop').outputMode('append').start();
      await q.processAllAvailable();
      await q.stop();
      return total;
    });
    if (counted.rows !== hand.emitted) throw new Error(`spate emitted ${counted.rows} windows, the hand loop ${hand.emitted}`);
    if (late !== hand.late) throw new Error(`spate counted ${late} late groups, the hand loop ${hand.late}`);

    const peers = await sparkPeers('trades-window', () => ({ batches: tradeLines(total, keys) }), counted.rows);

    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const rows = samples.map((s) => s.stateRows);
    const rss = samples.map((s) => s.rssMiB);
    const heap = samples.map((s) => s.heapMiB);
    const half = Math.floor(samples.length / 2);
    return {
      scenario: this.name,
      description: this.description,
      spate,
      handLoop: handMeasured,
      peers,
      figures: {
        'windows emitted (both)': counted.rows,
        'late groups dropped (both; Spark counts a batch\'s late rows once per group)': late,
        'hand loop max state rows': hand.maxState,
        'memory samples (events: state rows, heap used, RSS)': samples
          .map((s) => `${(s.events / 1e6).toFixed(1)}M: ${fmt(s.stateRows)} rows, heap ${s.heapMiB.toFixed(0)} MiB, RSS ${s.rssMiB.toFixed(0)} MiB`).join('; '),
        'state rows min / max over the run': `${fmt(Math.min(...rows))} / ${fmt(Math.max(...rows))}`,
        'heap used MiB: max of first half / max of second half': `${Math.max(...heap.slice(0, half || 1)).toFixed(0)} / ${Math.max(...heap.slice(half)).toFixed(0)}`,
        'RSS MiB: max of first half / max of second half': `${Math.max(...rss.slice(0, half || 1)).toFixed(0)} / ${Math.max(...rss.slice(half)).toFixed(0)}`,
      },
    };
  },
};
