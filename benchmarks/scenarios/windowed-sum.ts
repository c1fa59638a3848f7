// W, the windowed sum of issue 11: 1M events (event time, a key among 1,000, an integer amount),
// summed per key per 10-second tumbling window, update mode, fed through a MemoryStream in 10
// batches of 100,000, each batch's output collected by foreachBatch. Three variants: without a
// checkpoint, with a local-directory checkpoint and with a Redis checkpoint written every batch.
// The hand loop gets the same pre-built input and does the same work plainly: the window of each
// event, a nested Map per window then key, and each batch's changed groups as output rows.
// The figures include the share of wall time spent in garbage-collection pauses.
//
// `windowedSumInput` is the input as batches of rows, deterministic, for any peer that runs W
// over the same data. With `--peer spark`, W without a checkpoint also runs in Spark local[1]
// (peers/spark.ts: each batch one JSON-lines file, state checkpointed every batch).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from '../../src/index.js';
import { MemoryStream, Session, col, sum, window, types as T } from '../../src/index.js';
import { RedisServer } from '../../test/support/redis-server.js';
import type { Scenario, ScenarioResult } from '../harness.js';
import { consume, measure, sameWindowedOutput } from '../harness.js';
import type { GcCounter } from '../gc-share.js';
import { gcShare } from '../gc-share.js';
import { sparkPeers } from '../peers/spark.js';

export const W_BASE_MS = Date.UTC(2024, 0, 1);
export const W_WINDOW_MS = 10_000;
export const W_KEYS = 1000;
export const W_BATCH = 100_000;

export const windowedSumSchema = T.struct([T.field('eventTime', T.timestamp()), T.field('key', T.string()), T.field('amount', T.integer())]);
export type WEvent = { eventTime: Date; key: string; amount: number };

/**
 * The input of W at `scale` (1 = 1,000,000 events), as batches of W_BATCH events. Event i is at
 * 1 ms per event plus up to 3 s of disorder, keys are spread over W_KEYS by a multiplicative hash.
 */
export function windowedSumInput(scale = 1): WEvent[][] {
  const total = Math.round(1_000_000 * scale);
  const keys = Array.from({ length: W_KEYS }, (_, k) => `key-${k.toString().padStart(4, '0')}`);
  const batches: WEvent[][] = [];
  for (let from = 0; from < total; from += W_BATCH) {
    const batch: WEvent[] = [];
    for (let i = from; i < Math.min(total, from + W_BATCH); i++) {
      batch.push({ eventTime: new Date(W_BASE_MS + i - ((i * 7919) % 3000)), key: keys[(i * 7) % W_KEYS]!, amount: (i * 31) % 100 });
    }
    batches.push(batch);
  }
  return batches;
}

/** One output row of W, as foreachBatch sees it. */
interface WOutput { window: { start: Date; end: Date }; key: string; total: number }

/** The hand loop: nested Maps window start → key → running sum; each batch emits its changed groups. */
function handLoop(batches: readonly WEvent[][]): WOutput[][] {
  const windows = new Map<number, Map<string, { sum: number; batch: number }>>();
  const out: WOutput[][] = [];
  batches.forEach((batch, b) => {
    const changed: Array<[number, string, { sum: number; batch: number }]> = [];
    for (const e of batch) {
      const ms = e.eventTime.getTime();
      const start = ms - (((ms % W_WINDOW_MS) + W_WINDOW_MS) % W_WINDOW_MS);
      let groups = windows.get(start);
      if (!groups) windows.set(start, (groups = new Map()));
      let g = groups.get(e.key);
      if (!g) groups.set(e.key, (g = { sum: 0, batch: -1 }));
      g.sum += e.amount;
      if (g.batch !== b) { g.batch = b; changed.push([start, e.key, g]); }
    }
    out.push(changed.map(([start, key, g]) => ({ window: { start: new Date(start), end: new Date(start + W_WINDOW_MS) }, key, total: g.sum })));
  });
  return out;
}

