// One `spate run` process: loads the application's module into a session it made, watches every
// query and cluster worker the module starts (metrics, live page, health), and decides how the process ends:
// 0 every query stopped cleanly (drained on SIGTERM, or finished), 1 a query failed or did not
// drain within the grace period, 3 a query stalled past the grace period. Usage problems (2)
// are found before any of this starts.
import { basename } from 'node:path';
import type { Logger } from 'pino';
import { Session } from '../api/session.js';
import { startWorker } from '../api/start-worker.js';
import type { ClusterWorker } from '../cluster/group/worker.js';
import { errorMessage } from '../errors.js';
import type { QueryRestartedEvent, StreamingQueryListener } from '../query/manager.js';
import type { StreamingQueryProgress } from '../query/progress.js';
import type { StreamingQuery } from '../query/streaming-query.js';
import type { HealthSettings, QueryHealth } from './health.js';
import { HealthMonitor } from './health.js';
import { LiveFeed } from './live-feed.js';
import { loadModule } from './load-module.js';
import { DaemonMetrics } from './metrics.js';
import type { DaemonContext } from './module-contract.js';
import { LagClock, partitionLags } from './partition-lag.js';
import type { ListeningServer } from './server.js';
import { startServer } from './server.js';
import { UsageError } from './settings.js';
import { WatchedWorker } from './watched-worker.js';
import { WorkerMetrics } from './worker-metrics.js';

/** How `spate run` runs a module: its command-line flags (cli.ts), parsed. */
export interface DaemonOptions extends HealthSettings {
  /** The module to run: a path to a JavaScript (or, with tsx, TypeScript) file (`<module>`). */
  readonly module: string;
  /** --config and --set merged: `spate.*` keys configure the session, the rest reach the module. */
  readonly settings: ReadonlyMap<string, string>;
  /** The address the HTTP server binds (--host): 127.0.0.1 unless told. */
  readonly host: string;
  /** The HTTP port (--port): 4040 by default; 0 picks a free one. */
  readonly port: number;
  /** How long SIGTERM waits for the batches in flight to commit (--grace-period), in ms: 30 s by default. */
  readonly gracePeriodMs: number;
  /** How often each query's progress is logged (--progress-interval), in ms: 30 s by default; 0 never. */
  readonly progressIntervalMs: number;
}

/** The exit codes of `spate run` (and the other commands, for usage errors). */
export const EXIT = {
  /** Every query stopped cleanly: drained on SIGTERM or SIGINT, or finished. */
  stopped: 0,
  /** A query failed, or the queries did not drain within the grace period. */
  failed: 1,
  /** A usage or configuration error: unknown setting, bad value, module not found or throwing, port in use. */
  usage: 2,
  /** A query stalled past the stall grace period. */
  stalled: 3,
} as const;

/**
 * `spate run`: loads the module, gives it a session ({@link DaemonContext}), serves the live page,
 * `/metrics`, `/healthz` and `/readyz` for the queries it starts, logs their progress, drains them
 * on SIGTERM or SIGINT and decides the exit code ({@link EXIT}).
 */
export class Daemon {
  private readonly spark: Session;
  private readonly lagClock = new LagClock(Date.now());
  private readonly metrics = new DaemonMetrics(this.lagClock);
  private readonly workerMetrics = new WorkerMetrics(this.metrics.registry, this.metrics);
  /** Cluster workers the module started (DaemonContext.startWorker), by their health key. */
  private readonly workers = new Map<string, WatchedWorker>();
  private readonly startingWorkers: Promise<unknown>[] = [];
  private readonly feed = new LiveFeed();
  private readonly health: HealthMonitor;
  private readonly queries = new Map<string, StreamingQuery>();
  private lastHealth: QueryHealth[] = [];
  private moduleLoaded = false;
  private draining: Promise<{ drained: boolean }> | null = null;
  private signals = 0;
  private failed = false;
  private stalled = false;
  private finish!: (code: number) => void;
  private readonly finished = new Promise<number>((resolve) => { this.finish = resolve; });
  private timers: NodeJS.Timeout[] = [];
  private server: ListeningServer | null = null;
  private readonly progressSinceLog = new Map<string, number>();

