// What a file format provides to the file source, the static reader and the file sink: the
// schema of its rows, a reader turning one file into rows (following the parse mode), and a
// writer turning rows into the lines of an output file.
import type { Row } from '../../../actors/messages.js';
import { AnalysisError } from '../../../errors.js';
import type { StructType } from '../../../expr/types.js';

export type ParseMode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

/** Options as given (keys lowercased). */
export type FormatOptions = Readonly<Record<string, string>>;

export interface ReadOptions {
  readonly mode: ParseMode;
  readonly corruptColumn: string;
  /** Called with the number of records dropped (DROPMALFORMED). */
  readonly dropped: (n: number) => void;
}

export interface FileWriter {
  /** A first line of every file (csv header), or null. */
  readonly header: string | null;
  /** One row as one line, without the line separator. */
  line(row: Row): string;
}

export interface FileFormat {
  readonly name: string;
  readonly extension: string;
  /** The options `read` takes (parse mode and the file source's own options aside). */
  readonly readOptions: readonly string[];
  /** The options `writer` takes. */
  readonly writeOptions: readonly string[];
  /** The rows' schema: the user's (required unless the format fixes it). */
  schema(userSchema: StructType | undefined): StructType;
  /** Reads one file into chunks of rows of `schema`. */
  read(file: string, schema: StructType, options: FormatOptions, read: ReadOptions): AsyncIterable<Row[]>;
  /** Checks the schema can be written (at start()) and returns the writer. */
  writer(schema: StructType, options: FormatOptions): FileWriter;
}

export const CHUNK_ROWS = 4096;

export function parseModeOf(options: FormatOptions): ParseMode {
  const m = (options['mode'] ?? 'PERMISSIVE').toUpperCase();
  if (m !== 'PERMISSIVE' && m !== 'DROPMALFORMED' && m !== 'FAILFAST') {
    throw new AnalysisError(`option mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, got '${options['mode']}'`);
  }
  return m;
}

export function quoteRecord(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/** Spark's message for a streaming file source without a schema. */
export function schemaRequired(format: string): AnalysisError {
  return new AnalysisError(
    `Schema must be specified when creating a streaming source DataFrame (format ${format}): ` +
    "call .schema(T.struct([...])) or .schema('a INT, b STRING') on the reader before load()",
  );
}
