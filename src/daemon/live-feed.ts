// What the live page shows, kept per query: a point per committed batch for the charts (rates,
// batch phases, watermark and event-time lag, state rows, partition lag), the newest progress,
// the plan and the guarantee; and per cluster worker its last status (the units it owns, their
// lag and rows, the epochs); sent to the page as server-sent events.
import type { ServerResponse } from 'node:http';
import type { ClusterWorkerStatus } from '../cluster/group/worker-status.js';
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

/** A cluster worker the daemon runs (DaemonContext.startWorker), as the live page shows it. */
export interface WorkerView {
  /** `<query>/<worker id>`, its key in /readyz too. */
  readonly key: string;
  readonly query: string;
  readonly workerId: string;
  /** What the health monitor reads from it ("Processing epoch 4", "Waiting for data to arrive"). */
  readonly message: string;
  readonly ready: boolean;
  /** Whether it stopped (drained, or failed). */
  readonly stopped: boolean;
  /** Its last status snapshot (null until the first was read). */
  readonly status: ClusterWorkerStatus | null;
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
  private readonly workerViews = new Map<string, { view: WorkerView; json: string }>();
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

  /** A cluster worker's view, sent to the page when it changed. */
  worker(view: WorkerView): void {
    const json = JSON.stringify(view);
    if (this.workerViews.get(view.key)?.json === json) return;
    this.workerViews.set(view.key, { view, json });
    this.send('worker', view);
  }

  snapshot(): QueryView[] {
    return [...this.views.values()];
  }

  workers(): WorkerView[] {
    return [...this.workerViews.values()].map((w) => w.view);
  }

  /** Starts a server-sent event stream on `res`: the snapshot (queries, then workers), then every change. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(event('snapshot', this.snapshot()));
    for (const w of this.workers()) res.write(event('worker', w));
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
