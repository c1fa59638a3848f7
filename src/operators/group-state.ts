// GroupState: what a (flat)mapGroupsWithState function sees of its key's state (Spark's
// GroupState / GroupStateImpl). One is made for every call; the operator reads back whether the
// call updated or removed the state and which timeout it set. Every call starts with no timeout:
// a function that wants one must set it again each time (SEMANTICS §10).
import { parseInterval } from '../expr/interval.js';
import type { GroupStateTimeout } from '../plan/logical.js';

/** The state of one key, as the user function sees it. */
export interface GroupState<S> {
  /** Whether the key has a state value. */
  readonly exists: boolean;
  /** The state value; throws when there is none (check `exists`, or use `getOption()`). */
  get(): S;
  /** The state value, or undefined when there is none. */
  getOption(): S | undefined;
  /** Replaces the state value (null and undefined are refused: use `remove()`). */
  update(value: S): void;
  /** Removes the state value. */
  remove(): void;
  /** Whether this call is for a key that timed out (it then gets no rows). */
  readonly hasTimedOut: boolean;
  /** ProcessingTimeTimeout: time the key out once this long passes without a call (ms or '1 hour'). */
  setTimeoutDuration(duration: number | string): void;
  /** EventTimeTimeout: time the key out once the watermark passes this instant (plus `additionalDuration`). */
  setTimeoutTimestamp(timestamp: number | Date, additionalDuration?: string): void;
  /** The event-time watermark of this batch; needs withWatermark before the operator. */
  getCurrentWatermarkMs(): number;
  /** The processing time of this batch (its trigger time). */
  getCurrentProcessingTimeMs(): number;
}

/** Spark's value for "no timeout set". */
export const NO_TIMESTAMP = -1;

export interface GroupStateContext {
  /** `mapGroupsWithState` or `flatMapGroupsWithState`, for messages. */
  readonly operator: string;
  readonly timeout: GroupStateTimeout;
  readonly batchTimestampMs: number;
  readonly watermarkMs: number;
  /** Whether the input has a watermarked column. */
  readonly watermarkPresent: boolean;
}

export class GroupStateImpl<S> implements GroupState<S> {
  private value: S | undefined;
  private updated = false;
  private removed = false;
  private timeoutMs = NO_TIMESTAMP;

  constructor(value: S | undefined, readonly hasTimedOut: boolean, private readonly ctx: GroupStateContext) {
    this.value = value;
  }

  get exists(): boolean {
    return this.value !== undefined;
  }

  get(): S {
    if (this.value === undefined) {
      throw new TypeError('State is either not defined or has already been removed: check state.exists first, or use state.getOption()');
    }
    return this.value;
  }

  getOption(): S | undefined {
    return this.value;
  }

  update(value: S): void {
    if (value === null || value === undefined) {
      throw new RangeError(`'${value}' is not a valid state value: to delete the state of this key call state.remove()`);
    }
    this.value = value;
    this.updated = true;
    this.removed = false;
  }

  remove(): void {
    this.value = undefined;
    this.updated = false;
    this.removed = true;
  }

  setTimeoutDuration(duration: number | string): void {
    if (this.ctx.timeout !== 'ProcessingTimeTimeout') {
      throw new TypeError(
        `Cannot set timeout duration without enabling processing time timeout in ${this.ctx.operator}: ` +
        `pass timeout: GroupStateTimeout.ProcessingTimeTimeout (this one has ${this.ctx.timeout})`,
      );
    }
    const ms = durationMs(duration);
    if (!(ms > 0)) throw new RangeError(`Timeout duration must be positive, got ${String(duration)}`);
    this.timeoutMs = this.ctx.batchTimestampMs + ms;
  }

  setTimeoutTimestamp(timestamp: number | Date, additionalDuration?: string): void {
    if (this.ctx.timeout !== 'EventTimeTimeout') {
      throw new TypeError(
        `Cannot set timeout timestamp without enabling event time timeout in ${this.ctx.operator}: ` +
        `pass timeout: GroupStateTimeout.EventTimeTimeout (this one has ${this.ctx.timeout})`,
      );
    }
    const base = timestamp instanceof Date ? timestamp.getTime() : timestamp;
    const ms = additionalDuration === undefined ? base : base + durationMs(additionalDuration);
    if (!(ms > 0)) throw new RangeError(`Timeout timestamp must be positive, got ${ms}`);
    if (this.ctx.watermarkPresent && ms < this.ctx.watermarkMs) {
      throw new RangeError(
        `Timeout timestamp (${ms}) cannot be earlier than the current watermark (${this.ctx.watermarkMs}): ` +
        'the key would time out at once; set it at or after state.getCurrentWatermarkMs()',
      );
    }
    this.timeoutMs = ms;
  }

  getCurrentWatermarkMs(): number {
    if (!this.ctx.watermarkPresent) {
      throw new TypeError(`Cannot get event time watermark timestamp without setting watermark before ${this.ctx.operator}: call withWatermark(...) on its input`);
    }
    return this.ctx.watermarkMs;
  }

  getCurrentProcessingTimeMs(): number {
    return this.ctx.batchTimestampMs;
  }

  // ---- what the operator reads back after the call ----

  get isUpdated(): boolean {
    return this.updated;
  }

  get isRemoved(): boolean {
    return this.removed;
  }

  /** The timeout this call set, or NO_TIMESTAMP. */
  get timeoutTimestampMs(): number {
    return this.timeoutMs;
  }

  toString(): string {
    return `GroupState(${this.value === undefined ? '<undefined>' : String(this.value)})`;
  }
}

function durationMs(d: number | string): number {
  if (typeof d === 'number') return d;
  const { ms, months } = parseInterval(d);
  if (ms < 0 || months < 0) throw new RangeError(`Provided duration (${d}) is negative`);
  // Spark counts a month as 31 days in timeout durations.
  return ms + months * 31 * 86_400_000;
}
