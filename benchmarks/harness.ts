// What a benchmark scenario is, and how its two sides are measured in the same process:
// spate's query and a hand-written plain loop doing the same work, each with its peak RSS.

export interface Measurement {
  /** Events processed. */
  readonly events: number;
  readonly ms: number;
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

/** Runs `work`, sampling RSS every 25 ms; `work` returns the number of events it processed. */
export async function measure(work: () => Promise<number> | number): Promise<Measurement> {
  global.gc?.();
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
  const started = performance.now();
  try {
    const events = await work();
    const ms = performance.now() - started;
    peak = Math.max(peak, process.memoryUsage().rss);
    return { events, ms, peakRssMiB: peak / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

export function perSecond(m: Measurement): number {
  return m.events / (m.ms / 1000);
}

/** Keeps a value alive so the optimiser cannot drop the work that produced it. */
export let sink: unknown = null;
export function consume(v: unknown): void {
  sink = v;
}
