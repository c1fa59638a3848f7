// DataStreamWriter: collects the sink, mode, trigger and options, checks the query the way
// Spark's analyzer does, and starts it. start() returns the StreamingQuery at once.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Row } from '../data/row.js';
import type { RestartPolicy } from '../actors/restart-policy.js';
import type { ClusterQuery } from '../cluster/group/cluster-query.js';
import { NEVER, parseRestartPolicy } from '../actors/restart-policy.js';
import type { SinkOptions } from '../connectors/contract.js';
import { sinkProvider, sourceProvider } from '../connectors/contract.js';
import type { ForeachWriter } from '../connectors/foreach/foreach-sink.js';
import { AnalysisError } from '../errors.js';
import { checkStreamingQuery } from '../plan/checks.js';
import { joinWarnings } from '../plan/join-checks.js';
import { checkContinuousQuery } from '../plan/continuous-checks.js';
import type { LogicalPlan, OutputMode, SourceNode } from '../plan/logical.js';
import { nodes } from '../plan/logical.js';
import { executeBatch } from '../query/batch-execution.js';
import type { QueryClock } from '../query/clock.js';
import { QueryConf } from '../query/conf.js';
import { endToEndGuarantee } from '../query/guarantee.js';
import { ProgressBar } from '../query/progress-bar.js';
import { shutdownSignals } from '../query/shutdown-signals.js';
import { StreamingQuery, assertOutputModeName } from '../query/streaming-query.js';
import type { TriggerMode } from '../query/trigger.js';
import { DEFAULT_TRIGGER } from '../query/trigger.js';
import { isRedisLocation, parseRedisLocation } from '../state/redis-location.js';
import { argumentError, requireFunction, requireOptionValue, requireString } from './arguments.js';
import { checkWriterOptions } from './option-check.js';
import type { ForeachBatchFunction } from './late-rows.js';
import { batchFunction, deadLetterSinkOptions } from './late-rows.js';
import type { SessionContext } from './session-context.js';

const MODE_NAME: Record<OutputMode, string> = { append: 'Append', update: 'Update', complete: 'Complete' };

export type { ForeachBatchFunction } from './late-rows.js';

/**
 * Starts a streaming frame as a query (Spark's `DataStreamWriter`), from
 * {@link DataFrame.writeStream}: choose a sink, an output mode, a trigger and options, then
 * {@link DataStreamWriter.start}.
 *
 * Sinks: `console` (`numRows`, default 20; `truncate`, default true), `memory` (a table named by
 * `queryName`, read with `spark.table(name)`), the file formats `json`, `csv`, `text` (append
 * mode, exactly-once; `partitionBy`, `maxRecordsPerFile`), `kafka` (`kafka.bootstrap.servers`,
 * `topic`, `transactional`), {@link DataStreamWriter.foreachBatch} and
 * {@link DataStreamWriter.foreach}. Each sink states its end-to-end guarantee when the query starts
 * ({@link StreamingQuery.guarantee}).
 *
 * @example
 * ```ts
 * const query = counts.writeStream
 *   .format('console')
 *   .outputMode('complete')
 *   .option('checkpointLocation', 'checkpoints/word-count')
 *   .trigger(Trigger.ProcessingTime('10 seconds'))
 *   .start();
 * ```
 */
export class DataStreamWriter<R extends Row = Row> {
  private sinkFormat: string | null = null;
  private readonly opts: Record<string, string> = {};
  /** Each option's key as the user spelled it, for messages. */
  private readonly spelled: Record<string, string> = {};
  private mode: OutputMode = 'append';
  private name: string | null = null;
  private triggerMode: TriggerMode = DEFAULT_TRIGGER;
  private instance: unknown;
  private policy: RestartPolicy = NEVER;
  private clockOverride: QueryClock | null = null;

  /** Writers are made by {@link DataFrame.writeStream}, not with `new`. */
  constructor(private readonly session: SessionContext, private readonly plan: LogicalPlan) {}

  /** console, memory, json, csv, text, kafka, foreachBatch, foreach. */
  format(source: string): this {
    this.sinkFormat = requireString(source, 'writeStream.format()', 'the format', "'console', 'json' or 'kafka'");
    return this;
  }

