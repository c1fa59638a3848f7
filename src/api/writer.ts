// DataStreamWriter: collects the sink, mode, trigger and options, checks the query the way
// Spark's analyzer does, and starts it. start() returns the StreamingQuery at once.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Row } from '../actors/messages.js';
import type { RestartPolicy } from '../actors/restart-policy.js';
import { NEVER, parseRestartPolicy } from '../actors/restart-policy.js';
import type { SinkOptions } from '../connectors/contract.js';
import { sinkProvider, sourceProvider } from '../connectors/contract.js';
import type { ForeachWriter } from '../connectors/foreach/foreach-sink.js';
import { AnalysisError } from '../errors.js';
import { checkStreamingQuery } from '../plan/checks.js';
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
import type { ForeachBatchFunction } from './late-rows.js';
import { batchFunction, deadLetterSinkOptions } from './late-rows.js';
import type { SessionContext } from './session-context.js';

const MODE_NAME: Record<OutputMode, string> = { append: 'Append', update: 'Update', complete: 'Complete' };

export type { ForeachBatchFunction } from './late-rows.js';

export class DataStreamWriter {
  private sinkFormat: string | null = null;
  private readonly opts: Record<string, string> = {};
  private mode: OutputMode = 'append';
  private name: string | null = null;
  private triggerMode: TriggerMode = DEFAULT_TRIGGER;
  private instance: unknown;
  private policy: RestartPolicy = NEVER;
  private clockOverride: QueryClock | null = null;

  constructor(private readonly session: SessionContext, private readonly plan: LogicalPlan) {}

  /** console, memory, json, csv, text, kafka, foreachBatch, foreach. */
  format(source: string): this {
    this.sinkFormat = source;
    return this;
  }

  option(key: string, value: string | number | boolean): this {
    this.opts[key.toLowerCase()] = String(value);
    return this;
  }

  options(options: Readonly<Record<string, string | number | boolean>>): this {
    for (const [k, v] of Object.entries(options)) this.option(k, v);
    return this;
  }

  outputMode(mode: OutputMode | string): this {
    this.mode = assertOutputModeName(mode);
    return this;
  }

  queryName(name: string): this {
    this.name = name;
    return this;
  }

  trigger(trigger: TriggerMode): this {
    this.triggerMode = trigger;
    return this;
  }

  /** Output folder layout for file sinks: `col=value/` directories. */
  partitionBy(...columns: string[]): this {
    this.opts['partitionby'] = JSON.stringify(columns);
    return this;
  }

  /** Runs `fn` on every micro-batch as a static DataFrame; a replayed batch gets the same id. */
  foreachBatch(fn: ForeachBatchFunction): this {
    this.sinkFormat = 'foreachBatch';
    this.instance = batchFunction(this.session, fn);
    return this;
  }

  /** open / process / close per epoch (Spark's ForeachWriter). */
  foreach(writer: ForeachWriter | ((row: Row) => void | Promise<void>)): this {
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

  /** Starts the query; analysis errors throw here, runtime errors become query.exception(). */
  start(path?: string): StreamingQuery {
    if (!this.sinkFormat) {
      throw new AnalysisError("writeStream needs a sink: call format('console' | 'memory' | 'json' | 'csv' | 'text' | 'kafka'), foreachBatch(fn) or foreach(writer) before start()");
    }
    checkStreamingQuery(this.plan, this.mode);
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
    const probe = sinkProvider(this.sinkFormat).create(sinkOptions);
    if (!probe.supportedModes.includes(this.mode)) {
      throw new AnalysisError(
        `Data source ${this.sinkFormat} does not support ${MODE_NAME[this.mode]} output mode: it accepts ${probe.supportedModes.map((m) => MODE_NAME[m]).join(', ')}`,
      );
    }
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

  /** The option, else `<spate.sql.streaming.checkpointLocation>/<queryName or a new id>`, else none. */
  private checkpointLocation(): string | null {
    const given = this.opts['checkpointlocation'];
    if (given) return given;
    const root = this.session.confValues.get('spate.sql.streaming.checkpointLocation');
    return root ? join(root, this.name ?? randomUUID()) : null;
  }
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
