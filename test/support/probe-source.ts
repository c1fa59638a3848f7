// A source for trigger tests: the test appends rows; the source records, on the query's
// clock, every time a trigger asks it how far it has data (so a test sees when triggers ran,
// including those that found nothing). `maxRowsPerTrigger` is its read limit.
import { numberOption } from '../../src/connectors/contract.js';
import type { Offset, Row, SourceContext, StreamSource } from '../../src/index.js';
import { registerSource, types as T } from '../../src/index.js';

export const PROBE_SCHEMA = T.struct([T.field('id', T.long())]);

export class Probe {
  readonly rows: Row[] = [];
  /** Clock times at which triggers asked for the latest offset. */
  readonly plannedAt: number[] = [];
  /** While set, a trigger asking for the latest offset waits for it (to catch a query planning). */
  gate: Promise<void> | null = null;
  private wakers = new Set<() => void>();

  /** Holds the next triggers in planning until the returned function is called. */
  hold(): () => void {
    let release = (): void => undefined;
    this.gate = new Promise<void>((r) => { release = r; });
    return () => { this.gate = null; release(); };
  }

  /** Appends rows with ids continuing from the last, and wakes an idle query. */
  add(n: number): void {
    for (let i = 0; i < n; i++) this.rows.push({ id: this.rows.length });
    for (const w of this.wakers) w();
  }

  onData(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }
}

const probes = new Map<string, Probe>();
let counter = 0;

/** A new probe; read it with readStream.format('probe').option('name', name). */
export function newProbe(): { name: string; probe: Probe } {
  const name = `probe-${counter++}`;
  const probe = new Probe();
  probes.set(name, probe);
  return { name, probe };
}

class ProbeSource implements StreamSource {
  readonly schema = PROBE_SCHEMA;
  readonly replayable = true;
  readonly description: string;
  private ctx: SourceContext | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly probe: Probe, name: string, private readonly maxRows: number) {
    this.description = `Probe[${name}]`;
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.unsubscribe = this.probe.onData(() => ctx.wake());
  }

  async initialOffset(): Promise<Offset> { return 0; }

  async latestOffset(start: Offset, limits: 'default' | 'all'): Promise<Offset> {
    this.probe.plannedAt.push(this.ctx!.clock.now());
    if (this.probe.gate) await this.probe.gate;
    const from = (start as number | null) ?? 0;
    return limits === 'all' ? this.probe.rows.length : Math.min(this.probe.rows.length, from + this.maxRows);
  }

  *read(start: Offset, end: Offset): Iterable<Row[]> {
    yield this.probe.rows.slice(start as number, end as number);
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {
    this.unsubscribe?.();
  }
}

registerSource('probe', {
  options: ['name', 'maxRowsPerTrigger'],
  schema: () => PROBE_SCHEMA,
  create: (opts) => {
    const name = opts.options['name'] ?? '';
    const probe = probes.get(name);
    if (!probe) throw new Error(`no probe named '${name}': create one with newProbe()`);
    return new ProbeSource(probe, name, numberOption(opts.options, 'maxRowsPerTrigger', 1_000_000, (n) => Number.isInteger(n) && n > 0));
  },
});
