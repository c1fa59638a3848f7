// Many cores (issue 12): the windowed sum (W) and the Yahoo benchmark with JSON, each run under
// master 'local[1]' and 'local[2]' on the same input, beside a hand loop doing the same work on
// one core. Two inputs each: a generated source whose epochs split, so that every worker thread
// reads its own ranges (benchmarks/sources/generated-events.ts, imported by the threads), and a
// MemoryStream, which the driver thread reads and deals out encoded (the serial part of a
// local[N] query fed by one thread). Figures: events/s at each N and their ratio, the exchange's
// share of the CPU time and its bytes per row, and the driver thread's time per epoch: what a
// 16-core machine would do follows from those (README, "Many cores"). Each of local[1],
// local[2] and the hand loops runs twice: the first run's figures include a fresh thread's
// warm-up (the JIT compiling the code again on each new thread, heaps growing), which a 1M-event
// run does not amortise; the second run's ("warm") are what a long-running query does.
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { DataFrame, Row, StreamingQueryProgress } from '../../src/index.js';
import type { StructType } from '../../src/expr/types.js';
import { tsxThread } from '../../src/cluster/worker-pool.js';
import { MemoryStream, Session, col, expr, fromJson, sum, window, types as T } from '../../src/index.js';
import type { Measurement, Scenario, ScenarioResult } from '../harness.js';
import { measure, perSecond } from '../harness.js';
import { counted } from '../noop-sink.js';
import type { Kind } from '../sources/generated-events.js';
import { ADS, adId, campaignOf, wEvent, wSchema, yahooEvent, yahooSchema } from '../sources/generated-events.js';
import type { HandTask } from '../hand-thread.js';
import { BATCH, handW, handYahoo } from './many-cores-hand.js';

const HAND_THREAD = pathToFileURL(join(import.meta.dirname, '..', 'hand-thread.ts')).href;
const SOURCES_MODULE = join(import.meta.dirname, '..', 'sources', 'generated-events.ts');

const yahooEventSchema = T.struct([
  T.field('user_id', T.string()), T.field('page_id', T.string()), T.field('ad_id', T.string()), T.field('ad_type', T.string()),
  T.field('event_type', T.string()), T.field('event_time', T.string()), T.field('ip_address', T.string()),
]);

interface Workload {
  readonly kind: Kind;
  readonly name: string;
  /** The query over the input frame. */
  query(spark: Session, input: DataFrame): DataFrame;
  /** The same work by hand over a share of each batch (all of it by default): the number of groups emitted over all batches. */
  hand(events: number, part?: number, parts?: number): number;
}

const wWorkload: Workload = {
  kind: 'w',
  name: 'W (sum per key per 10 s window)',
  query: (_spark, input) => input.groupBy(window(col('eventTime'), '10 seconds'), col('key')).agg(sum('amount').alias('total')),
  hand: handW,
};

const yahooWorkload: Workload = {
  kind: 'yahoo',
  name: 'Yahoo with JSON (fromJson, filter views, join 1,000 ads, count per campaign per 10 s window)',
  query(spark, input) {
    const ads = spark.createDataFrame(Array.from({ length: ADS }, (_, n) => ({ ad_id: adId(n), campaign_id: campaignOf(n) })),
      T.struct([T.field('ad_id', T.string()), T.field('campaign_id', T.string())]));
    return input.select(fromJson(col('value'), yahooEventSchema).alias('e')).select('e.*')
      .filter(col('event_type').equalTo('view'))
      .join(ads, 'ad_id')
      .groupBy(window(expr('timestamp_millis(cast(event_time as long))'), '10 seconds'), col('campaign_id'))
      .count();
  },
  hand: handYahoo,
};

interface Run {
  readonly measured: Measurement;
  readonly rowsOut: number;
  readonly cpuMs: number;
  readonly exchangeMs: number;
  /** Time the threads and the driver were busy (event-loop utilisation), summed. */
  readonly busyMs: number;
  readonly exchangeBytes: number;
  readonly exchangeRows: number;
  readonly driverMsPerEpoch: number;
  readonly epochs: number;
}

