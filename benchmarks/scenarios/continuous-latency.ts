// End-to-end latency of a continuous query: the rate source at 10,000 rows/s, a stateless
// select / filter / withColumn chain, a sink that notes when each row arrives, under
// Trigger.Continuous with a checkpoint on local disk (an epoch every second). Beside it, a
// hand-written loop doing the same: a timer wakes when rows fall due, makes them the same way,
// filters, projects and hands them to the same kind of sink. A row's latency is its arrival
// time minus its creation time (its `timestamp` column: the whole millisecond it fell due in,
// so both sides read up to 1 ms high alike). The first second of each run is left out (warm-up).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Session, Trigger, col, expr, registerSink } from '../../src/index.js';
import type { QueryClock, Row, StreamSink } from '../../src/index.js';
import { countedAtMs, dueMs, valueAtMs } from '../../src/connectors/rate/rate-source.js';
import type { Measurement, Scenario } from '../harness.js';
import { measure } from '../harness.js';

const ROWS_PER_SECOND = 10_000;
const WARM_UP_MS = 1000;

/** One timeline for both sides: whole milliseconds to start and stamp rows, fractions to note arrivals. */
const now = (): number => performance.timeOrigin + performance.now();
const wholeMs = (): number => Math.floor(now());
const clock: QueryClock = {
  now: wholeMs,
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/** Latencies of the rows that arrived after the warm-up. */
class Latencies {
  private readonly values: number[] = [];
  constructor(private readonly measureFrom: number) {}

  note(created: Date): void {
    const arrived = now();
    if (arrived >= this.measureFrom) this.values.push(arrived - created.getTime());
  }

  get count(): number {
    return this.values.length;
  }

  percentile(p: number): number {
    const sorted = Float64Array.from(this.values).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  }
}

let spateLatencies: Latencies | null = null;

registerSink('latency', {
  options: [],
  create(): StreamSink {
    return {
      description: 'LatencySink',
      supportedModes: ['append'],
      guarantee: 'none',
      needsCheckpointLocation: false,
      supportsContinuous: true,
      async open() {},
      beginEpoch() {
        return { write: (rows: Row[]) => { for (const r of rows) spateLatencies!.note(r['timestamp'] as Date); }, commit: () => undefined };
      },
      async close() {},
    };
  },
});

/** The hand-written loop: timer-driven generation → filter and projection → sink, for `ms`. */
function handLoop(ms: number, latencies: Latencies): Promise<number> {
  const start = wholeMs();
  let next = 0;
  let delivered = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const elapsed = wholeMs() - start;
      const upTo = valueAtMs(elapsed, ROWS_PER_SECOND, 0);
      for (; next < upTo; next++) {
        const row = { timestamp: new Date(start + dueMs(next, ROWS_PER_SECOND, 0)), value: next };
        if (row.value % 3 === 1) continue;
        const out = { value: row.value, timestamp: row.timestamp, doubled: row.value * 2 };
        latencies.note(out.timestamp);
        delivered++;
      }
      if (elapsed >= ms) {
        resolve(delivered);
        return;
      }
      setTimeout(tick, Math.max(1, countedAtMs(next, ROWS_PER_SECOND, 0) - elapsed));
    };
    tick();
  });
}

export const continuousLatency: Scenario = {
  name: 'continuous-latency',
  description: 'Trigger.Continuous end-to-end latency per row at 10,000 rows/s through select/filter/withColumn',
  async run(scale) {
    const ms = Math.max(3000, Math.round(15_000 * scale));

    const handLatencies = new Latencies(now() + WARM_UP_MS);
    const hand: Measurement = await measure(() => handLoop(ms, handLatencies));

    const dir = mkdtempSync(join(tmpdir(), 'spate-bench-continuous-'));
    let spate: Measurement;
    try {
      const spark = Session.builder().appName('bench').clock(clock).create();
      spateLatencies = new Latencies(now() + WARM_UP_MS);
      const latencies = spateLatencies;
      spate = await measure(async () => {
        const q = spark.readStream.format('rate').option('rowsPerSecond', ROWS_PER_SECOND).load()
          .filter(expr('value % 3 != 1'))
          .select(col('value'), col('timestamp'))
          .withColumn('doubled', col('value').multiply(2))
          .writeStream.format('latency').trigger(Trigger.Continuous('1 second'))
          .option('checkpointLocation', join(dir, 'cp')).start();
        await sleep(ms);
        await q.stop();
        if (q.exception()) throw q.exception();
        return q.recentProgress.reduce((n, p) => n + p.sink.numOutputRows, 0);
      });
      if (latencies.count === 0) throw new Error('no row reached the latency sink');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const round = (v: number): number => Math.round(v * 100) / 100;
    const s = spateLatencies!;
    return {
      scenario: this.name,
      description: this.description,
      spate,
      handLoop: hand,
      figures: {
        'spate p50 latency ms': round(s.percentile(50)),
        'spate p99 latency ms': round(s.percentile(99)),
        'spate p99.9 latency ms': round(s.percentile(99.9)),
        'hand loop p50 latency ms': round(handLatencies.percentile(50)),
        'hand loop p99 latency ms': round(handLatencies.percentile(99)),
        'rows measured (spate / hand loop)': `${s.count} / ${handLatencies.count}`,
      },
    };
  },
};
