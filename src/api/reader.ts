// spark.readStream (DataStreamReader) and spark.read (DataFrameReader): a format, options and
// an optional schema, then load().
import type { Row } from '../data/row.js';
import type { SourceOptions } from '../connectors/contract.js';
import { sourceProvider } from '../connectors/contract.js';
import { AnalysisError } from '../errors.js';
import { parseSchemaDDL } from '../expr/parser.js';
import type { StructType } from '../expr/types.js';
import { DataFrame } from './dataframe.js';
import { checkReaderOptions } from './option-check.js';
import { argumentError, requireOptionValue, requireString } from './arguments.js';
import type { SessionContext } from './session-context.js';

abstract class Reader<Self> {
  /** The format given to `format()`, null before. */
  protected fmt: string | null = null;
  /** The options given so far, keys lowercased (options are case-insensitive). */
  protected readonly opts: Record<string, string> = {};
  /** Each option's key as the user spelled it, for messages. */
  protected readonly spelled: Record<string, string> = {};
  /** The schema given to `schema()`, if any. */
  protected userSchema: StructType | undefined;

  /** @param session The session the loaded frame belongs to. */
  constructor(protected readonly session: SessionContext) {}

  /**
   * The data source to read (Spark's `format`): `'socket'`, `'rate'`, `'rate-micro-batch'`,
   * `'kafka'`, `'json'`, `'csv'` or `'text'` (`'memory'` is made with {@link MemoryStream}). An
   * unknown format is an {@link AnalysisError} at `load()`, listing the known ones.
   *
   * @throws {@link AnalysisError} when `source` is not a string.
   */
  format(source: string): Self {
    this.fmt = requireString(source, 'format()', 'the format', "'kafka', 'json' or 'socket'");
    return this as unknown as Self;
  }

  /**
   * Sets one option of the source (Spark's `option`), e.g. `option('maxFilesPerTrigger', 1)`.
   * Option names are case-insensitive, as in Spark; values may be strings, numbers or booleans and
   * are kept as text. At `load()`, an option the source does not declare is a warning naming the
   * closest declared one ("did you mean maxFilesPerTrigger?"), or an error under
   * `spate.conf.strict=true`; a bad value is an {@link AnalysisError} there or at `start()`.
   *
   * @throws {@link AnalysisError} when `key` is not a string or `value` not a string, number or boolean.
   */
  option(key: string, value: string | number | boolean): Self {
    requireString(key, 'option()', 'the key', "'maxFilesPerTrigger'");
    requireOptionValue(value, 'option()', key);
    this.opts[key.toLowerCase()] = String(value);
    this.spelled[key.toLowerCase()] = key;
    return this as unknown as Self;
  }

  /**
   * Sets several options at once (Spark's `options`): each entry as {@link DataStreamReader.option}
   * takes it.
   *
   * @throws {@link AnalysisError} when `options` is not an object.
   */
  options(options: Readonly<Record<string, string | number | boolean>>): Self {
    if (options === null || typeof options !== 'object') throw argumentError('options()', 'the options', "an object such as { maxFilesPerTrigger: 1 }", options);
    for (const [k, v] of Object.entries(options)) this.option(k, v);
    return this as unknown as Self;
  }

  /** Sets the schema of the data: a StructType or DDL text such as 'a INT, b STRING'. */
  protected setSchema(schema: StructType | string): void {
    if (typeof schema !== 'string' && (schema === null || typeof schema !== 'object' || (schema as { kind?: unknown }).kind !== 'struct')) {
      throw argumentError('schema()', 'the schema', "a struct type such as T.struct([T.field('a', T.string())]), or DDL text such as 'a STRING, n INT'", schema);
    }
    this.userSchema = typeof schema === 'string' ? parseSchemaDDL(schema) : schema;
  }

  /** What `load()` hands the source provider: the format, the options, the path and the schema. */
  protected sourceOptions(path: string | undefined, streaming = true): SourceOptions {
    if (path !== undefined) requireString(path, 'load()', 'the path', "'/data/in'");
    if (!this.fmt) throw new AnalysisError("call format(...) before load(): e.g. format('socket'), format('kafka'), format('json')");
    const p = path ?? this.opts['path'];
    return {
      format: this.fmt,
      options: { ...this.opts },
      ...(p !== undefined ? { path: p } : {}),
      ...(this.userSchema ? { userSchema: this.userSchema } : {}),
      ...(streaming ? {} : { streaming: false }),
    };
  }
}