  constructor(private readonly options: DaemonOptions, private readonly log: Logger) {
    this.health = new HealthMonitor(options);
    const session = Session.builder().appName(basename(options.module)).logger(log);
    for (const [k, v] of options.settings) if (k.startsWith('spate.')) session.config(k, v);
    this.spark = session.create();
  }

  /** Runs until the queries end or the process must exit; resolves to the exit code. */
  async run(): Promise<number> {
    const { log } = this;
    this.spark.streams.addListener(this.listener);
    this.server = await startServer({
      metrics: () => this.metrics.scrape(),
      readiness: () => this.readiness(),
      queries: () => this.feed.snapshot(),
      workers: () => this.feed.workers(),
      subscribe: (res) => this.feed.subscribe(res),
      drain: () => this.drain('drain request'),
    }, this.options.host, this.options.port);
    log.info({ url: this.server.url, module: this.options.module }, `spate run: live page, /metrics, /healthz and /readyz at ${this.server.url}`);
    const onSignal = (signal: NodeJS.Signals): void => this.onSignal(signal);
    process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
    this.every(Math.min(1000, Math.max(50, this.options.stallTimeoutMs / 4)), () => this.checkHealth());
    if (this.options.progressIntervalMs > 0) this.every(this.options.progressIntervalMs, () => this.logProgress());
    try {
      await this.loadAndStart();
      return await this.finished;
    } finally {
      for (const t of this.timers) clearInterval(t);
      process.off('SIGTERM', onSignal).off('SIGINT', onSignal);
      this.spark.streams.removeListener(this.listener);
      this.feed.close();
      await this.server.close();
    }
  }

  private async loadAndStart(): Promise<void> {
    const exports = await loadModule(this.options.module);
    const main = exports['default'];
    if (typeof main === 'function') {
      const ctx: DaemonContext = {
        spark: this.spark,
        settings: Object.fromEntries([...this.options.settings].filter(([k]) => !k.startsWith('spate.'))),
        logger: this.log,
        startWorker: (writer, options = {}) => {
          const onEvent = options.onEvent;
          const started = startWorker(writer, {
            ...options,
            onEvent: (event) => {
              this.log.debug({ event }, `cluster worker: ${event}`);
              onEvent?.(event);
            },
          }).then((w) => this.watchWorker(w));
          this.startingWorkers.push(started.catch(() => undefined));
          return started;
        },
      };
      try {
        await (main as (c: DaemonContext) => unknown)(ctx);
      } catch (e) {
        throw new UsageError(`module ${this.options.module} threw from its default export: ${errorMessage(e)}`, { cause: e });
      }
    }
    await Promise.all(this.startingWorkers);
    this.moduleLoaded = true;
    for (const q of this.spark.streams.active) this.watch(q);
    if (this.queries.size === 0 && this.active().length === 0 && this.workers.size === 0) {
      throw new UsageError(
        `module ${this.options.module} started no queries: export default a function ({ spark, startWorker }) that starts them ` +
        '(or cluster workers of them), ' +
        'or start them when the module loads on Session.builder().getOrCreate() (the same session)',
      );
    }
    this.settleIfDone();
  }

  private readonly listener: StreamingQueryListener = {
    onQueryStarted: (e) => {
      const q = this.spark.streams.get(e.id);
      if (q) this.watch(q);
    },
    onQueryProgress: ({ progress }) => this.onProgress(progress),
    onQueryRestarted: (e) => this.onRestarted(e),
    onQueryTerminated: (e) => {
      const key = [...this.queries].find(([, q]) => q.id === e.id)?.[0] ?? e.id;
      if (e.error) {
        this.failed = true;
        this.log.error({ query: key, id: e.id, err: e.error, cause: errorMessage(e.error.cause ?? e.error) }, `query ${key} failed: ${e.exception}`);
        if (!this.draining) void this.drain(`query ${key} failed`);
      } else {
        this.log.info({ query: key, id: e.id }, `query ${key} stopped`);
      }
      this.health.forget(key);
      this.metrics.setReady(key, false);
      this.feed.status(key, e.error ? `Terminated with exception: ${e.exception}` : 'Stopped', false);
      this.settleIfDone();
    },
  };

