// One error hierarchy. Every error names what is wrong and what to do; `retriable` tells the
// supervisor and the retry helpers whether trying again can help.

/** What a {@link SpateError} is made with besides its message. */
export interface SpateErrorOptions {
  /** The error that caused this one, kept as `error.cause`. */
  readonly cause?: unknown;
  /** Whether trying again can help; false by default. */
  readonly retriable?: boolean;
  /** The source position of the record that caused the error, e.g. `file /in/a.json, line 7`. */
  readonly recordPosition?: string;
}

/**
 * The base class of every error spate throws, so `e instanceof SpateError` tells them from a
 * bug's TypeError. The message names what is wrong and what to do; `cause` carries the original
 * error when there is one.
 */
export class SpateError extends Error {
  /**
   * Whether trying again can help (a connection refused, a Kafka partition without a leader):
   * false unless the thrower says so. Retry loops retry only retriable errors, and a query that
   * failed with a CheckpointError that is not retriable (corrupt, incompatible, in use) is never
   * restarted by its restart policy.
   */
  readonly retriable: boolean;
  /**
   * The source position of the record that caused the error (`file /in/a.json, line 7`, a Kafka
   * topic, partition and offset), when one did; a restart policy gives up once the same record
   * keeps failing (recordRetries).
   */
  readonly recordPosition?: string;
  constructor(message: string, options: SpateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    if (options.recordPosition !== undefined) this.recordPosition = options.recordPosition;
  }
}

/** Processing one record failed (a user function threw on it, or bad data met a function). */
export class RecordError extends SpateError {}

/** The query is invalid (Spark's AnalysisException): thrown by start() or a DataFrame method. */
export class AnalysisError extends SpateError {}

/** A SQL expression string could not be parsed; carries the position of the problem. */
export class ParseError extends AnalysisError {
  constructor(
    /** What is wrong, without the position (e.g. `unclosed string literal`). */
    readonly reason: string,
    /** The expression that was parsed, as given. */
    readonly sql: string,
    /** 0-based offset into `sql`. */
    readonly position: number,
  ) {
    const { text, caret } = excerpt(sql, position);
    super(`${reason} at position ${position + 1} of the expression:\n  ${text}\n  ${' '.repeat(caret)}^`);
  }
}

/** At most this many characters of an expression on either side of an error's position. */
const EXCERPT_CHARS = 60;

/** The part of `sql` around `position` shown in a message (the whole of it when short), and the caret's column. */
function excerpt(sql: string, position: number): { text: string; caret: number } {
  const from = Math.max(0, position - EXCERPT_CHARS);
  const to = Math.min(sql.length, position + EXCERPT_CHARS);
  const head = from > 0 ? '…' : '';
  const text = `${head}${sql.slice(from, to)}${to < sql.length ? '…' : ''}`.replace(/[\r\n\t]/g, ' ');
  return { text, caret: head.length + position - from };
}

/** A checkpoint cannot be used: written by an incompatible query, corrupt, or in use. */
export class CheckpointError extends SpateError {}

/** A record could not be parsed and the mode is FAILFAST. */
export class MalformedRecordError extends SpateError {}

/** A source or sink failed to talk to its system; often retriable. */
export class ConnectorError extends SpateError {}

/** An operation did not finish in time (stop timeout, awaitTermination with a timeout). */
export class TimeoutError extends SpateError {}

/** A streaming query terminated with an error (Spark's StreamingQueryException). */
export class StreamingQueryError extends SpateError {
  constructor(
    message: string,
    /** The id of the query that failed ({@link StreamingQuery.id}). */
    readonly queryId: string,
    /** The id of the run that failed ({@link StreamingQuery.runId}). */
    readonly runId: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * The error `error` raised while processing the record at `position`, with the position in its
 * message: a FAILFAST error stays a MalformedRecordError; anything else becomes a RecordError.
 */
export function atRecord(error: unknown, position: string): SpateError {
  if (error instanceof SpateError && error.recordPosition !== undefined) return error;
  const message = `${errorMessage(error)} (record at ${position})`;
  if (error instanceof MalformedRecordError) return new MalformedRecordError(message, { cause: error, recordPosition: position });
  return new RecordError(message, { cause: error, recordPosition: position });
}

/** The source position of the record an error names, looking through its causes. */
export function recordPositionOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof SpateError && e.recordPosition !== undefined) return e.recordPosition;
  }
  return undefined;
}

/** Errors a bug raises; never retried (as kafkajs does). */
export function isProgrammerError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
}

/**
 * Whether trying again can help: a SpateError's `retriable`; never for a bug (TypeError and the
 * like); for other errors, a Node network error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT…).
 */
export function isRetriable(e: unknown): boolean {
  if (e instanceof SpateError) return e.retriable;
  if (isProgrammerError(e)) return false;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code);
}

/** The message of an Error, or anything else thrown as a string. */
export function errorMessage(e: unknown): string {
  // Not `instanceof Error`: errors from another realm (Node's own, seen from a vm context) count too.
  const message = (e as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(e);
}

/**
 * The known names closest to a misspelled one (case-insensitive edit distance, at most 2 or a
 * third of the name), best first: for "did you mean …?" in messages.
 */
export function closestNames(name: string, known: Iterable<string>, max = 3): string[] {
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(lower.length / 3));
  return [...known]
    .map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || (a.k < b.k ? -1 : 1))
    .slice(0, max)
    .map((x) => x.k);
}

/** Levenshtein distance between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** A value as a message shows it: `the number 123`, `the string '1 minute'`, `an object { processingTime }`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing (undefined)';
  switch (typeof v) {
    case 'string': return `the string '${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
    case 'number': case 'bigint': case 'boolean': return `the ${typeof v} ${String(v)}`;
    case 'function': return 'a function';
    case 'symbol': return 'a symbol';
    default: break;
  }
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const name = (v as object).constructor?.name;
  if (name && name !== 'Object') return `a ${name}`;
  const keys = Object.keys(v as object);
  return keys.length ? `an object { ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''} }` : 'an empty object';
}