/**
 * Reads a stream (Spark's `DataStreamReader`), from {@link Session.readStream}: choose a format, set
 * its options and, for files, its schema, then `load()` a streaming {@link DataFrame}.
 *
 * Sources: `socket` (`host`, `port`, `includeTimestamp`; not replayable), `rate` (`rowsPerSecond`,
 * `rampUpTime`, `numPartitions`), `rate-micro-batch` (`rowsPerBatch`, `startTimestamp`,
 * `advanceMillisPerBatch`, `numPartitions`), `kafka` (`kafka.bootstrap.servers` with one of
 * `subscribe`, `subscribePattern`, `assign`; `startingOffsets`, `maxOffsetsPerTrigger`,
 * `minOffsetsPerTrigger`, `maxTriggerDelay`, `failOnDataLoss`, `includeHeaders`, `kafka.*`), and the
 * file formats `json`, `csv`, `text` over a folder or glob (`maxFilesPerTrigger`,
 * `maxBytesPerTrigger`, `latestFirst`, `maxFileAge`, `fileNameOnly`, `cleanSource`,
 * `sourceArchiveDir`, `waitForPath`, parse `mode`, `columnNameOfCorruptRecord`). The README's
 * Connectors section describes each.
 *
 * @example
 * ```ts
 * const trades = spark.readStream.format('kafka')
 *   .option('kafka.bootstrap.servers', 'localhost:9092').option('subscribe', 'trades')
 *   .option('startingOffsets', 'earliest').load();
 * const files = spark.readStream.schema('id INT, name STRING').option('maxFilesPerTrigger', 1).json('in/');
 * ```
 */
export class DataStreamReader<R extends Row = Row> extends Reader<DataStreamReader<R>> {
  /**
   * The schema of the data: a StructType (the frame's rows are then typed by it: a field declared
   * `nullable: false` is not `| null`) or DDL text such as 'a INT, b STRING'.
   */
  schema<T extends Row>(schema: StructType<T>): DataStreamReader<T>;
  schema(schema: string): DataStreamReader;
  schema(schema: StructType | string): DataStreamReader {
    this.setSchema(schema);
    return this as DataStreamReader;
  }

  /** A streaming DataFrame over the source. */
  load(path?: string): DataFrame<R> {
    const opts = this.sourceOptions(path);
    const provider = sourceProvider(opts.format);
    const schema = provider.schema(opts);
    checkReaderOptions(this.session, opts.format, provider.options, this.spelled);
    return new DataFrame<R>(this.session, { k: 'source', ...opts, schema });
  }

  /**
   * A stream of the JSON-lines files in `path` (a folder or a glob): `format('json').load(path)`.
   * Needs a schema.
   */
  json(path: string): DataFrame<R> { return this.format('json').load(path); }
  /**
   * A stream of the CSV files in `path`: `format('csv').load(path)`. Needs a schema; fields map to
   * its columns by position (option `header` skips a header line).
   */
  csv(path: string): DataFrame<R> { return this.format('csv').load(path); }
  /**
   * A stream of the lines of the text files in `path`, one row per line in a `value` column:
   * `format('text').load(path)`.
   */
  text(path: string): DataFrame<R> { return this.format('text').load(path); }
}

/**
 * Reads static data (Spark's `DataFrameReader`), from {@link Session.read}: `json`, `csv` and `text`
 * folders (honouring a file sink's manifest, so only committed output is read) and `kafka` (with
 * `startingOffsets` / `endingOffsets`). The frame is read afresh each time it is evaluated: joined
 * to a stream, once per micro-batch.
 *
 * @example
 * ```ts
 * const customers = spark.read.format('json').schema('customerId STRING, tier STRING').load('customers/');
 * const enriched = orders.join(customers, 'customerId', 'left_outer');
 * ```
 */
export class DataFrameReader<R extends Row = Row> extends Reader<DataFrameReader<R>> {
  /** The schema of the data: a StructType (typing the frame's rows) or DDL text such as 'a INT, b STRING'. */
  schema<T extends Row>(schema: StructType<T>): DataFrameReader<T>;
  schema(schema: string): DataFrameReader;
  schema(schema: StructType | string): DataFrameReader {
    this.setSchema(schema);
    return this as DataFrameReader;
  }

  /** A static DataFrame, read afresh each time it is evaluated (each micro-batch when joined to a stream). */
  load(path?: string): DataFrame<R> {
    const opts = this.sourceOptions(path, false);
    const provider = sourceProvider(opts.format);
    if (!provider.readStatic) throw new AnalysisError(`format '${opts.format}' cannot be read statically; use spark.readStream`);
    const schema = provider.schema(opts);
    checkReaderOptions(this.session, opts.format, provider.options, this.spelled);
    const read = provider.readStatic.bind(provider);
    return new DataFrame<R>(this.session, {
      k: 'static', description: `${opts.format}${opts.path ? ` ${opts.path}` : ''}`, schema,
      load: (): Promise<Row[]> => read(opts),
    });
  }

  /** The JSON-lines files in `path` (a folder or a glob): `format('json').load(path)`. Needs a schema. */
  json(path: string): DataFrame<R> { return this.format('json').load(path); }
  /**
   * The CSV files in `path`: `format('csv').load(path)`. Needs a schema; fields map to its columns by
   * position (option `header` skips a header line).
   */
  csv(path: string): DataFrame<R> { return this.format('csv').load(path); }
  /**
   * The lines of the text files in `path`, one row per line in a `value` column:
   * `format('text').load(path)`.
   */
  text(path: string): DataFrame<R> { return this.format('text').load(path); }
}