  /**
   * Sets one option of the sink or the query (Spark's `option`), e.g. `checkpointLocation`,
   * `queryName`, `path`, or a sink's own (`numRows`, `topic`...). Names are case-insensitive; values
   * are kept as text. At `start()`, an option the sink does not declare is a warning naming the
   * closest one, or the reader it belongs to (`maxFilesPerTrigger` is a reader option), or an error
   * under `spate.conf.strict=true`.
   *
   * `checkpointLocation` is a folder path (the local-directory store) or `redis://host:port/db/prefix`
   * (the Redis store); without it the query checkpoints under `spate.sql.streaming.checkpointLocation`
   * when that is set, else in memory (no recovery after the process ends; file and Kafka sinks
   * refuse to start).
   *
   * @throws {@link AnalysisError} when `key` is not a string or `value` not a string, number or boolean.
   */
  option(key: string, value: string | number | boolean): this {
    requireString(key, 'writeStream.option()', 'the key', "'checkpointLocation'");
    requireOptionValue(value, 'writeStream.option()', key);
    this.opts[key.toLowerCase()] = String(value);
    this.spelled[key.toLowerCase()] = key;
    return this;
  }

  /**
   * Sets several options at once (Spark's `options`), each as {@link DataStreamWriter.option} takes it.
   *
   * @throws {@link AnalysisError} when `options` is not an object.
   */
  options(options: Readonly<Record<string, string | number | boolean>>): this {
    if (options === null || typeof options !== 'object') throw argumentError('writeStream.options()', 'the options', "an object such as { checkpointLocation: '/cp' }", options);
    for (const [k, v] of Object.entries(options)) this.option(k, v);
    return this;
  }

  /**
   * What each trigger writes (Spark's `outputMode`; case-insensitive): `'append'` (the default: only
   * rows that are final, which an aggregation can give only with a watermark), `'update'` (the rows
   * that changed in this trigger) or `'complete'` (the whole result every trigger; aggregations only).
   * `start()` checks the mode against the query and the sink with Spark's rules.
   *
   * @throws {@link AnalysisError} for any other mode: "Unknown output mode ...".
   */
  outputMode(mode: OutputMode | string): this {
    requireString(mode, 'outputMode()', 'the mode', "'append', 'update' or 'complete'");
    this.mode = assertOutputModeName(mode);
    return this;
  }

  /**
   * Names the query (Spark's `queryName`): shown in progress and logs, the table name of the `memory`
   * sink, and the checkpoint folder under `spate.sql.streaming.checkpointLocation`. Two active
   * queries of a session cannot share a name: `start()` refuses the second.
   *
   * @throws {@link AnalysisError} when `name` is not a string.
   */
  queryName(name: string): this {
    this.name = requireString(name, 'queryName()', 'the name', "'counts'");
    return this;
  }

  /** When batches run: Trigger.ProcessingTime(interval), Trigger.AvailableNow(), Trigger.Once() or Trigger.Continuous(interval). */
  trigger(trigger: TriggerMode): this {
    this.triggerMode = checkTrigger(trigger);
    return this;
  }

  /** Output folder layout for file sinks: `col=value/` directories. */
  partitionBy(...columns: string[]): this {
    for (const c of columns) requireString(c, 'partitionBy()', 'each column name', "'date'");
    this.opts['partitionby'] = JSON.stringify(columns);
    this.spelled['partitionby'] = 'partitionBy';
    return this;
  }

  /**
   * Runs `fn` on every micro-batch (Spark's `foreachBatch`) with the batch's rows as a static
   * {@link DataFrame} and the batch id; the batch commits when the returned promise resolves, and a
   * rejection fails the query. A batch replayed after a failure gets the same id, so writing keyed by
   * it makes the output exactly-once. Not available under `Trigger.Continuous`; progress reports the
   * sink's `numOutputRows` as -1, as Spark does.
   *
   * In cluster mode ({@link startWorker}, append and update mode) `fn` runs on the worker owning
   * each key group, once per batch for every key-group task that has rows, with that task's rows
   * and the batch id: one batch id arrives in several calls, on several workers, each key in one
   * of them, and a call is repeated (same id, same rows) when its key group moves before the call
   * is recorded, so write keyed by the rows' keys and the batch id. In complete mode the
   * coordinator calls `fn` once per batch with every row.
   *
   * @throws {@link AnalysisError} when `fn` is not a function.
   * @example
   * ```ts
   * counts.writeStream.outputMode('update').foreachBatch(async (batch, batchId) => {
   *   await db.upsert(await batch.collect(), { batchId });
   * }).start();
   * ```
   */
  foreachBatch(fn: ForeachBatchFunction<R>): this {
    requireFunction(fn, 'foreachBatch()', 'the function', 'async (batch, batchId) => { ... }');
    this.sinkFormat = 'foreachBatch';
    this.instance = batchFunction(this.session, fn);
    return this;
  }

