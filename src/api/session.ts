// Session: the entry point, as SparkSession. Holds the configuration, the query manager
// (`streams`), memory-sink tables, and makes readers and static DataFrames.
import { isDate } from 'node:util/types';
import type { Row } from '../data/row.js';
import type { MemoryTable } from '../connectors/contract.js';
import { parseMaster } from '../cluster/master.js';
import '../connectors/index.js';
import '../expr/functions/index.js';
import { AnalysisError } from '../errors.js';
import { own, put } from '../expr/own-properties.js';
import type { DataType, Field, StructType } from '../expr/types.js';
import { BINARY, BOOLEAN, DOUBLE, LONG, NULL, STRING, TIMESTAMP, arrayOf, fieldOf, structOf } from '../expr/types.js';
import type { QueryClock } from '../query/clock.js';
import { systemClock } from '../query/clock.js';
import { checkConfKey } from '../query/conf.js';
import type { QueryLogger } from '../query/log.js';
import { defaultLogger } from '../query/log.js';
import { StreamingQueryManager } from '../query/manager.js';
import { DataFrame } from './dataframe.js';
import { DataFrameReader, DataStreamReader } from './reader.js';
import { argumentError, requireOptionValue, requireString } from './arguments.js';
import type { SessionContext } from './session-context.js';

/** A configuration value as `conf.set()` and `builder().config()` take it; stored as a string. */
export type ConfValue = string | number | boolean;

/**
 * The session's settings at run time (Spark's `RuntimeConfig`, `spark.conf`). Values are kept as
 * text. Keys are `spate.*` (see the README for each); a `spark.*` key with a `spate.*` counterpart
 * is read and written as that key, with a note, so settings pasted from Spark code work. Settings
 * are read when a query starts: changing one affects queries started afterwards.
 */
export class RuntimeConfig {
  /** @param values The session's settings, by key. */
  constructor(private readonly values: Map<string, string>) {}

  /** A setting's value; a `spark.*` key reads its `spate.*` counterpart. */
  get(key: string, fallback?: string): string | undefined {
    return this.values.get(checkConfKey(key).key) ?? fallback;
  }

  /**
   * Sets a value. A `spark.*` key with a `spate.*` counterpart is stored as that (with a note);
   * an unknown `spate.*` or `spark.*` key is a warning naming the closest known one, or an error
   * under spate.conf.strict=true.
   */
  set(key: string, value: ConfValue): void {
    requireString(key, 'conf.set()', 'the key', "'spate.sql.shuffle.partitions'");
    requireOptionValue(value, 'conf.set()', key);
    applyConf(this.values, [[key, String(value)]]);
  }

  /**
   * Removes a setting, so its default applies again (Spark's `unset`); a `spark.*` key removes its
   * `spate.*` counterpart.
   */
  unset(key: string): void {
    this.values.delete(checkConfKey(key).key);
  }

  /**
   * Every setting that was set, by key, as text (Spark's `getAll`); defaults that were not set are
   * not listed.
   */
  getAll(): Record<string, string> {
    return Object.fromEntries(this.values);
  }
}

/**
 * Configures and makes a {@link Session} (Spark's `SparkSession.Builder`), from
 * {@link Session.builder}.
 */
export class SessionBuilder {
  private name = 'spate';
  private readonly settings = new Map<string, string>();
  private clockValue: QueryClock | null = null;
  private loggerValue: QueryLogger | null = null;

  /**
   * The application's name (Spark's `appName`), kept as {@link Session.appName}; `'spate'` when not
   * given (`spate run` names it after the module it runs).
   *
   * @throws {@link AnalysisError} when `name` is not a string.
   */
  appName(name: string): this {
    this.name = requireString(name, 'appName()', 'the name', "'Getting Started'");
    return this;
  }

  /**
   * `local` (one thread), `local[N]` (one query's stages on N worker threads, with an exchange
   * between them) or `local[*]` (a thread per core), as Spark's; the same as config('spate.master', url).
   */
  master(url: string): this {
    parseMaster(url);
    return this.config('spate.master', url);
  }

  /**
   * Sets a setting of the session to build (Spark's `config`), e.g.
   * `config('spate.sql.shuffle.partitions', 3)`. A `spark.*` key with a `spate.*` counterpart is
   * stored as that key, with a note; an unknown key is a warning naming the closest known one, or an
   * error under `spate.conf.strict=true`, when the session is made.
   *
   * @throws {@link AnalysisError} when `key` is not a string or `value` not a string, number or boolean.
   */
  config(key: string, value: ConfValue): this {
    requireString(key, 'config()', 'the key', "'spate.sql.shuffle.partitions'");
    this.settings.set(key, String(requireOptionValue(value, 'config()', key)));
    return this;
  }

