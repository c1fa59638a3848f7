// One error hierarchy. Every error names what is wrong and what to do; `retriable` tells the
// supervisor and the retry helpers whether trying again can help.

export interface SpateErrorOptions {
  readonly cause?: unknown;
  readonly retriable?: boolean;
}

export class SpateError extends Error {
  readonly retriable: boolean;
  constructor(message: string, options: SpateErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** The query is invalid (Spark's AnalysisException): thrown by start() or a DataFrame method. */
export class AnalysisError extends SpateError {}

/** A SQL expression string could not be parsed; carries the position of the problem. */
export class ParseError extends AnalysisError {
  constructor(
    readonly reason: string,
    readonly sql: string,
    /** 0-based offset into `sql`. */
    readonly position: number,
  ) {
    super(`${reason} at position ${position + 1} of the expression:\n  ${sql}\n  ${' '.repeat(position)}^`);
  }
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
    readonly queryId: string,
    readonly runId: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/** Errors a bug raises; never retried (as kafkajs does). */
export function isProgrammerError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
}

export function isRetriable(e: unknown): boolean {
  if (e instanceof SpateError) return e.retriable;
  if (isProgrammerError(e)) return false;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code);
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