  /**
   * Writes each row with a {@link ForeachWriter} (Spark's `foreach`): per epoch, `open(partitionId,
   * epochId)`, then `process(row)` for every row if `open` returned true, then `close(error)`. A plain
   * function `(row) => ...` is a writer with `process` only. At-least-once: a replayed epoch calls
   * `open` again with the same epoch id, so a writer that skips epochs it has seen is exactly-once.
   *
   * @throws {@link AnalysisError} when `writer` is neither a function nor an object with `process`.
   */
  foreach(writer: ForeachWriter | ((row: R) => void | Promise<void>)): this {
    if (typeof writer !== 'function' && (writer === null || typeof writer !== 'object' || typeof writer.process !== 'function')) {
      throw argumentError('foreach()', 'the writer', 'a function (row) => ..., or an object with process(row) and optional open(partitionId, epochId) and close(error)', writer);
    }
    this.sinkFormat = 'foreach';
    this.instance = typeof writer === 'function' ? { process: writer } : writer;
    return this;
  }

  /** What happens when the query fails: never (default), always, or onFailure with retries and backoff. */
  restartPolicy(policy: RestartPolicy | 'never' | 'always' | 'onFailure'): this {
    this.policy = parseRestartPolicy(policy);
    return this;
  }

  /** The clock triggers and timeouts run on (tests pass a simulated one). */
  clock(clock: QueryClock): this {
    this.clockOverride = clock;
    return this;
  }

  /**
   * Starts the query (Spark's `start`) and returns its {@link StreamingQuery} at once; awaiting the
   * result is harmless. `path` is the output folder of a file sink (the same as option `path`).
   *
   * Everything that can be checked before running is checked here, with Spark's rules: the sink and
   * its options, the output mode against the query (append on an aggregation without watermark,
   * complete without aggregation, sorting and limits, the supported joins), the trigger, the
   * session's settings. Errors found while recovering (an incompatible checkpoint, an unreachable
   * Redis) and while running become {@link StreamingQuery.exception} and reject
   * `processAllAvailable()` and `awaitTermination()`.
   *
   * @throws {@link AnalysisError} when the query, its sink, mode, options or settings are invalid.
   */
  start(path?: string): StreamingQuery {
    if (path !== undefined) requireString(path, 'start()', 'the output path', "'/data/out'");
    if (!this.sinkFormat) {
      throw new AnalysisError("writeStream needs a sink: call format('console' | 'memory' | 'json' | 'csv' | 'text' | 'kafka'), foreachBatch(fn) or foreach(writer) before start()");
    }
    checkStreamingQuery(this.plan, this.mode);
    for (const w of joinWarnings(this.plan)) process.emitWarning(w, { code: 'SPATE_UNBOUNDED_JOIN_STATE' });
    const conf = new QueryConf(this.session.confValues);
    // Read every setting now so a bad value fails start(), not the running query.
    conf.validate();
    if (this.opts['queryname'] && !this.name) this.name = this.opts['queryname'];
    const sinkOptions: SinkOptions = {
      format: this.sinkFormat,
      options: { ...this.opts },
      ...(path !== undefined || this.opts['path'] ? { path: path ?? this.opts['path']! } : {}),
      queryName: this.name,
      instance: this.instance,
      services: { tables: this.session.tables },
      schema: this.plan.schema,
    };
    const provider = sinkProvider(this.sinkFormat);
    const probe = provider.create(sinkOptions);
    checkWriterOptions(this.session, this.sinkFormat, provider.options, this.spelled);
    checkSinkMode(this.sinkFormat, this.mode, probe.supportedModes);
    if (this.triggerMode.kind === 'continuous') {
      checkContinuousQuery(this.plan, {
        sourceSupportsContinuous: (node) => probeSource(node).supportsContinuous === true,
        sinkFormat: this.sinkFormat,
        sinkSupportsContinuous: probe.supportsContinuous === true,
      });
    }
    const checkpointLocation = this.checkpointLocation();
    if (checkpointLocation !== null && isRedisLocation(checkpointLocation)) parseRedisLocation(checkpointLocation);
    if (checkpointLocation === null && probe.needsCheckpointLocation) {
      throw new AnalysisError(
        `checkpointLocation must be specified either through option("checkpointLocation", ...) or session.conf.set("spate.sql.streaming.checkpointLocation", ...): the ${this.sinkFormat} sink needs it to be exactly-once`,
      );
    }
    const deadLetterSink = deadLetterSinkOptions(this.plan, { tables: this.session.tables }, checkpointLocation !== null);
    const sources = nodes(this.plan).filter((n): n is SourceNode => n.k === 'source').map(probeSource);
    const guarantee = endToEndGuarantee({ sources, checkpointLocation, sink: probe });
    const clock = this.clockOverride ?? this.session.clock;
    const wakeRef = { wake: (): void => undefined };
    const query = new StreamingQuery({
      plan: this.plan,
      outputMode: this.mode,
      sinkOptions,
      trigger: this.triggerMode,
      conf,
      checkpointLocation,
      queryName: this.name,
      clock,
      restartPolicy: this.policy,
      services: { loadStatic: executeBatch },
      deadLetterSink,
      wake: () => wakeRef.wake(),
      wakeRef,
    }, this.session.streams, clock, {
      recentProgressLimit: conf.numRecentProgressUpdates,
      noDataProgressIntervalMs: conf.noDataProgressEventIntervalMs,
      stopTimeoutMs: conf.stopTimeoutMs,
      shutdownSignals: conf.stopGracefullyOnShutdown ? shutdownSignals : null,
      progressBar: this.triggerMode.kind === 'availableNow' && conf.showConsoleProgress
        ? ProgressBar.forTerminal(this.name ? `query ${this.name}` : 'AvailableNow')
        : null,
      guarantee,
      logger: this.session.logger,
    });
    this.session.streams.register(query);
    return query.run();
  }

