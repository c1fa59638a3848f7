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
  protected fmt: string | null = null;
  protected readonly opts: Record<string, string> = {};
  /** Each option's key as the user spelled it, for messages. */
  protected readonly spelled: Record<string, string> = {};
  protected userSchema: StructType | undefined;

  constructor(protected readonly session: SessionContext) {}

  format(source: string): Self {
    this.fmt = requireString(source, 'format()', 'the format', "'kafka', 'json' or 'socket'");
    return this as unknown as Self;
  }

  /** Options are case-insensitive, as in Spark. */
  option(key: string, value: string | number | boolean): Self {
    requireString(key, 'option()', 'the key', "'maxFilesPerTrigger'");
    requireOptionValue(value, 'option()', key);
    this.opts[key.toLowerCase()] = String(value);
    this.spelled[key.toLowerCase()] = key;
    return this as unknown as Self;
  }

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

  json(path: string): DataFrame<R> { return this.format('json').load(path); }
  csv(path: string): DataFrame<R> { return this.format('csv').load(path); }
  text(path: string): DataFrame<R> { return this.format('text').load(path); }
}

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

  json(path: string): DataFrame<R> { return this.format('json').load(path); }
  csv(path: string): DataFrame<R> { return this.format('csv').load(path); }
  text(path: string): DataFrame<R> { return this.format('text').load(path); }
}