  /** The clock queries run on; tests pass a simulated clock. */
  clock(clock: QueryClock): this {
    this.clockValue = clock;
    return this;
  }

  /**
   * Where queries log: any logger with pino's call shape, `info(fields, message)` and `warn`.
   * Without one, informational lines show only under NODE_DEBUG=spate.
   */
  logger(logger: QueryLogger): this {
    this.loggerValue = logger;
    return this;
  }

  /** The active session, with this builder's settings applied; or a new one. */
  getOrCreate(): Session {
    const existing = Session.getActiveSession();
    if (existing) {
      for (const [k, v] of this.settings) existing.conf.set(k, v);
      return existing;
    }
    return this.create();
  }

  /** Always a new session (and it becomes the active one). */
  create(): Session {
    const values = new Map<string, string>();
    applyConf(values, this.settings);
    const s = new Session(this.name, values, this.clockValue ?? systemClock, this.loggerValue ?? defaultLogger);
    Session.setActive(s);
    return s;
  }
}

/**
 * The entry point to spate, as Spark's `SparkSession`: it holds the settings ({@link Session.conf}),
 * the running queries ({@link Session.streams}) and the memory-sink tables, and makes streaming
 * frames ({@link Session.readStream}), static frames ({@link Session.read},
 * {@link Session.createDataFrame}, {@link Session.table}). One process usually has one session,
 * the active one, which {@link SessionBuilder.getOrCreate} returns.
 *
 * @example
 * ```ts
 * const spark = Session.builder()
 *   .appName('Getting Started')
 *   .config('spate.streaming.stopGracefullyOnShutdown', true)
 *   .config('spate.sql.shuffle.partitions', 3)
 *   .getOrCreate();
 * const lines = spark.readStream.format('socket').option('host', 'localhost').option('port', 9999).load();
 * ```
 */
export class Session implements SessionContext {
  private static active: Session | null = null;
  /**
   * The queries started in this session, their listeners and `awaitAnyTermination` (Spark's
   * `spark.streams`).
   */
  readonly streams: StreamingQueryManager;
  /**
   * The tables the `memory` sink writes, by query name; read them with {@link Session.table}.
   *
   * @internal
   */
  readonly tables = new Map<string, MemoryTable>();
  /** The session's settings, read and changed at run time (Spark's `spark.conf`). */
  readonly conf: RuntimeConfig;

  /** Sessions are made by {@link Session.builder}, not with `new`. */
  constructor(
    /** The application's name, from {@link SessionBuilder.appName} (default `'spate'`). */
    readonly appName: string,
    /** The settings as stored, by `spate.*` key; read and change them through {@link Session.conf}. @internal */
    readonly confValues: Map<string, string>,
    /** The clock queries run on: the system clock, unless {@link SessionBuilder.clock} gave another. */
    readonly clock: QueryClock,
    /** Where queries log their start, guarantee and restarts (see {@link SessionBuilder.logger}). */
    readonly logger: QueryLogger = defaultLogger,
  ) {
    this.conf = new RuntimeConfig(confValues);
    this.streams = new StreamingQueryManager(clock);
  }

  /** A builder for a session (Spark's `SparkSession.builder()`). */
  static builder(): SessionBuilder {
    return new SessionBuilder();
  }

  /**
   * The active session (the one last made, or set with {@link Session.setActive}), or null when there
   * is none or it was stopped (Spark's `getActiveSession`).
   */
  static getActiveSession(): Session | null {
    return Session.active;
  }

  /**
   * Makes `s` the active session (null: none), as {@link Session.getActiveSession} and
   * {@link SessionBuilder.getOrCreate} return it.
   */
  static setActive(s: Session | null): void {
    Session.active = s;
  }

  /** Reads a stream: format(...).option(...).load(). */
  get readStream(): DataStreamReader {
    return new DataStreamReader(this);
  }

  /** Reads static data: format(...).schema(...).load(path). */
  get read(): DataFrameReader {
    return new DataFrameReader(this);
  }