type Checkpointing = 'none' | 'local' | 'redis';

/** Where the query checkpoints, and how to clean up after it. */
async function checkpointPlace(kind: Checkpointing): Promise<{ location: string | null; close(): Promise<void> }> {
  if (kind === 'none') return { location: null, close: async () => undefined };
  if (kind === 'local') {
    const dir = mkdtempSync(join(tmpdir(), 'spate-bench-w-'));
    return { location: join(dir, 'checkpoint'), close: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const server = await RedisServer.start();
  return { location: `${server.url}/0/bench-w`, close: () => server.stop() };
}

function windowedSumScenario(kind: Checkpointing): Scenario {
  const where = kind === 'none' ? '' : kind === 'local' ? ', local checkpoint every batch' : ', Redis checkpoint every batch';
  return {
    name: kind === 'none' ? 'windowed-sum' : `windowed-sum-${kind}`,
    description: `W: sum per key per 10 s tumbling window, 1M events, 1,000 keys, update mode, 10 batches${where}`,
    async run(scale): Promise<ScenarioResult> {
      const batches = windowedSumInput(scale);
      const events = batches.reduce((n, b) => n + b.length, 0);
      let hand: WOutput[][] = [];
      let handGc: GcCounter | undefined;
      const handMeasured = await measure(() => {
        handGc = gcShare();
        hand = handLoop(batches);
        return events;
      });
      const handGcShare = await handGc!.stop(handMeasured.ms, handMeasured.cpuMs);
      consume(hand);

      const place = await checkpointPlace(kind);
      try {
        const spark = Session.builder().appName('bench-w').create();
        const input = new MemoryStream(spark, windowedSumSchema);
        const seen: Row[][] = [];
        let gc: GcCounter | undefined;
        let cpuBefore = process.cpuUsage();
        const spate = await measure(async () => {
          gc = gcShare();
          cpuBefore = process.cpuUsage();
          const writer = input.toDF()
            .groupBy(window(col('eventTime'), '10 seconds'), col('key'))
            .agg(sum('amount').alias('total'))
            .writeStream.outputMode('update')
            .foreachBatch(async (batch) => { seen.push(await batch.collect()); });
          if (place.location) writer.option('checkpointLocation', place.location);
          const q = writer.start();
          for (const batch of batches) {
            input.addData(batch);
            await q.processAllAvailable();
          }
          await q.stop();
          if (q.exception()) throw q.exception();
          return events;
        });
        const cpu = process.cpuUsage(cpuBefore);
        const spateGcShare = await gc!.stop(spate.ms, (cpu.user + cpu.system) / 1000);
        await spark.stop();

        const rowsOut = sameWindowedOutput(seen, hand, 'key', 'total');
        const peers = kind === 'none' ? await sparkPeers('windowed-sum', () => ({ batches: batches.map((b) => b.map((e) => JSON.stringify(e))) }), rowsOut) : [];
        return {
          scenario: this.name,
          description: this.description,
          spate,
          handLoop: handMeasured,
          peers,
          figures: {
            'rows emitted (both)': rowsOut,
            'GC pauses / CPU time, spate (target < 15%)': `${(100 * spateGcShare.cpuShare).toFixed(1)}% (${spateGcShare.count} pauses, ${spateGcShare.ms.toFixed(0)} ms)`,
            'GC pauses / CPU time, hand loop': `${(100 * handGcShare.cpuShare).toFixed(1)}%`,
            'GC share of wall time, spate': `${(100 * spateGcShare.share).toFixed(1)}%`,
            'GC share of wall time, hand loop': `${(100 * handGcShare.share).toFixed(1)}%`,
            'spate CPU time / wall time (GC and I/O threads included)': ((cpu.user + cpu.system) / 1000 / spate.ms).toFixed(2),
          },
        };
      } finally {
        await place.close();
      }
    },
  };
}

export const windowedSum = windowedSumScenario('none');
export const windowedSumLocal = windowedSumScenario('local');
export const windowedSumRedis = windowedSumScenario('redis');
