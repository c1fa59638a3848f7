// A replayable generated source whose epochs split, for the many-cores benchmarks: event i is a
// pure function of i, so any thread reads any range of offsets, and the same run under local[1]
// and local[N] reads the same rows. Worker threads register it by importing this module
// (spate.worker.imports), as a user's `spate run` module registers its own sources.
//   kind 'w':     { eventTime, key, amount }: 1 ms per event, up to 3 s out of order, 1,000 keys
//   kind 'yahoo': { value }: the Yahoo benchmark's event as JSON text, 1 ms per event
import type { Row, StreamSource } from '../../src/index.js';
import { registerSource, types as T } from '../../src/index.js';

export const EVENTS_BASE_MS = Date.UTC(2024, 0, 1);
export const W_KEYS = 1000;
const CHUNK = 4096;
const AD_TYPES = ['banner', 'modal', 'sponsored-search', 'mail', 'mobile'];
const EVENT_TYPES = ['view', 'click', 'purchase'];
export const ADS = 1000;

const keys = Array.from({ length: W_KEYS }, (_, k) => `key-${k.toString().padStart(4, '0')}`);

export const wSchema = T.struct([T.field('eventTime', T.timestamp()), T.field('key', T.string()), T.field('amount', T.integer())]);
export const yahooSchema = T.struct([T.field('value', T.string())]);

export type Kind = 'w' | 'yahoo';

export function wEvent(i: number): { eventTime: Date; key: string; amount: number } {
  return { eventTime: new Date(EVENTS_BASE_MS + i - ((i * 7919) % 3000)), key: keys[(i * 7) % W_KEYS]!, amount: (i * 31) % 100 };
}

export function adId(n: number): string {
  return `ad-${n.toString().padStart(4, '0')}`;
}

/** The campaign of an ad: 10 ads per campaign. */
export function campaignOf(n: number): string {
  return `campaign-${Math.floor(n / 10).toString().padStart(3, '0')}`;
}

export function yahooEvent(i: number): { value: string } {
  return {
    value: JSON.stringify({
      user_id: `user-${(i * 7919) % 10_000}`, page_id: `page-${(i * 31) % 1000}`, ad_id: adId((i * 13) % ADS),
      ad_type: AD_TYPES[i % AD_TYPES.length], event_type: EVENT_TYPES[(i * 7) % EVENT_TYPES.length],
      event_time: String(EVENTS_BASE_MS + i), ip_address: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
    }),
  };
}

function* rows(kind: Kind, first: number, last: number): Iterable<Row[]> {
  const event = kind === 'w' ? wEvent : yahooEvent;
  for (let i = first; i < last; i += CHUNK) {
    const out: Row[] = [];
    for (let j = i; j < Math.min(last, i + CHUNK); j++) out.push(event(j));
    yield out;
  }
}

class GeneratedEvents implements StreamSource {
  readonly replayable = true;
  readonly schema;
  readonly description;

  constructor(private readonly kind: Kind, private readonly total: number, private readonly perBatch: number) {
    this.schema = kind === 'w' ? wSchema : yahooSchema;
    this.description = `GeneratedEvents[${kind}, ${total}]`;
  }

  async open(): Promise<void> {}
  async initialOffset(): Promise<number> { return 0; }
  async latestOffset(start: unknown): Promise<number> { return Math.min(this.total, (start as number) + this.perBatch); }
  read(start: unknown, end: unknown): Iterable<Row[]> { return rows(this.kind, start as number, end as number); }

  planSplits(start: unknown, end: unknown, maxSplits: number): { first: number; last: number }[] {
    const first = start as number;
    const last = end as number;
    const size = Math.ceil((last - first) / maxSplits);
    const out: { first: number; last: number }[] = [];
    for (let i = first; i < last; i += size) out.push({ first: i, last: Math.min(last, i + size) });
    return out;
  }

  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

const settings = (o: Readonly<Record<string, string>>): { kind: Kind; total: number; perBatch: number } =>
  ({ kind: o['kind'] === 'yahoo' ? 'yahoo' : 'w', total: Number(o['events']), perBatch: Number(o['perbatch']) });

registerSource('generated-events', {
  options: ['kind', 'events', 'perBatch'],
  schema: (opts) => (settings(opts.options).kind === 'w' ? wSchema : yahooSchema),
  create: (opts) => {
    const s = settings(opts.options);
    return new GeneratedEvents(s.kind, s.total, s.perBatch);
  },
  splitReader: (opts) => {
    const { kind } = settings(opts.options);
    return {
      read: (split) => {
        const r = split as { first: number; last: number };
        return rows(kind, r.first, r.last);
      },
      close: async () => undefined,
    };
  },
});
