// The hand loops of the many-cores scenarios (many-cores.ts): W and Yahoo with JSON written as
// plain loops, over a share of each batch (`part` of `parts`), so that the same loop runs on one
// thread over everything or on several worker threads (hand-thread.ts) each over its share. The
// threads share nothing and merge nothing: what two threads cost beyond one here is what any
// engine pays on this machine for running two threads at all (memory bandwidth, GC, the VM).
import { consume } from '../harness.js';
import type { Kind } from '../sources/generated-events.js';
import { ADS, campaignOf, wEvent, yahooEvent } from '../sources/generated-events.js';

export const BATCH = 100_000;
export const WINDOW_MS = 10_000;

/** The events of batch `from` that share `part` of `parts` handles. */
function share(from: number, events: number, part: number, parts: number): [number, number] {
  const len = Math.min(BATCH, events - from);
  return [from + Math.floor((len * part) / parts), from + Math.floor((len * (part + 1)) / parts)];
}

/** W by hand: the number of (window, key) groups changed per batch, summed. */
export function handW(events: number, part = 0, parts = 1): number {
  const windows = new Map<number, Map<string, { sum: number; batch: number }>>();
  let emitted = 0;
  for (let from = 0, b = 0; from < events; from += BATCH, b++) {
    const [first, last] = share(from, events, part, parts);
    for (let i = first; i < last; i++) {
      const e = wEvent(i);
      const ms = e.eventTime.getTime();
      const start = ms - (((ms % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
      let groups = windows.get(start);
      if (!groups) windows.set(start, (groups = new Map()));
      let g = groups.get(e.key);
      if (!g) groups.set(e.key, (g = { sum: 0, batch: -1 }));
      g.sum += e.amount;
      if (g.batch !== b) { g.batch = b; emitted++; }
    }
  }
  consume(windows);
  return emitted;
}

/** Yahoo with JSON by hand: the number of (window, campaign) groups changed per batch, summed. */
export function handYahoo(events: number, part = 0, parts = 1): number {
  const windows = new Map<number, Map<string, { count: number; batch: number }>>();
  let emitted = 0;
  for (let from = 0, b = 0; from < events; from += BATCH, b++) {
    const [first, last] = share(from, events, part, parts);
    for (let i = first; i < last; i++) {
      const e = JSON.parse(yahooEvent(i).value) as Record<string, string>;
      if (e['event_type'] !== 'view') continue;
      const ad = Number(e['ad_id']!.slice(3));
      if (!(ad >= 0 && ad < ADS)) continue;
      const campaign = campaignOf(ad);
      const ms = Number(e['event_time']);
      const start = ms - (((ms % WINDOW_MS) + WINDOW_MS) % WINDOW_MS);
      let groups = windows.get(start);
      if (!groups) windows.set(start, (groups = new Map()));
      let g = groups.get(campaign);
      if (!g) groups.set(campaign, (g = { count: 0, batch: -1 }));
      g.count++;
      if (g.batch !== b) { g.batch = b; emitted++; }
    }
  }
  consume(windows);
  return emitted;
}

export function handLoop(kind: Kind): (events: number, part?: number, parts?: number) => number {
  return kind === 'w' ? handW : handYahoo;
}