/** One run of a workload under `master`, its input split by the threads or dealt out by the driver. */
async function runOnce(w: Workload, master: string, input: 'splits' | 'driver', events: number, batches: Row[][] | null): Promise<Run> {
  const spark = Session.builder().appName('bench-cores').master(master)
    .config('spate.sql.shuffle.partitions', 64).config('spate.worker.imports', SOURCES_MODULE).create();
  const progress: StreamingQueryProgress[] = [];
  spark.streams.addListener({ onQueryProgress: ({ progress: p }: { progress: StreamingQueryProgress }) => { progress.push(p); } });
  counted.rows = 0;
  const schema: StructType = w.kind === 'w' ? wSchema : yahooSchema;
  const memory = input === 'driver' ? new MemoryStream<Row>(spark, schema) : null;
  const frame = memory ? memory.toDF()
    : spark.readStream.format('generated-events').option('kind', w.kind).option('events', events).option('perBatch', BATCH).load();
  let cpu = process.cpuUsage();
  let elu = performance.eventLoopUtilization();
  const measured = await measure(async () => {
    cpu = process.cpuUsage();
    elu = performance.eventLoopUtilization();
    const q = w.query(spark, frame).writeStream.format('noop').outputMode('update').start();
    if (memory) {
      for (const b of batches!) {
        memory.addData(b);
        await q.processAllAvailable();
      }
    } else {
      await q.processAllAvailable();
    }
    await q.stop();
    if (q.exception()) throw q.exception();
    return events;
  });
  const used = process.cpuUsage(cpu);
  const driver = performance.eventLoopUtilization(elu);
  await spark.stop();
  const withData = progress.filter((p) => p.numInputRows > 0);
  const ex = progress.map((p) => p.parallelism?.exchange).filter((x) => x !== undefined);
  return {
    measured,
    rowsOut: counted.rows,
    cpuMs: (used.user + used.system) / 1000,
    exchangeMs: ex.reduce((n, x) => n + x.ms, 0),
    busyMs: driver.active + progress.flatMap((p) => p.parallelism?.tasks ?? []).reduce((n, t) => n + t.busyMs, 0),
    exchangeBytes: ex.reduce((n, x) => n + x.bytes, 0),
    exchangeRows: ex.reduce((n, x) => n + x.rows, 0),
    driverMsPerEpoch: driver.active / Math.max(1, withData.length),
    epochs: withData.length,
  };
}

/**
 * The hand loop on `parts` worker threads at once, each over its share of every batch, the
 * threads started (and loaded through tsx) before the clock starts, as spate's are, with the same
 * young generation (worker-pool.ts' tsxThread): `runs` times on the same threads, one
 * measurement each (the first on fresh threads, the next ones on warm code).
 */
