// What a file format provides to the file source, the static reader and the file sink: the
// schema of its rows, a reader turning one file into rows (following the parse mode), and a
// writer turning rows into the lines of an output file.
import type { Row } from '../../../data/row.js';
import { withOrigin } from '../../../data/row.js';
import { AnalysisError, MalformedRecordError } from '../../../errors.js';
import type { StructType } from '../../../expr/types.js';

export type ParseMode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

/** Options as given (keys lowercased). */
export type FormatOptions = Readonly<Record<string, string>>;

export interface ReadOptions {
  readonly mode: ParseMode;
  readonly corruptColumn: string;
  /** Called with the number of records dropped (DROPMALFORMED). */
  readonly dropped: (n: number) => void;
  /** Adds to a metric of the source in progress (sources[].metrics), e.g. numInvalidUtf8Records. */
  readonly countMetric?: (name: string, n: number) => void;
}

/** The source metric counting records kept (PERMISSIVE) though their bytes were not valid UTF-8. */
export const INVALID_UTF8_METRIC = 'numInvalidUtf8Records';

/** Records (and lines) longer than this are malformed unless the options say otherwise. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** maxLineBytes / maxRecordBytes: the most bytes one record may take before it is malformed. */
export function recordLimit(options: FormatOptions, name: 'maxLineBytes' | 'maxRecordBytes'): number {
  const raw = options[name.toLowerCase()];
  if (raw === undefined) return DEFAULT_MAX_RECORD_BYTES;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) throw new AnalysisError(`option ${name} must be a positive whole number of bytes, got '${raw}'`);
  return n;
}

/**
 * What becomes of a malformed record: 'keep' (PERMISSIVE: the caller makes it nulls and the
 * corrupt-record column), 'drop' (DROPMALFORMED: counted); FAILFAST throws naming file and line.
 */
export function malformedRecord(read: ReadOptions, file: string, line: number, why: string): 'keep' | 'drop' {
  if (read.mode === 'FAILFAST') {
    throw new MalformedRecordError(`malformed record in file ${file}, line ${line}: ${why}; use mode PERMISSIVE or DROPMALFORMED to keep going`);
  }
  return read.mode === 'DROPMALFORMED' ? 'drop' : 'keep';
}

/** Why a line is malformed, for messages. */
export function lineProblemText(problem: 'invalidUtf8' | 'tooLong', maxBytes: number): string {
  return problem === 'invalidUtf8' ? 'it is not valid UTF-8' : `it is longer than maxLineBytes (${maxBytes} bytes)`;
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

/**
 * Rows read from one file, gathered into chunks of CHUNK_ROWS, each row with the line it began
 * on so that a failure on it names file and line.
 */
export class FileRows {
  private rows: Row[] = [];
  private lines: number[] = [];

  constructor(private readonly file: string) {}

  add(row: Row, line: number): void {
    this.rows.push(row);
    this.lines.push(line);
  }

  /** The rows gathered, once there are a chunk's worth (or any, with `all`); else null. */
  take(all = false): Row[] | null {
    if (this.rows.length === 0 || (!all && this.rows.length < CHUNK_ROWS)) return null;
    const { file, lines } = this;
    const rows = withOrigin(this.rows, (i) => `file ${file}, line ${lines[i]}`);
    this.rows = [];
    this.lines = [];
    return rows;
  }
}

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