  private watch(q: StreamingQuery): void {
    const key = keyOf(q);
    if (this.queries.has(key) || !q.id) return;
    this.queries.set(key, q);
    this.feed.added({ key, id: q.id, name: q.name, guarantee: q.guarantee, plan: q.explain() });
  }

  private watchWorker(worker: ClusterWorker): ClusterWorker {
    const w = new WatchedWorker(worker);
    this.workers.set(w.key, w);
    this.log.info({ query: worker.query, worker: worker.workerId }, `cluster worker ${worker.workerId} of query ${worker.query} joined its group`);
    w.ended().then(() => {
      this.log.info({ query: worker.query, worker: worker.workerId }, `cluster worker ${worker.workerId} of query ${worker.query} stopped (it left its group)`);
    }, (e: unknown) => {
      this.failed = true;
      this.log.error({ query: worker.query, worker: worker.workerId, err: e }, `cluster worker ${worker.workerId} of query ${worker.query} failed: ${errorMessage(e)}`);
      if (!this.draining) void this.drain(`cluster worker ${worker.workerId} failed`);
    }).finally(() => {
      w.settled = true;
      this.showWorker(w, undefined);
      this.health.forget(w.key);
      this.workerMetrics.forget(worker.workerId);
      this.settleIfDone();
    });
    return worker;
  }

  /** Reads every running worker's status again; an epoch the query committed counts as a commit. */
  private async refreshWorkers(): Promise<void> {
    await Promise.all([...this.workers.values()].filter((w) => !w.settled).map(async (w) => {
      if (await w.refresh()) this.health.committed(w.key, Date.now());
      const h = this.lastHealth.find((x) => x.key === w.key);
      if (w.status && !w.settled) this.workerMetrics.update(w.status, w.ready(h));
      this.showWorker(w, h);
    }));
  }

  /** Tells the live page the worker's last status. */
  private showWorker(w: WatchedWorker, h: QueryHealth | undefined): void {
    this.feed.worker({ key: w.key, query: w.worker.query, workerId: w.worker.workerId, message: w.watched().status.message,
      ready: w.ready(h), stopped: w.settled, status: w.status });
  }

  private onProgress(p: StreamingQueryProgress): void {
    const key = p.name ?? p.id;
    this.health.committed(key, Date.now());
    this.metrics.progress(key, p);
    this.feed.progress(key, p);
    this.progressSinceLog.set(key, (this.progressSinceLog.get(key) ?? 0) + p.numInputRows);
  }

  private onRestarted(e: QueryRestartedEvent): void {
    this.metrics.restarted(e.name ?? e.id);
  }

  private checkHealth(): void {
    void this.refreshWorkers();
    const now = Date.now();
    const watched = [...this.queries].map(([key, q]) => ({
      key, isActive: q.isActive, status: q.status, triggerIntervalMs: triggerIntervalMs(q),
    }));
    const before = new Map(this.lastHealth.map((h) => [h.key, h]));
    this.lastHealth = this.health.check([...watched, ...[...this.workers.values()].map((w) => w.watched())], now);
    for (const h of this.lastHealth) {
      const w = this.workers.get(h.key);
      if (w) {
        this.checkWorker(w, h, before.get(h.key));
        continue;
      }
      const q = this.queries.get(h.key)!;
      this.metrics.setReady(h.key, h.healthy);
      this.feed.status(h.key, q.status.message, h.healthy);
      const was = before.get(h.key);
      if (h.stalledSinceMs !== null && was?.stalledSinceMs === null) {
        this.log.error(
          { query: h.key, status: q.status.message, thresholdMs: h.thresholdMs, graceMs: this.options.stallGraceMs },
          `query ${h.key} stalled: no commit and no idle trigger for ${Math.round(h.thresholdMs / 1000)} s; /readyz fails, ` +
          `and the process exits with code 3 in ${Math.round(this.options.stallGraceMs / 1000)} s unless it recovers`,
        );
      } else if (h.stalledSinceMs === null && was?.stalledSinceMs !== null && was !== undefined) {
        this.log.info({ query: h.key }, `query ${h.key} recovered from its stall`);
      }
    }
    const expired = this.health.graceExpired(this.lastHealth, now);
    if (expired && !this.draining) void this.exitStalled(expired);
  }

