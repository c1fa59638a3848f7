// What a benchmark scenario is, and how its two sides are measured in the same process:
// spate's query and a hand-written plain loop doing the same work, each with its peak RSS.

export interface Measurement {
  /** Events processed. */
  readonly events: number;
  readonly ms: number;
  /**
   * CPU time of the process over the run (every thread: GC helpers included), in ms. On a shared
   * machine it is steadier than wall time, which counts the time other processes held the cores.
   */
  readonly cpuMs?: number;
  /** Highest resident set size seen while this side ran, in MiB. */
  readonly peakRssMiB: number;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly description: string;
  readonly spate: Measurement;
  /** The hand-written loop; absent for scenarios measuring something else (latency, commit times). */
  readonly handLoop?: Measurement;
  /** Extra figures: p50/p99 latencies, state rows, commit times. */
  readonly figures?: Readonly<Record<string, number | string>>;
  /** Other engines on the same input (`--peer spark`): Spark local[1], local[2]. */
  readonly peers?: readonly PeerMeasurement[];
}

export interface PeerMeasurement extends Measurement {
  /** e.g. `Spark local[1]`. */
  readonly name: string;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(scale: number): Promise<ScenarioResult>;
}

let measured = 0;

/**
 * Runs `work`, sampling RSS every 25 ms; `work` returns the number of events it processed. With
 * SPATE_BENCH_PROFILE_DIR set (`npm run bench -- --profile DIR`), each measured run also writes
 * a CPU profile of just that run, `<scenario>.<n>.cpuprofile` (n counts the runs: 1 is usually
 * the hand loop, 2 spate).
 */
export async function measure(work: () => Promise<number> | number): Promise<Measurement> {
  global.gc?.();
  const profile = await startProfile();
  // memoryUsage.rss() alone: the full memoryUsage() also walks the heap spaces, a cost the
  // sampling would put on whichever side yields to the event loop (spate, not a hand loop).
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 25);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  try {
    const events = await work();
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { events, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakRssMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
    await profile?.();
  }
}

/** Starts the inspector's CPU profiler when asked to; returns what writes the profile. */
async function startProfile(): Promise<(() => Promise<void>) | null> {
  const dir = process.env['SPATE_BENCH_PROFILE_DIR'];
  if (!dir) return null;
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const n = ++measured;
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(`${dir}/${process.env['SPATE_BENCH_SCENARIO'] ?? 'scenario'}.${n}.cpuprofile`, JSON.stringify(profile));
    session.disconnect();
  };
}

export function perSecond(m: Measurement): number {
  return m.events / (m.ms / 1000);
}

/**
 * Checks a windowed aggregation's output, batch by batch, against the hand loop's: as many rows,
 * and the same last value of every (window, key) group. Returns the number of rows.
 */
export function sameWindowedOutput(spate: readonly (readonly Record<string, unknown>[])[], hand: readonly (readonly object[])[], key: string, value: string): number {
  const last = (batches: readonly (readonly object[])[]): Map<string, unknown> => {
    const m = new Map<string, unknown>();
    for (const rows of batches) {
      for (const row of rows) {
        const r = row as Record<string, unknown>;
        m.set(`${(r['window'] as { start: Date }).start.getTime()}|${String(r[key])}`, r[value]);
      }
    }
    return m;
  };
  const rowsOut = spate.reduce((n, b) => n + b.length, 0);
  const handRowsOut = hand.reduce((n, b) => n + b.length, 0);
  if (rowsOut !== handRowsOut) throw new Error(`spate emitted ${rowsOut} rows, the hand loop ${handRowsOut}`);
  const got = last(spate);
  for (const [k, v] of last(hand)) if (got.get(k) !== v) throw new Error(`group ${k}: spate ${String(got.get(k))}, hand loop ${String(v)}`);
  return rowsOut;
}

/** Keeps a value alive so the optimiser cannot drop the work that produced it. */
export let sink: unknown = null;
export function consume(v: unknown): void {
  sink = v;
}
