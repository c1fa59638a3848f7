// What the live page shows, kept per query: a point per committed batch for the charts (rates,
// batch phases, watermark and event-time lag, state rows, partition lag), the newest progress,
// the plan and the guarantee; sent to the page as server-sent events.
import type { ServerResponse } from 'node:http';
import type { EndToEndGuarantee } from '../query/guarantee.js';
import type { StreamingQueryProgress } from '../query/progress.js';
import { partitionLags } from './partition-lag.js';

export interface ChartPoint {
  /** The batch's trigger time, Unix seconds. */
  readonly t: number;
  /** Rows the batch read. */
  readonly rows: number;
  readonly inputRate: number;
  readonly processedRate: number;
  /** durationMs by phase, in ms. */
  readonly durations: Readonly<Record<string, number>>;
  /** Seconds the watermark is behind the batch's trigger time, when there is one. */
  readonly watermarkLag: number | null;
  /** Seconds the newest event time of the batch is behind its trigger time. */
  readonly eventTimeLag: number | null;
  readonly stateRows: Readonly<Record<string, number>>;
  /** Records waiting, by `topic/partition`. */
  readonly partitionLag: Readonly<Record<string, number>>;
}

export interface QueryView {
  readonly key: string;
  readonly id: string;
  readonly name: string | null;
  readonly guarantee: EndToEndGuarantee;
  readonly plan: string;
  status: string;
  ready: boolean;
  readonly points: ChartPoint[];
  progress: StreamingQueryProgress | null;
}

export function chartPoint(p: StreamingQueryProgress): ChartPoint {
  const t = Date.parse(p.timestamp);
  // A watermark of 0 means none yet: no lag to show.
  const seconds = (iso: string | undefined): number | null => (iso && Date.parse(iso) > 0 ? Math.max(0, (t - Date.parse(iso)) / 1000) : null);
  const { triggerExecution: _total, ...phases } = p.durationMs;
  return {
    t: t / 1000,
    rows: p.numInputRows,
    inputRate: p.inputRowsPerSecond,
    processedRate: p.processedRowsPerSecond,
    durations: phases as Record<string, number>,
    watermarkLag: seconds(p.eventTime.watermark),
    eventTimeLag: seconds(p.eventTime.max),
    stateRows: Object.fromEntries(p.stateOperators.map((o) => [o.operatorName, o.numRowsTotal])),
    partitionLag: Object.fromEntries(partitionLags(p.sources).map((l) => [`${l.topic}/${l.partition}`, l.records])),
  };
}

export class LiveFeed {
  private readonly views = new Map<string, QueryView>();
  private readonly clients = new Set<ServerResponse>();

  constructor(private readonly maxPoints = 600) {}

  added(view: Omit<QueryView, 'points' | 'progress' | 'status' | 'ready'>): void {
    const v: QueryView = { ...view, points: [], progress: null, status: 'Initializing sources', ready: false };
    this.views.set(view.key, v);
    this.send('query', v);
  }

  progress(key: string, p: StreamingQueryProgress): void {
    const v = this.views.get(key);
    if (!v) return;
    const point = chartPoint(p);
    v.points.push(point);
    if (v.points.length > this.maxPoints) v.points.shift();
    v.progress = p;
    this.send('point', { key, point, progress: p });
  }

  status(key: string, status: string, ready: boolean): void {
    const v = this.views.get(key);
    if (!v || (v.status === status && v.ready === ready)) return;
    v.status = status;
    v.ready = ready;
    this.send('status', { key, status, ready });
  }

  snapshot(): QueryView[] {
    return [...this.views.values()];
  }

  /** Starts a server-sent event stream on `res`: the snapshot, then every change. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(event('snapshot', this.snapshot()));
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  close(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  private send(name: string, data: unknown): void {
    const text = event(name, data);
    for (const c of this.clients) c.write(text);
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
