// The time a query runs on. Injected, so tests of trigger schedules and timeouts run on a
// simulated clock (xstate's SimulatedClock fits) instead of waiting on the wall clock.

export interface QueryClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export const systemClock: QueryClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
