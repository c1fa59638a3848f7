// The Yahoo streaming benchmark with JSON (issue 11): 1M JSON strings of 7 string fields →
// fromJson → filter event_type = 'view' → join a static table of 1,000 ads to their 100
// campaigns → count per campaign per 10-second window, update mode. MemoryStream, 10 batches of
// 100,000; each batch's output collected by foreachBatch. The hand loop parses with JSON.parse,
// looks the campaign up in a Map, and counts in nested Maps, emitting each batch's changed groups.
//
// `yahooInput` and `yahooAds` are the input and the static table, deterministic, for any peer
// that runs the benchmark over the same data. With `--peer spark` it also runs in Spark local[1]
// (peers/spark.ts: each batch one file of the JSON texts, state checkpointed every batch).
import type { Row } from '../../src/index.js';
import { MemoryStream, Session, col, expr, fromJson, window, types as T } from '../../src/index.js';
import type { Scenario, ScenarioResult } from '../harness.js';
import { consume, measure, sameWindowedOutput } from '../harness.js';
import type { GcCounter } from '../gc-share.js';
import { gcShare } from '../gc-share.js';
import { sparkPeers } from '../peers/spark.js';

export const YAHOO_BASE_MS = Date.UTC(2024, 0, 1);
export const YAHOO_WINDOW_MS = 10_000;
export const YAHOO_BATCH = 100_000;
const CAMPAIGNS = 100;
const ADS_PER_CAMPAIGN = 10;
const AD_TYPES = ['banner', 'modal', 'sponsored-search', 'mail', 'mobile'];
const EVENT_TYPES = ['view', 'click', 'purchase'];

export const yahooEventSchema = T.struct([
  T.field('user_id', T.string()), T.field('page_id', T.string()), T.field('ad_id', T.string()), T.field('ad_type', T.string()),
  T.field('event_type', T.string()), T.field('event_time', T.string()), T.field('ip_address', T.string()),
]);
export const yahooAdSchema = T.struct([T.field('ad_id', T.string()), T.field('campaign_id', T.string())]);

/** A deterministic UUID-shaped id for number n of a kind. */
function uuid(kind: number, n: number): string {
  const hex = (x: number, len: number): string => (x >>> 0).toString(16).padStart(len, '0').slice(-len);
  const a = Math.imul(n + 1, 0x9e3779b1) ^ kind;
  const b = Math.imul(n + 7, 0x85ebca6b) ^ (kind << 8);
  return `${hex(a, 8)}-${hex(b, 4)}-4${hex(b >>> 4, 3)}-a${hex(a >>> 12, 3)}-${hex(a ^ b, 8)}${hex(n, 4)}`;
}

/** The static table: 1,000 ads, 10 per campaign. */
export function yahooAds(): { ad_id: string; campaign_id: string }[] {
  const ads: { ad_id: string; campaign_id: string }[] = [];
  for (let c = 0; c < CAMPAIGNS; c++) {
    for (let a = 0; a < ADS_PER_CAMPAIGN; a++) ads.push({ ad_id: uuid(1, c * ADS_PER_CAMPAIGN + a), campaign_id: uuid(2, c) });
  }
  return ads;
}