async function handOnThreads(kind: Kind, events: number, parts: number, runs: number): Promise<Measurement[]> {
  const threads = Array.from({ length: parts }, () => tsxThread(HAND_THREAD));
  const next = (t: Worker): Promise<unknown> => new Promise((resolve, reject) => { t.once('message', resolve); t.once('error', reject); });
  try {
    await Promise.all(threads.map(next));
    const out: Measurement[] = [];
    for (let r = 0; r < runs; r++) {
      out.push(await measure(async () => {
        await Promise.all(threads.map((t, part) => {
          const done = next(t);
          t.postMessage({ kind, events, part, parts } satisfies HandTask);
          return done;
        }));
        return events;
      }));
    }
    return out;
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

function scenario(w: Workload, input: 'splits' | 'driver'): Scenario {
  const name = `cores-${w.kind}${input === 'driver' ? '-memory' : ''}`;
  const from = input === 'splits' ? 'a generated source whose splits each thread reads' : 'a MemoryStream the driver deals out';
  return {
    name,
    description: `${w.name}, 1M events from ${from}, local[1] vs local[2]`,
    async run(scale): Promise<ScenarioResult> {
      const events = Math.round(1_000_000 * scale);
      let emitted = 0;
      const hand = await measure(() => {
        emitted = w.hand(events);
        return events;
      });
      const batches = input === 'driver' ? Array.from({ length: Math.ceil(events / BATCH) }, (_, b) =>
        Array.from({ length: Math.min(BATCH, events - b * BATCH) }, (_, j) => (w.kind === 'w' ? wEvent(b * BATCH + j) : yahooEvent(b * BATCH + j)) as Row)) : null;
      const one = await runOnce(w, 'local', input, events, batches);
      // The threads start once per process (about a second each, loading spate and the source's
      // module): started before the measured run, as a service's threads are.
      await runOnce(w, 'local[2]', 'splits', BATCH, null);
      const two = await runOnce(w, 'local[2]', input, events, batches);
      // The same runs again, on code the JIT has compiled and threads whose heaps have grown:
      // what a long-running query does (the first runs above pay each fresh thread's warm-up).
      const twoWarm = await runOnce(w, 'local[2]', input, events, batches);
      const oneWarm = await runOnce(w, 'local', input, events, batches);
      const handWarm = await measure(() => {
        w.hand(events);
        return events;
      });
      // Last, so that its threads' heaps are not there while spate runs.
      const [handTwo, handTwoWarm] = await handOnThreads(w.kind, events, 2, 2) as [Measurement, Measurement];
      for (const r of [one, two, oneWarm, twoWarm]) if (r.rowsOut !== emitted) throw new Error(`spate emitted ${r.rowsOut} rows, the hand loop ${emitted}`);
      const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;
      const usPerEvent = (cpuMs: number | undefined): string => ((1000 * (cpuMs ?? 0)) / events).toFixed(3);
      return {
        scenario: name,
        description: this.description,
        spate: two.measured,
        handLoop: hand,
        figures: {
          'local[1] events/s': perSecond(one.measured),
          'local[2] events/s': perSecond(two.measured),
          'speedup local[2] / local[1], first run on fresh threads (target >= 1.7)': perSecond(two.measured) / perSecond(one.measured),
          // The ceiling: the hand loop itself on two threads, each over half of every batch, sharing nothing.
          'hand loop on 2 threads / on 1 thread: speedup, and CPU per event ratio': `${(perSecond(handTwo) / perSecond(hand)).toFixed(2)}, ${((handTwo.cpuMs ?? 0) / Math.max(1e-9, hand.cpuMs ?? 0)).toFixed(2)}`,
          'spate CPU per event ratio local[2] / local[1]': (two.cpuMs / one.cpuMs).toFixed(2),
          'CPU time / wall time, local[1] and local[2]': `${(one.cpuMs / one.measured.ms).toFixed(2)} and ${(two.cpuMs / two.measured.ms).toFixed(2)}`,
          // CPU time per event does not depend on what else the machine runs: with both cores
          // free, local[2] could do at most 2 x (CPU per event at local[1]) / (CPU per event at local[2]).
          'CPU microseconds per event (every thread), local[1] and local[2]': `${((1000 * one.cpuMs) / events).toFixed(3)} and ${((1000 * two.cpuMs) / events).toFixed(3)}`,
          'speedup a quiet 2-core machine allows by CPU time (2 x cpu[1] / cpu[2])': (2 * one.cpuMs) / two.cpuMs,
          'exchange: share of busy time under local[2] (encoding and decoding, all threads)': pct(two.exchangeMs, two.busyMs),
          'exchange: bytes per row crossing, rows crossing per input row':
            `${(two.exchangeBytes / Math.max(1, two.exchangeRows)).toFixed(1)} B, ${(two.exchangeRows / events).toFixed(3)}`,
          'exchange: microseconds per row crossing (encode + decode)': (1000 * two.exchangeMs) / Math.max(1, two.exchangeRows),
          'driver thread busy per epoch, local[1] and local[2] (ms)': `${one.driverMsPerEpoch.toFixed(0)} and ${two.driverMsPerEpoch.toFixed(0)} over ${two.epochs} epochs`,
          'warm (each run again): CPU microseconds per event, local[1] and local[2]': `${usPerEvent(oneWarm.cpuMs)} and ${usPerEvent(twoWarm.cpuMs)}`,
          'warm: speedup local[2] / local[1] (target >= 1.7), and by CPU time (2 x cpu[1] / cpu[2])': `${(perSecond(twoWarm.measured) / perSecond(oneWarm.measured)).toFixed(2)}, ${((2 * oneWarm.cpuMs) / twoWarm.cpuMs).toFixed(2)}`,
          'warm: hand loop CPU microseconds per event on 1 and 2 threads, and on 2 threads / on 1 thread: speedup, CPU per event ratio':
            `${usPerEvent(handWarm.cpuMs)} and ${usPerEvent(handTwoWarm.cpuMs)}; ${(perSecond(handTwoWarm) / perSecond(handWarm)).toFixed(2)}, ${((handTwoWarm.cpuMs ?? 0) / Math.max(1e-9, handWarm.cpuMs ?? 0)).toFixed(2)}`,
          'cold (first run) hand loop CPU microseconds per event on 1 and 2 threads': `${usPerEvent(hand.cpuMs)} and ${usPerEvent(handTwo.cpuMs)}`,
          'rows emitted (all three)': emitted,
        },
      };
    },
  };
}

export const coresW = scenario(wWorkload, 'splits');
export const coresWMemory = scenario(wWorkload, 'driver');
export const coresYahoo = scenario(yahooWorkload, 'splits');
export const coresYahooMemory = scenario(yahooWorkload, 'driver');
