// The time a query runs on. Injected, so tests of trigger schedules and timeouts run on a
// simulated clock (xstate's SimulatedClock fits) instead of waiting on the wall clock.

/**
 * The time a query runs on: trigger intervals, timeouts, `awaitTermination(ms)` and progress
 * timestamps. The system clock by default; tests pass a simulated one
 * ({@link SessionBuilder.clock}, {@link DataStreamWriter.clock}), e.g. xstate's `SimulatedClock`,
 * whose timers fire when it is advanced, so schedules are tested without waiting.
 */
export interface QueryClock {
  /** The current time, in ms since the Unix epoch. */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now on this clock; returns a handle for clearTimeout. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer set with this clock's setTimeout. */
  clearTimeout(id: unknown): void;
}

export const systemClock: QueryClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
