// The settings a query runs with, read once from the session's configuration at start().
// Keys follow Spark's with the `spate.` prefix; values are validated with a clear message.
// Every key the library reads is declared here (CONF_DEFAULTS, or KEYS_WITHOUT_DEFAULT), or by
// the module that reads it with declareConfKeys(): the session warns about any other `spate.*`
// or `spark.*` key (an error under spate.conf.strict=true), so a misspelling is never silent.
import { parseMaster } from '../cluster/master.js';
import { AnalysisError, closestNames } from '../errors.js';

export const CONF_DEFAULTS: Readonly<Record<string, string>> = {
  'spate.sql.shuffle.partitions': '200',
  'spate.link.capacity': '8',
  'spate.link.chunkRows': '4096',
  'spate.sql.streaming.minBatchesToRetain': '100',
  'spate.sql.streaming.stateStore.minDeltasForSnapshot': '10',
  'spate.sql.streaming.stateStore.maintenanceInterval': '60000',
  'spate.sql.streaming.asyncCheckpoint.enabled': 'false',
  'spate.checkpoint.redis.retryTimeout': '10000',
  'spate.checkpoint.redis.lockTimeout': '30000',
  'spate.checkpoint.redis.allowEviction': 'false',
  'spate.sql.streaming.multipleWatermarkPolicy': 'min',
  'spate.sql.streaming.pollingDelay': '10',
  'spate.sql.streaming.numRecentProgressUpdates': '100',
  'spate.sql.streaming.stopTimeout': '0',
  'spate.streaming.stopGracefullyOnShutdown': 'false',
  'spate.sql.streaming.noDataProgressEventInterval': '10000',
  'spate.sql.streaming.noDataMicroBatches.enabled': 'true',
  'spate.sql.session.timeZone': 'UTC',
  'spate.ui.showConsoleProgress': 'true',
  'spate.conf.strict': 'false',
  'spate.master': 'local',
  'spate.worker.imports': '',
  'spate.cluster.keyGroupShuffleSeed': '',
};

/** Keys read without a default. */
const KEYS_WITHOUT_DEFAULT = ['spate.sql.streaming.checkpointLocation'];

const declaredKeys = new Set<string>([...Object.keys(CONF_DEFAULTS), ...KEYS_WITHOUT_DEFAULT]);

/** Declares configuration keys that a module outside query/ reads (the daemon's), so sessions accept them. */
export function declareConfKeys(...keys: string[]): void {
  for (const k of keys) declaredKeys.add(k);
}

/** How a session takes a configuration key. */
export interface ConfKeyCheck {
  /** The key the value is stored under (a `spark.*` key with a `spate.*` counterpart becomes that). */
  readonly key: string;
  /** Said once the value is stored: the Spark key was read as its spate counterpart. */
  readonly note?: string;
  /** The key is unknown: a warning, or an error under spate.conf.strict=true. */
  readonly problem?: string;
}

/** Checks a configuration key: known, a Spark key with a spate counterpart, or unknown (with the closest known key). */
export function checkConfKey(key: string): ConfKeyCheck {
  if (declaredKeys.has(key)) return { key };
  const suggestion = (candidate: string): string => {
    const close = closestNames(candidate, declaredKeys, 1);
    return close.length ? `; did you mean ${close[0]}?` : '';
  };
  if (key.startsWith('spark.')) {
    const counterpart = `spate.${key.slice('spark.'.length)}`;
    if (declaredKeys.has(counterpart)) return { key: counterpart, note: `configuration ${key} is read as ${counterpart}, spate's name for the same setting` };
    return { key, problem: `configuration ${key} has no effect: spate has no counterpart of this Spark setting${suggestion(counterpart)}` };
  }
  if (key.startsWith('spate.')) return { key, problem: `unknown configuration ${key} has no effect${suggestion(key)}` };
  return { key };
}

/** Settings persisted in the checkpoint: a restart uses the checkpoint's values, not the session's. */
export const PERSISTED_CONF = ['spate.sql.shuffle.partitions', 'spate.sql.streaming.multipleWatermarkPolicy'] as const;

export class QueryConf {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  get(key: string): string {
    return this.values.get(key) ?? CONF_DEFAULTS[key] ?? '';
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  int(key: string, min = 1): number {
    const raw = this.get(key);
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new AnalysisError(`configuration ${key} must be an integer >= ${min}, got '${raw}'`);
    return n;
  }

  bool(key: string): boolean {
    const raw = this.get(key).toLowerCase();
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw new AnalysisError(`configuration ${key} must be true or false, got '${this.get(key)}'`);
  }