  /**
   * A static DataFrame over rows; the schema is inferred from the first row when not given.
   * Given a loader function instead (sync or async) and a schema, the frame calls the loader
   * each time it is evaluated: joined to a stream, once per micro-batch, so it can read data
   * that changes while the query runs (a file, a database table).
   */
  createDataFrame<R extends Row>(rows: readonly R[], schema?: StructType<R> | StructType): DataFrame<R>;
  createDataFrame<R extends Row>(loader: () => Promise<readonly R[]> | readonly R[], schema: StructType<R> | StructType): DataFrame<R>;
  createDataFrame<R extends Row>(
    rows: readonly R[] | (() => Promise<readonly R[]> | readonly R[]),
    schema?: StructType<R> | StructType,
  ): DataFrame<R> {
    if (typeof rows === 'function') {
      if (!schema) {
        throw new AnalysisError('createDataFrame(loader) needs a schema as its second argument: the rows are only known when the loader runs');
      }
      const names = schema.fields.map((f) => f.name);
      const load = async (): Promise<Row[]> => {
        const loaded = await rows();
        if (!Array.isArray(loaded)) {
          throw new AnalysisError(`the createDataFrame loader must return an array of rows (or a promise of one), got ${loaded === null ? 'null' : typeof loaded}`);
        }
        return normalise(loaded as readonly R[], names);
      };
      return new DataFrame<R>(this, { k: 'static', description: 'createDataFrame(loader)', schema, load });
    }
    if (!Array.isArray(rows)) {
      throw argumentError('createDataFrame()', 'the rows', 'an array of row objects, or a function returning one (with a schema)', rows);
    }
    const s = schema ?? inferSchema(rows);
    const normalised = normalise(rows, s.fields.map((f) => f.name));
    return new DataFrame<R>(this, { k: 'static', description: 'createDataFrame', schema: s, load: () => normalised });
  }

  /** A memory-sink table as a static DataFrame (read afresh each time it is evaluated). */
  table(name: string): DataFrame {
    const t = this.tables.get(name);
    if (!t) {
      throw new AnalysisError(`Table or view not found: ${name}. Memory tables exist once a query with format('memory') and queryName('${name}') has started`);
    }
    return new DataFrame(this, { k: 'static', description: `table ${name}`, schema: t.schema, load: () => [...t.rows] });
  }

  /** Stops every active query of this session. */
  async stop(): Promise<void> {
    await Promise.all(this.streams.active.map((q) => q.stop()));
    if (Session.active === this) Session.active = null;
  }
}

/**
 * Stores settings under the keys the session reads (checkConfKey): notes and warnings are
 * emitted, or, under spate.conf.strict=true (as set by these settings or before), unknown keys
 * are refused together, before anything is stored.
 */
function applyConf(values: Map<string, string>, entries: Iterable<readonly [string, string]>): void {
  const checked = [...entries].map(([k, v]) => ({ ...checkConfKey(k), value: v }));
  const strictValue = [...checked].reverse().find((c) => c.key === 'spate.conf.strict')?.value ?? values.get('spate.conf.strict');
  const problems = checked.flatMap((c) => (c.problem ? [c.problem] : []));
  if (problems.length && /^true$/i.test(strictValue ?? '')) {
    throw new AnalysisError(`${problems.join('\n')}\n(spate.conf.strict=true refuses unknown settings; set it to false to only warn)`);
  }
  for (const c of checked) {
    values.set(c.key, c.value);
    if (c.note) process.emitWarning(c.note, { type: 'SpateNote', code: 'SPATE_SPARK_CONF' });
    if (c.problem) process.emitWarning(c.problem, { code: 'SPATE_UNKNOWN_CONF' });
  }
}

/** Spark-like inference from JavaScript values: integers are long, other numbers double. */
export function inferSchema(rows: readonly Row[]): StructType {
  const first = rows[0];
  if (!first) throw new AnalysisError('cannot infer a schema from no rows: pass a schema to createDataFrame');
  const fields: Field[] = Object.keys(first).map((k) => fieldOf(k, inferType(rows.map((r) => r[k]).find((v) => v !== null && v !== undefined))));
  return structOf(fields);
}

function inferType(v: unknown): DataType {
  if (v === undefined || v === null) return NULL;
  if (typeof v === 'string') return STRING;
  if (typeof v === 'number') return Number.isInteger(v) ? LONG : DOUBLE;
  if (typeof v === 'boolean') return BOOLEAN;
  if (isDate(v)) return TIMESTAMP;
  if (Buffer.isBuffer(v)) return BINARY;
  if (Array.isArray(v)) return arrayOf(inferType(v.find((x) => x !== null && x !== undefined)));
  if (typeof v === 'object') return structOf(Object.entries(v as object).map(([k, x]) => fieldOf(k, inferType(x))));
  throw new AnalysisError(`cannot infer a type for ${typeof v} value; pass a schema to createDataFrame`);
}

/** Rows with exactly the schema's fields, in its order; missing fields are null. */
function normalise(rows: readonly Row[], names: readonly string[]): Row[] {
  return rows.map((r) => {
    const out: Row = {};
    for (const n of names) put(out, n, own(r, n));
    return out;
  });
}
