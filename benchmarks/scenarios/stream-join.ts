// The notes' impressions ⋈ clicks stream-stream join at volume: 10 million events from a
// generator source, 10-minute watermarks on both streams, clicks within an hour of their
// impression; state checkpointed to a local directory every micro-batch. Beside it, a
// hand-written hash join over the same batches with the same late-row rule and eviction. The
// join state (buffered rows) is sampled through the run: it must stay flat, not grow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, expr } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { generate } from '../ad-events-source.js';
import type { Scenario } from '../harness.js';
import { consume, measure } from '../harness.js';
import { counted } from '../noop-sink.js';

const HOUR = 3_600_000;
const DELAY = 10 * 60_000;
const IMPRESSIONS_PER_BATCH = 20_000;
const CLICKS_PER_BATCH = 10_000;

export const streamJoin: Scenario = {
  name: 'stream-join',
  description: 'impressions ⋈ clicks, 10M events, 1-hour constraint, 10-minute watermarks, state checkpointed per batch',
  async run(scale) {
    const events = Math.round(10_000_000 * scale);
    const nImpressions = Math.round((events * 2) / 3);
    const nClicks = events - nImpressions;

    let handOutput = 0;
    let handState = 0;
    const handLoop = await measure(() => {
      const r = handJoin(nImpressions, nClicks);
      handOutput = r.output;
      handState = r.stateRows;
      return events;
    });

    const spark = Session.builder().appName('bench').config('spate.sql.shuffle.partitions', 8).create();
    const samples: number[] = [];
    let commitMs = 0;
    spark.streams.addListener({
      onQueryProgress: ({ progress }) => {
        const op = progress.stateOperators.find((o) => o.operatorName === 'symmetricHashJoin');
        if (op) {
          samples.push(op.numRowsTotal);
          commitMs += op.commitTimeMs;
        }
      },
    });
    const checkpoint = mkdtempSync(join(tmpdir(), 'spate-bench-join-'));
    counted.rows = 0;
    try {
      const spate = await measure(async () => {
        const read = (kind: string, rows: number, perBatch: number) => spark.readStream.format('ad-events')
          .option('kind', kind).option('rows', rows).option('rowsPerBatch', perBatch).load();
        const impressions = read('impressions', nImpressions, IMPRESSIONS_PER_BATCH).withWatermark('impressionTime', '10 minutes');
        const clicks = read('clicks', nClicks, CLICKS_PER_BATCH).withWatermark('clickTime', '10 minutes');
        const q = impressions
          .join(clicks, expr('clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour'))
          .writeStream.format('noop').option('checkpointLocation', checkpoint).start();
        await q.processAllAvailable();
        await q.stop();
        if (q.exception()) throw q.exception();
        return events;
      });
      if (counted.rows !== handOutput) throw new Error(`spate joined ${counted.rows} rows, the hand-written join ${handOutput}`);
      const at = (fraction: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * fraction))] ?? 0;
      return {
        scenario: this.name,
        description: this.description,
        spate,
        handLoop,
        figures: {
          'joined rows': counted.rows,
          'micro-batches': samples.length,
          'join state rows at 10% / 25% / 50% / 75% / 100% of batches':
            [0.1, 0.25, 0.5, 0.75, 1].map((f) => at(f).toLocaleString('en-US')).join(' / '),
          'join state rows, max': Math.max(...samples),
          'hand-written join state rows at the end': handState,
          // Spark's join must checkpoint its state every batch; the hand loop keeps it in memory only.
          'spate checkpoint commits of the join state (encode + write, every batch; the hand loop writes none), ms of wall time':
            `${Math.round(commitMs).toLocaleString('en-US')} of ${Math.round(spate.ms).toLocaleString('en-US')}`,
        },
      };
    } finally {
      await spark.stop();
      rmSync(checkpoint, { recursive: true, force: true });
    }
  },
};

/** One side's buffered rows by ad id, and the (ad id, time) pairs in arrival order for eviction. */
class Side {
  readonly byAd = new Map<string, { row: Row; t: number }[]>();
  private readonly order: { ad: string; t: number }[] = [];
  private head = 0;
  rows = 0;

  add(ad: string, row: Row, t: number): void {
    const list = this.byAd.get(ad);
    if (list) list.push({ row, t });
    else this.byAd.set(ad, [{ row, t }]);
    this.order.push({ ad, t });
    this.rows++;
  }

  /** Drops rows with time at or below `threshold` (times arrive in order on both streams). */
  evict(threshold: number): void {
    while (this.head < this.order.length && this.order[this.head]!.t <= threshold) {
      const { ad } = this.order[this.head++]!;
      const list = this.byAd.get(ad);
      if (!list) continue;
      const kept = list.filter((e) => e.t > threshold);
      this.rows -= list.length - kept.length;
      if (kept.length) this.byAd.set(ad, kept);
      else this.byAd.delete(ad);
    }
    if (this.head > 65_536 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}

/** The same join written by hand, batch by batch, with Spark's watermark, late-row and eviction rules. */
function handJoin(nImpressions: number, nClicks: number): { output: number; stateRows: number } {
  const imps = new Side();
  const clks = new Side();
  let output = 0;
  let last: Row | null = null;
  let watermark = 0;
  let impMax = -Infinity;
  let clickMax = -Infinity;
  const batches = Math.max(Math.ceil(nImpressions / IMPRESSIONS_PER_BATCH), Math.ceil(nClicks / CLICKS_PER_BATCH));
  for (let b = 0, late = 0; b < batches; b++) {
    for (const rows of generate('impressions', Math.min(nImpressions, b * IMPRESSIONS_PER_BATCH), Math.min(nImpressions, (b + 1) * IMPRESSIONS_PER_BATCH))) {
      for (const row of rows) {
        const t = (row['impressionTime'] as Date).getTime();
        impMax = Math.max(impMax, t);
        if (t <= late) continue;
        const ad = row['impressionAdId'] as string;
        for (const c of clks.byAd.get(ad) ?? []) {
          if (c.t >= t && c.t <= t + HOUR) {
            last = { impressionAdId: ad, impressionTime: row['impressionTime'], clickAdId: c.row['clickAdId'], clickTime: c.row['clickTime'] };
            output++;
          }
        }
        imps.add(ad, row, t);
      }
    }
    for (const rows of generate('clicks', Math.min(nClicks, b * CLICKS_PER_BATCH), Math.min(nClicks, (b + 1) * CLICKS_PER_BATCH))) {
      for (const row of rows) {
        const t = (row['clickTime'] as Date).getTime();
        clickMax = Math.max(clickMax, t);
        if (t <= late) continue;
        const ad = row['clickAdId'] as string;
        for (const i of imps.byAd.get(ad) ?? []) {
          if (t >= i.t && t <= i.t + HOUR) {
            last = { impressionAdId: ad, impressionTime: i.row['impressionTime'], clickAdId: ad, clickTime: row['clickTime'] };
            output++;
          }
        }
        clks.add(ad, row, t);
      }
    }
    imps.evict(watermark - HOUR - 1);
    clks.evict(watermark - 1);
    late = watermark;
    const next = Math.min(impMax === -Infinity ? 0 : impMax - DELAY, clickMax === -Infinity ? 0 : clickMax - DELAY);
    watermark = Math.max(watermark, next);
  }
  consume(last);
  return { output, stateRows: imps.rows + clks.rows };
}