  get shufflePartitions(): number { return this.int('spate.sql.shuffle.partitions'); }
  get linkCapacity(): number { return this.int('spate.link.capacity'); }
  get chunkRows(): number { return this.int('spate.link.chunkRows'); }
  get minBatchesToRetain(): number { return this.int('spate.sql.streaming.minBatchesToRetain'); }
  get pollingDelayMs(): number { return this.int('spate.sql.streaming.pollingDelay', 0); }
  get numRecentProgressUpdates(): number { return this.int('spate.sql.streaming.numRecentProgressUpdates', 0); }
  get stopTimeoutMs(): number { return this.int('spate.sql.streaming.stopTimeout', 0); }
  get stopGracefullyOnShutdown(): boolean { return this.bool('spate.streaming.stopGracefullyOnShutdown'); }
  get noDataProgressEventIntervalMs(): number { return this.int('spate.sql.streaming.noDataProgressEventInterval', 0); }
  get noDataMicroBatches(): boolean { return this.bool('spate.sql.streaming.noDataMicroBatches.enabled'); }
  /** Whether a Trigger.AvailableNow query run from a terminal draws a progress bar. */
  get showConsoleProgress(): boolean { return this.bool('spate.ui.showConsoleProgress'); }
  get minDeltasForSnapshot(): number { return this.int('spate.sql.streaming.stateStore.minDeltasForSnapshot'); }
  /** Least time between two background maintenance runs of the checkpoint, in ms. */
  get maintenanceIntervalMs(): number { return this.int('spate.sql.streaming.stateStore.maintenanceInterval', 0); }
  get asyncCheckpoint(): boolean { return this.bool('spate.sql.streaming.asyncCheckpoint.enabled'); }
  /** How long a Redis checkpoint operation retries while Redis is unreachable, in ms. */
  get redisRetryTimeoutMs(): number { return this.int('spate.checkpoint.redis.retryTimeout', 0); }
  /** How long the live-run lock of a Redis checkpoint lives without renewal, in ms. */
  get redisLockTimeoutMs(): number { return this.int('spate.checkpoint.redis.lockTimeout', 1000); }
  /** Whether a Redis checkpoint on a server that may evict keys only warns instead of failing. */
  get redisAllowEviction(): boolean { return this.bool('spate.checkpoint.redis.allowEviction'); }

  /** master('local[N]'): `spate.master`, else the SPATE_MASTER environment variable, else `local`. */
  get master(): string {
    return this.has('spate.master') ? this.get('spate.master') : process.env['SPATE_MASTER'] ?? 'local';
  }

  /** Modules worker threads import before running a query's tasks (they may register sources and functions). */
  get workerImports(): string[] {
    return this.get('spate.worker.imports').split(',').map((m) => m.trim()).filter((m) => m !== '');
  }

  /** A seed to shuffle which thread owns which key group (testing: any assignment gives the same results); null: ranges. */
  get keyGroupShuffleSeed(): number | null {
    const raw = this.get('spate.cluster.keyGroupShuffleSeed');
    return raw === '' ? null : this.int('spate.cluster.keyGroupShuffleSeed', 0);
  }

  get watermarkPolicy(): 'min' | 'max' {
    const p = this.get('spate.sql.streaming.multipleWatermarkPolicy').toLowerCase();
    if (p !== 'min' && p !== 'max') {
      throw new AnalysisError(`spate.sql.streaming.multipleWatermarkPolicy must be 'min' or 'max', got '${p}'`);
    }
    return p;
  }

  /** Reads every setting, so that a bad value fails now with a message naming its key. */
  validate(): void {
    void [this.shufflePartitions, this.linkCapacity, this.chunkRows, this.minBatchesToRetain, this.pollingDelayMs,
      this.numRecentProgressUpdates, this.stopTimeoutMs, this.watermarkPolicy, this.noDataMicroBatches,
      this.minDeltasForSnapshot, this.maintenanceIntervalMs, this.asyncCheckpoint, this.redisRetryTimeoutMs, this.redisLockTimeoutMs,
      this.stopGracefullyOnShutdown, this.noDataProgressEventIntervalMs, this.showConsoleProgress, parseMaster(this.master), this.keyGroupShuffleSeed];
  }

  /** The settings to persist in the checkpoint's metadata and offset log. */
  persisted(): Record<string, string> {
    return Object.fromEntries(PERSISTED_CONF.map((k) => [k, this.get(k)]));
  }

  /** A copy in which the checkpoint's persisted settings override the session's. */
  withPersisted(persisted: Readonly<Record<string, string>>): QueryConf {
    const m = new Map(this.values);
    for (const k of PERSISTED_CONF) if (persisted[k] !== undefined) m.set(k, persisted[k]);
    return new QueryConf(m);
  }
}