  /**
   * What cluster mode (startWorker) runs: the query as start() would check it, without starting
   * it here. The checkpoint location is the option or the session's root plus the query name.
   */
  clusterQuery(): ClusterQuery {
    if (!this.sinkFormat) throw new AnalysisError("writeStream needs a sink: call format('kafka' | 'json' | 'csv' | 'text' | 'console'), or foreachBatch(fn), before startWorker()");
    checkStreamingQuery(this.plan, this.mode);
    const conf = new QueryConf(this.session.confValues);
    conf.validate();
    const name = this.name ?? this.opts['queryname'] ?? null;
    const given = this.opts['checkpointlocation'];
    const root = this.session.confValues.get('spate.sql.streaming.checkpointLocation');
    // The sink is checked as start() checks it (its options, the output mode); the workers make their own.
    const provider = sinkProvider(this.sinkFormat);
    const path = this.opts['path'];
    const probe = provider.create({
      format: this.sinkFormat, options: { ...this.opts }, ...(path ? { path } : {}), queryName: name, instance: this.instance,
      services: { tables: this.session.tables }, schema: this.plan.schema,
    });
    checkWriterOptions(this.session, this.sinkFormat, provider.options, this.spelled);
    checkSinkMode(this.sinkFormat, this.mode, probe.supportedModes);
    return {
      plan: this.plan, outputMode: this.mode, sinkFormat: this.sinkFormat, sinkOptions: { ...this.opts },
      checkpointLocation: given ?? (root && name ? `${root}/${name}` : null), queryName: name, keyGroups: conf.shufflePartitions,
      ...(path ? { path } : {}), ...(this.instance !== undefined ? { instance: this.instance } : {}),
    };
  }

  /** The option, else `<spate.sql.streaming.checkpointLocation>/<queryName or a new id>`, else none. */
  private checkpointLocation(): string | null {
    const given = this.opts['checkpointlocation'];
    if (given) return given;
    const root = this.session.confValues.get('spate.sql.streaming.checkpointLocation');
    return root ? join(root, this.name ?? randomUUID()) : null;
  }
}

function checkSinkMode(format: string, mode: OutputMode, supported: readonly OutputMode[]): void {
  if (!supported.includes(mode)) {
    throw new AnalysisError(`Data source ${format} does not support ${MODE_NAME[mode]} output mode: it accepts ${supported.map((m) => MODE_NAME[m]).join(', ')}`);
  }
}

const TRIGGER_FORMS = "a Trigger: Trigger.ProcessingTime('1 minute'), Trigger.AvailableNow(), Trigger.Once() or Trigger.Continuous('1 second')";

/** A trigger made by the Trigger factories; anything else (a string, Python's keyword form) is refused, saying what to write. */
function checkTrigger(t: unknown): TriggerMode {
  const kind = t !== null && typeof t === 'object' ? (t as { kind?: unknown }).kind : undefined;
  if (kind === 'once' || kind === 'availableNow') return t as TriggerMode;
  if ((kind === 'processingTime' || kind === 'continuous') && typeof (t as { intervalMs?: unknown }).intervalMs === 'number') return t as TriggerMode;
  const hint = typeof t === 'string' ? `write trigger(Trigger.ProcessingTime('${t}'))`
    : t !== null && typeof t === 'object' && 'processingTime' in t ? `write trigger(Trigger.ProcessingTime(${JSON.stringify((t as { processingTime: unknown }).processingTime)})) (PySpark's keyword form is not JavaScript's)`
    : '';
  throw argumentError('trigger()', 'the trigger', TRIGGER_FORMS, t, hint);
}

/** A source object for what start() checks (continuous support, replayability); never opened. */
function probeSource(node: SourceNode) {
  return sourceProvider(node.format).create({
    format: node.format, options: node.options,
    ...(node.path !== undefined ? { path: node.path } : {}),
    ...(node.userSchema ? { userSchema: node.userSchema } : {}),
    ...(node.instance !== undefined ? { instance: node.instance } : {}),
  });
}
