// spark.readStream (DataStreamReader) and spark.read (DataFrameReader): a format, options and
// an optional schema, then load().
import type { Row } from '../actors/messages.js';
import type { SourceOptions } from '../connectors/contract.js';
import { sourceProvider } from '../connectors/contract.js';
import { AnalysisError } from '../errors.js';
import { parseSchemaDDL } from '../expr/parser.js';
import type { StructType } from '../expr/types.js';
import { DataFrame } from './dataframe.js';
import type { SessionContext } from './session-context.js';

abstract class Reader<Self> {
  protected fmt: string | null = null;
  protected readonly opts: Record<string, string> = {};
  protected userSchema: StructType | undefined;

  constructor(protected readonly session: SessionContext) {}

  format(source: string): Self {
    this.fmt = source;
    return this as unknown as Self;
  }

  /** Options are case-insensitive, as in Spark. */
  option(key: string, value: string | number | boolean): Self {
    this.opts[key.toLowerCase()] = String(value);
    return this as unknown as Self;
  }

  options(options: Readonly<Record<string, string | number | boolean>>): Self {
    for (const [k, v] of Object.entries(options)) this.option(k, v);
    return this as unknown as Self;
  }

  /** The schema of the data: a StructType or DDL text such as 'a INT, b STRING'. */
  schema(schema: StructType | string): Self {
    this.userSchema = typeof schema === 'string' ? parseSchemaDDL(schema) : schema;
    return this as unknown as Self;
  }

  protected sourceOptions(path: string | undefined, streaming = true): SourceOptions {
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

export class DataStreamReader extends Reader<DataStreamReader> {
  /** A streaming DataFrame over the source. */
  load(path?: string): DataFrame {
    const opts = this.sourceOptions(path);
    const schema = sourceProvider(opts.format).schema(opts);
    return new DataFrame(this.session, { k: 'source', ...opts, schema });
  }

  json(path: string): DataFrame { return this.format('json').load(path); }
  csv(path: string): DataFrame { return this.format('csv').load(path); }
  text(path: string): DataFrame { return this.format('text').load(path); }
}

export class DataFrameReader extends Reader<DataFrameReader> {
  /** A static DataFrame, read afresh each time it is evaluated (each micro-batch when joined to a stream). */
  load(path?: string): DataFrame {
    const opts = this.sourceOptions(path, false);
    const provider = sourceProvider(opts.format);
    if (!provider.readStatic) throw new AnalysisError(`format '${opts.format}' cannot be read statically; use spark.readStream`);
    const schema = provider.schema(opts);
    const read = provider.readStatic.bind(provider);
    return new DataFrame(this.session, {
      k: 'static', description: `${opts.format}${opts.path ? ` ${opts.path}` : ''}`, schema,
      load: (): Promise<Row[]> => read(opts),
    });
  }

  json(path: string): DataFrame { return this.format('json').load(path); }
  csv(path: string): DataFrame { return this.format('csv').load(path); }
  text(path: string): DataFrame { return this.format('text').load(path); }
}
