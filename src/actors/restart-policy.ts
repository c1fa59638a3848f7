// Restart policies, as the Spark operator's SparkApplication spells them.

/**
 * Whether a failed query restarts in-process from its checkpoint, and when, for
 * {@link DataStreamWriter.restartPolicy} (as the Spark operator's SparkApplication `restartPolicy`
 * spells it; Spark itself never restarts a query). `never` by default. Failures are counted in a
 * row: a committed batch resets the count. A query restarts with the same id and runId, and
 * listeners get onQueryRestarted. A CheckpointError that is not retriable never restarts.
 *
 * @example
 * ```ts
 * df.writeStream.restartPolicy({ type: 'onFailure', retries: 5, intervalMs: 1000, backoff: 2 })
 * ```
 */
export type RestartPolicy =
  | {
    /** The query fails at its first failure (the default). */
    readonly type: 'never';
  }
  | {
    /** The query restarts after every failure, however many (unless one record keeps failing: recordRetries). */
    readonly type: 'always';
    /** Delay before each restart, in ms; 1000 by default. */
    readonly intervalMs?: number;
    /**
     * How many restarts in a row may fail on the same record (the error names its source
     * position) before the query gives up with that error; 3 by default.
     */
    readonly recordRetries?: number;
  }
  | {
    /** The query restarts after up to `retries` failures in a row, then fails. */
    readonly type: 'onFailure';
    /** How many failures in a row are restarted (a non-negative integer; 3 for the string `'onFailure'`). */
    readonly retries: number;
    /** Delay before the first restart, in ms; 1000 by default. */
    readonly intervalMs?: number;
    /** Multiplier applied to the delay after each restart (1 = constant). */
    readonly backoff?: number;
    /**
     * How many restarts in a row may fail on the same record (the error names its source
     * position) before the query gives up with that error; 3 by default.
     */
    readonly recordRetries?: number;
  };

/**
 * How many times a query restarts after failing on the same record (the error names its source
 * position) before it gives up with that error: a record that fails once fails on every replay.
 */
export const DEFAULT_RECORD_RETRIES = 3;

/** The failures in a row that named one record. */
export interface RecordFailures {
  readonly position: string;
  readonly count: number;
}

/**
 * Counts a failure naming `position` (or none) after `previous`; the decision gives up once the
 * same record failed more than the policy's recordRetries times in a row.
 */
export function decideRecordRestart(policy: RestartPolicy, previous: RecordFailures | null, position: string | undefined): { failures: RecordFailures | null; giveUp: boolean } {
  if (position === undefined) return { failures: null, giveUp: false };
  const count = previous?.position === position ? previous.count + 1 : 1;
  const allowed = policy.type === 'never' ? 0 : policy.recordRetries ?? DEFAULT_RECORD_RETRIES;
  return { failures: { position, count }, giveUp: count > allowed };
}

export const NEVER: RestartPolicy = { type: 'never' };

export interface RestartDecision {
  readonly restart: boolean;
  readonly delayMs: number;
}

/** Whether a query that failed for the `attempt`-th time in a row (1-based) restarts, and when. */
export function decideRestart(policy: RestartPolicy, attempt: number): RestartDecision {
  switch (policy.type) {
    case 'never': return { restart: false, delayMs: 0 };
    case 'always': return { restart: true, delayMs: policy.intervalMs ?? 1000 };
    case 'onFailure': {
      if (attempt > policy.retries) return { restart: false, delayMs: 0 };
      const base = policy.intervalMs ?? 1000;
      return { restart: true, delayMs: Math.round(base * (policy.backoff ?? 1) ** (attempt - 1)) };
    }
  }
}

/** Parses `never`, `always` or an object; throws naming the accepted forms. */
export function parseRestartPolicy(value: unknown): RestartPolicy {
  if (value === undefined || value === null || value === 'never') return NEVER;
  if (value === 'always') return { type: 'always' };
  if (value === 'onFailure') return { type: 'onFailure', retries: 3 };
  if (typeof value === 'object' && value !== null && 'type' in value) {
    const p = value as RestartPolicy;
    const recordRetriesOk = p.type === 'never' || p.recordRetries === undefined || (Number.isInteger(p.recordRetries) && p.recordRetries >= 0);
    if ((p.type === 'never' || p.type === 'always') && recordRetriesOk) return p;
    if (p.type === 'onFailure' && Number.isInteger(p.retries) && p.retries >= 0 && recordRetriesOk) return p;
  }
  throw new RangeError(
    `unknown restart policy ${JSON.stringify(value)}: use 'never', 'always' or { type: 'onFailure', retries, intervalMs, backoff, recordRetries }`,
  );
}
