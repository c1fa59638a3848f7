// A generator source of ad impressions and clicks for the join benchmark: rows are computed
// from their offset when read, so memory holds only the batch in flight, never the input.
// Impressions come every 10 ms of event time with ids ad0, ad1, ...; clicks every 20 ms, each
// for the impression shown 0 to 65 minutes before it (so about 8% fall outside the hour).
import type { Row, StreamSource } from '../src/index.js';
import { registerSource, types as T } from '../src/index.js';

export const T0 = Date.UTC(2024, 0, 1);
const IMPRESSION_EVERY_MS = 10;
const CLICK_EVERY_MS = 20;
const CHUNK = 4096;

export const impressionSchema = T.struct([T.field('impressionAdId', T.string()), T.field('impressionTime', T.timestamp())]);
export const clickSchema = T.struct([T.field('clickAdId', T.string()), T.field('clickTime', T.timestamp())]);

export function impressions(from: number, to: number): Row[] {
  const rows: Row[] = [];
  for (let i = from; i < to; i++) rows.push({ impressionAdId: `ad${i}`, impressionTime: new Date(T0 + i * IMPRESSION_EVERY_MS) });
  return rows;
}

export function clicks(from: number, to: number): Row[] {
  const rows: Row[] = [];
  for (let j = from; j < to; j++) {
    const clickTime = T0 + j * CLICK_EVERY_MS;
    const shownBefore = ((j * 7919) % 3900) * 1000;
    const ad = Math.floor((clickTime - shownBefore - T0) / IMPRESSION_EVERY_MS);
    rows.push({ clickAdId: `ad${ad}`, clickTime: new Date(clickTime) });
  }
  return rows;
}

/** Rows `from`..`to` of a stream, in chunks. */
export function* generate(kind: 'impressions' | 'clicks', from: number, to: number): Iterable<Row[]> {
  const make = kind === 'impressions' ? impressions : clicks;
  for (let s = from; s < to; s += CHUNK) yield make(s, Math.min(to, s + CHUNK));
}

class AdEventSource implements StreamSource {
  readonly replayable = true;

  constructor(private readonly kind: 'impressions' | 'clicks', private readonly rows: number, private readonly perBatch: number) {}

  get schema() {
    return this.kind === 'impressions' ? impressionSchema : clickSchema;
  }

  get description(): string {
    return `AdEvents[${this.kind}, ${this.rows} rows]`;
  }

  async open(): Promise<void> {}
  async initialOffset(): Promise<number> { return 0; }
  async latestOffset(start: unknown): Promise<number> { return Math.min(this.rows, (start as number) + this.perBatch); }
  read(start: unknown, end: unknown): Iterable<Row[]> { return generate(this.kind, start as number, end as number); }
  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

const kindOf = (options: Readonly<Record<string, string>>): 'impressions' | 'clicks' =>
  options['kind'] === 'clicks' ? 'clicks' : 'impressions';

registerSource('ad-events', {
  options: ['kind', 'rows', 'rowsPerBatch'],
  schema: (opts) => (kindOf(opts.options) === 'impressions' ? impressionSchema : clickSchema),
  create: (opts) => new AdEventSource(kindOf(opts.options), Number(opts.options['rows']), Number(opts.options['rowsperbatch'])),
});