/** The input at `scale` (1 = 1,000,000 events) as batches of JSON texts, one event per ms. */
export function yahooInput(scale = 1): { value: string }[][] {
  const total = Math.round(1_000_000 * scale);
  const ads = yahooAds().map((a) => a.ad_id);
  const users = Array.from({ length: 10_000 }, (_, i) => uuid(3, i));
  const pages = Array.from({ length: 1000 }, (_, i) => uuid(4, i));
  const batches: { value: string }[][] = [];
  for (let from = 0; from < total; from += YAHOO_BATCH) {
    const batch: { value: string }[] = [];
    for (let i = from; i < Math.min(total, from + YAHOO_BATCH); i++) {
      batch.push({
        value: JSON.stringify({
          user_id: users[(i * 7919) % users.length], page_id: pages[(i * 31) % pages.length], ad_id: ads[(i * 13) % ads.length],
          ad_type: AD_TYPES[i % AD_TYPES.length], event_type: EVENT_TYPES[(i * 7) % EVENT_TYPES.length],
          event_time: String(YAHOO_BASE_MS + i), ip_address: `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
        }),
      });
    }
    batches.push(batch);
  }
  return batches;
}

interface YahooOutput { window: { start: Date; end: Date }; campaign_id: string; count: number }

function handLoop(batches: readonly { value: string }[][]): YahooOutput[][] {
  const campaignOf = new Map(yahooAds().map((a) => [a.ad_id, a.campaign_id]));
  const windows = new Map<number, Map<string, { count: number; batch: number }>>();
  const out: YahooOutput[][] = [];
  batches.forEach((batch, b) => {
    const changed: Array<[number, string, { count: number; batch: number }]> = [];
    for (const { value } of batch) {
      const e = JSON.parse(value) as Record<string, string>;
      if (e['event_type'] !== 'view') continue;
      const campaign = campaignOf.get(e['ad_id']!);
      if (campaign === undefined) continue;
      const ms = Number(e['event_time']);
      const start = ms - (((ms % YAHOO_WINDOW_MS) + YAHOO_WINDOW_MS) % YAHOO_WINDOW_MS);
      let groups = windows.get(start);
      if (!groups) windows.set(start, (groups = new Map()));
      let g = groups.get(campaign);
      if (!g) groups.set(campaign, (g = { count: 0, batch: -1 }));
      g.count++;
      if (g.batch !== b) { g.batch = b; changed.push([start, campaign, g]); }
    }
    out.push(changed.map(([start, campaign_id, g]) => ({ window: { start: new Date(start), end: new Date(start + YAHOO_WINDOW_MS) }, campaign_id, count: g.count })));
  });
  return out;
}

export const yahoo: Scenario = {
  name: 'yahoo',
  description: 'Yahoo benchmark with JSON: 1M events, fromJson, filter views, join 1,000 ads, count per campaign per 10 s window, update mode',
  async run(scale): Promise<ScenarioResult> {
    const batches = yahooInput(scale);
    const events = batches.reduce((n, b) => n + b.length, 0);
    let hand: YahooOutput[][] = [];
    const handMeasured = await measure(() => {
      hand = handLoop(batches);
      return events;
    });
    consume(hand);

    const spark = Session.builder().appName('bench-yahoo').create();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const ads = spark.createDataFrame(yahooAds(), yahooAdSchema);
    const seen: Row[][] = [];
    let gc: GcCounter | undefined;
    const spate = await measure(async () => {
      gc = gcShare();
      const q = input.toDF()
        .select(fromJson(col('value'), yahooEventSchema).alias('e')).select('e.*')
        .filter(col('event_type').equalTo('view'))
        .join(ads, 'ad_id')
        .groupBy(window(expr('timestamp_millis(cast(event_time as long))'), '10 seconds'), col('campaign_id'))
        .count()
        .writeStream.outputMode('update')
        .foreachBatch(async (batch) => { seen.push(await batch.collect()); })
        .start();
      for (const batch of batches) {
        input.addData(batch);
        await q.processAllAvailable();
      }
      await q.stop();
      if (q.exception()) throw q.exception();
      return events;
    });
    const spateGc = await gc!.stop(spate.ms, spate.cpuMs);
    await spark.stop();

    const rowsOut = sameWindowedOutput(seen, hand, 'campaign_id', 'count');
    const peers = await sparkPeers('yahoo', () => ({ batches: batches.map((b) => b.map((e) => e.value)), staticLines: yahooAds().map((a) => JSON.stringify(a)) }), rowsOut);
    return {
      scenario: this.name,
      description: this.description,
      spate,
      handLoop: handMeasured,
      peers,
      figures: {
        'rows emitted (both)': rowsOut,
        'GC share of wall time, spate': `${(100 * spateGc.share).toFixed(1)}%`,
        'GC pauses / CPU time, spate': `${(100 * spateGc.cpuShare).toFixed(1)}%`,
      },
    };
  },
};