  private checkWorker(w: WatchedWorker, h: QueryHealth, was: QueryHealth | undefined): void {
    this.workerMetrics.setReady(w.worker.workerId, w.ready(h));
    const s = w.status;
    if (h.stalledSinceMs !== null && was?.stalledSinceMs === null) {
      const lag = w.lagRecords;
      this.log.error(
        { query: w.worker.query, worker: w.worker.workerId, plannedEpoch: s?.plannedEpoch ?? null, committedEpoch: s?.committedEpoch ?? null,
          lagRecords: lag, lastFailure: s?.lastFailure ?? w.statusError, thresholdMs: h.thresholdMs, graceMs: this.options.stallGraceMs },
        `cluster query ${w.worker.query} stalled (seen by worker ${w.worker.workerId}): no epoch committed for ${Math.round(h.thresholdMs / 1000)} s ` +
        `while its sources lag by ${lag} records (last committed epoch ${s?.committedEpoch ?? 'unknown'}, planned ${s?.plannedEpoch ?? 'unknown'}` +
        `${s?.lastFailure ? `, last failure ${s.lastFailure}` : ''}); /readyz fails, and the process exits with code 3 in ` +
        `${Math.round(this.options.stallGraceMs / 1000)} s unless it recovers`,
      );
    } else if (h.stalledSinceMs === null && was?.stalledSinceMs !== null && was !== undefined) {
      this.log.info({ query: w.worker.query, worker: w.worker.workerId }, `cluster query ${w.worker.query} recovered from its stall`);
    }
  }

  private async exitStalled(h: QueryHealth): Promise<void> {
    this.draining = Promise.resolve({ drained: false });
    this.stalled = true;
    const w = this.workers.get(h.key);
    const what = w ? `cluster query ${w.worker.query} (worker ${w.worker.workerId})` : `query ${h.key}`;
    this.log.fatal(w ? { query: w.worker.query, worker: w.worker.workerId } : { query: h.key }, `${what} is still stalled after the grace period: stopping at once and exiting with code ${EXIT.stalled}`);
    await withTimeout(Promise.all([...this.active().map((q) => q.stopNow()), ...this.activeWorkers().map((w) => w.stop())]), 5000);
    this.finish(EXIT.stalled);
  }

  private readiness(): { ready: boolean; queries: unknown; workers?: unknown } {
    const queryHealth = this.lastHealth.filter((h) => !this.workers.has(h.key));
    const queries = queryHealth.map((h) => ({
      query: h.key, ready: h.healthy, stalled: h.stalledSinceMs !== null,
      status: this.queries.get(h.key)?.status.message ?? null,
      lastHealthy: h.lastHealthyMs === null ? null : new Date(h.lastHealthyMs).toISOString(),
    }));
    const workers = this.lastHealth.flatMap((h) => {
      const w = this.workers.get(h.key);
      if (!w) return [];
      const s = w.status;
      return [{
        query: w.worker.query, worker: w.worker.workerId, ready: w.ready(h), stalled: h.stalledSinceMs !== null, status: w.watched().status.message,
        generation: s?.generation ?? null, committedEpoch: s?.committedEpoch ?? null, failingSteps: s?.failingSteps ?? null,
      }];
    });
    const ready = this.moduleLoaded && !this.draining && this.lastHealth.length > 0 &&
      queryHealth.every((h) => h.healthy) && workers.every((w) => w.ready);
    return { ready, queries, ...(this.workers.size ? { workers } : {}) };
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (++this.signals === 1) {
      void this.drain(signal);
    } else {
      this.log.warn({ signal }, `${signal} again: stopping every query at once; their uncommitted batches re-run on the next start`);
      for (const q of this.active()) void q.stopNow();
    }
  }

