// Continuous reading for a source without its own reader (StreamSource.readContinuous): the
// source is asked for new data whenever it says some arrived (SourceContext.wake), and at the
// latest every pollingDelay; each new range becomes one segment. When a poll finds nothing, an
// empty "caught up" segment tells the engine that everything available has been read.
import type { ContinuousSegment, Offset, StreamSource } from '../connectors/contract.js';
import type { QueryClock } from './clock.js';

export interface PollingOptions {
  readonly clock: QueryClock;
  readonly pollingDelayMs: number;
  /** Registers the function that wakes this reader early (data arrived, or a flush wants a fresh look). */
  readonly onWake: (wake: () => void) => void;
}

/** A polled segment also says how many wakes the reader had seen when its poll began. */
export interface PolledSegment extends ContinuousSegment {
  readonly wakesSeen: number;
}

export async function* pollingReader(source: StreamSource, start: Offset, signal: AbortSignal, opts: PollingOptions): AsyncGenerator<PolledSegment> {
  let position = start;
  let woken = false;
  let wakes = 0;
  let interrupt: (() => void) | null = null;
  opts.onWake(() => {
    woken = true;
    wakes++;
    interrupt?.();
  });
  while (!signal.aborted) {
    woken = false;
    const wakesSeen = wakes;
    // Read limits (maxOffsetsPerTrigger) bound a segment, so that a backlog does not hold off a barrier.
    const end = await source.latestOffset(position, 'default');
    if (signal.aborted) return;
    if (!sameOffset(end, position)) {
      yield { rows: source.read(position, end), end, wakesSeen };
      position = end;
      continue;
    }
    yield { rows: [], end: position, caughtUp: true, wakesSeen };
    if (woken || signal.aborted) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        opts.clock.clearTimeout(timer);
        signal.removeEventListener('abort', done);
        interrupt = null;
        resolve();
      };
      const timer = opts.clock.setTimeout(done, Math.max(1, opts.pollingDelayMs));
      signal.addEventListener('abort', done, { once: true });
      interrupt = done;
    });
  }
}

/** Offsets compare by their JSON form (they are plain data). */
export function sameOffset(a: Offset, b: Offset): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
