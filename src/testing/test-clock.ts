// Virtual processing time for users' tests: queries started on a TestClock wait only for it, and
// it moves only when the test advances it, so no test waits on the wall clock. Hand-written
// rather than xstate's SimulatedClock: advancing fires each timer at its own instant, in order
// (a ProcessingTime trigger due at 12:00:10 sees 12:00:10, not the end of the step).
import { parseDuration } from '../expr/interval.js';
import type { QueryClock } from '../query/clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Virtual processing time for tests, a {@link QueryClock}: a query started on it (by
 * {@link startTest}, or `writeStream.clock(clock)`) waits only for it, and it moves only when the
 * test advances it, firing each timer at its own instant, in order.
 *
 * @example
 * ```ts
 * const clock = new TestClock('2024-01-01T12:00:00Z');
 * const t = startTest(df, { clock });
 * await t.advanceProcessingTime('10 seconds');   // or clock.advance('10 seconds'), then t.run()
 * ```
 */
export class TestClock implements QueryClock {
  private nowMs: number;
  private timers: Timer[] = [];
  private nextId = 1;

  /**
   * Starts at `start`: a Date, ms since the epoch, or an ISO-8601 time with its zone ('2019-02-05T10:00:00Z').
   *
   * @throws RangeError when `start` is none of these.
   */
  constructor(start: Date | number | string = 0) {
    this.nowMs = toMs(start, 'TestClock start');
  }

  /** The current virtual time, in ms since the epoch. */
  now(): number {
    return this.nowMs;
  }

  /** Calls `fn` when the clock is advanced `ms` (at least 0) past now; returns the timer's id. */
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { id: this.nextId++, at: this.nowMs + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer.id;
  }

  /** Cancels a timer set with setTimeout; an unknown id is ignored. */
  clearTimeout(id: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Moves time on by `duration` ('1 minute', or ms), firing the timers it passes at their own instants. */
  advance(duration: string | number): void {
    this.advanceTo(this.nowMs + parseDuration(duration, 'TestClock.advance duration'));
  }

  /** Moves time on to `time`, firing the timers due by then in order; time never moves back. */
  advanceTo(time: Date | number | string): void {
    const target = toMs(time, 'TestClock.advanceTo time');
    if (target < this.nowMs) throw new RangeError(`TestClock cannot move back from ${new Date(this.nowMs).toISOString()} to ${new Date(target).toISOString()}`);
    for (;;) {
      let next: Timer | null = null;
      for (const t of this.timers) if (t.at <= target && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === null) break;
      const due = next;
      this.timers = this.timers.filter((t) => t !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.fn();
    }
    this.nowMs = target;
  }
}

/** A time as ms since the epoch: a Date, a number, or an ISO-8601 string with its zone. */
export function toMs(time: Date | number | string, what: string): number {
  const ms = time instanceof Date ? time.getTime() : typeof time === 'number' ? time : Date.parse(time);
  if (!Number.isFinite(ms) || (typeof time === 'string' && !/(Z|[+-]\d\d:?\d\d)$/i.test(time.trim()))) {
    throw new RangeError(`${what} must be a Date, ms since the epoch, or an ISO-8601 time with its zone such as '2019-02-05T10:00:00Z'; got ${String(time)}`);
  }
  return ms;
}