  /** Stops every query gracefully within the grace period, then at once. */
  private drain(why: string): Promise<{ drained: boolean }> {
    this.draining ??= (async () => {
      const queries = this.active();
      const workers = this.activeWorkers();
      this.log.info({ reason: why, queries: queries.map(keyOf), workers: workers.map((w) => w.key), gracePeriodMs: this.options.gracePeriodMs },
        `${why}: draining ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'} (the batch in flight commits first)` +
        (workers.length ? ` and ${workers.length} cluster worker${workers.length === 1 ? '' : 's'} (their tasks of the epoch in flight commit, then they leave the group)` : ''));
      const stopped = await withTimeout(Promise.allSettled([...queries.map((q) => q.stop()), ...workers.map((w) => w.stop())]), this.options.gracePeriodMs);
      if (!stopped) {
        this.failed = true;
        this.log.error({ gracePeriodMs: this.options.gracePeriodMs }, 'the queries did not drain within --grace-period: stopping them at once (their uncommitted batches re-run on the next start)');
        await Promise.all(this.active().map((q) => q.stopNow()));
        // A worker that could not finish its tasks is left behind: its units move when its group session lapses.
        for (const w of this.activeWorkers()) w.settled = true;
      }
      this.settleIfDone();
      return { drained: stopped };
    })();
    return this.draining;
  }

  private settleIfDone(): void {
    if (this.moduleLoaded && this.active().length === 0 && this.activeWorkers().length === 0) this.finish(this.stalled ? EXIT.stalled : this.failed ? EXIT.failed : EXIT.stopped);
  }

  private active(): StreamingQuery[] {
    return this.spark.streams.active;
  }

  private activeWorkers(): WatchedWorker[] {
    return [...this.workers.values()].filter((w) => !w.settled);
  }

  private logProgress(): void {
    for (const [key, q] of this.queries) {
      if (!q.isActive) continue;
      const p = q.lastProgress;
      const lag = p ? partitionLags(p.sources).reduce((a, l) => a + l.records, 0) : null;
      this.log.info({
        query: key, status: q.status.message, batchId: p?.batchId ?? null, rowsSinceLastLog: this.progressSinceLog.get(key) ?? 0,
        inputRowsPerSecond: p?.inputRowsPerSecond ?? 0, processedRowsPerSecond: p?.processedRowsPerSecond ?? 0,
        watermark: p?.eventTime.watermark ?? null, stateRows: p?.stateOperators.reduce((a, o) => a + o.numRowsTotal, 0) ?? 0,
        lagRecords: lag, numRestarts: q.numRestarts,
      }, `progress of ${key}`);
      this.progressSinceLog.set(key, 0);
    }
    for (const w of this.activeWorkers()) {
      const s = w.status;
      if (!s) continue;
      const read = s.sourcePartitions.reduce((n, p) => n + p.rowsRead, 0);
      const owned = s.sourcePartitions.filter((p) => p.owned);
      this.log.info({
        query: s.query, worker: s.workerId, status: w.watched().status.message, coordinator: s.coordinator,
        plannedEpoch: s.plannedEpoch, committedEpoch: s.committedEpoch,
        sourcePartitions: owned.map((p) => `${p.topic}/${p.partition}`), keyGroups: s.keyGroups.map((g) => g.group),
        rowsSinceLastLog: read - w.rowsAtLastLog, keyGroupRowsIn: s.keyGroups.reduce((n, g) => n + g.rowsIn, 0),
        keyGroupRowsOut: s.keyGroups.reduce((n, g) => n + g.rowsOut, 0),
        lagRecords: owned.reduce((n, p) => n + p.lagRecords, 0), queryLagRecords: w.lagRecords,
        rebalances: s.rebalances, lastRebalanceMs: s.lastRebalanceMs, refusedCommits: s.refusedCommits, refusedSinkRecords: s.refusedSinkRecords, failingSteps: s.failingSteps,
      }, `progress of cluster worker ${s.workerId} of ${s.query}`);
      w.rowsAtLastLog = read;
    }
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }
}

function keyOf(q: StreamingQuery): string {
  return q.name ?? q.id;
}

/** The interval of a ProcessingTime trigger; 0 for the default, Once and AvailableNow triggers. */
function triggerIntervalMs(q: StreamingQuery): number {
  // The engine is internal, but the daemon is part of the package.
  const t = q.engine.effectiveTrigger;
  return t.kind === 'processingTime' || t.kind === 'continuous' ? t.intervalMs : 0;
}

/** Whether `p` settled within `ms`. */
async function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([p.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}
