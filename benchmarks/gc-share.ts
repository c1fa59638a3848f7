// The time a run spends in garbage-collection pauses, from perf_hooks GC entries, against the
// run's wall time and against its process CPU time (user + system, every thread). Wall time
// swells when other processes share the cores; CPU time does not, so the CPU share is the
// figure to compare. A pause is the main thread's stop; GC helper threads' work during it and
// concurrent marking are in the CPU time but not in the pauses, so the share is a lower bound.
import { PerformanceObserver } from 'node:perf_hooks';

export interface GcShare {
  /** Pause time / wall time of the run. */
  readonly share: number;
  /** Pause time / process CPU time of the run (NaN when the CPU time was not given). */
  readonly cpuShare: number;
  readonly ms: number;
  readonly count: number;
}

export interface GcCounter {
  /** Stops counting and reports the pauses against the run's wall time and process CPU time. */
  stop(wallMs: number, cpuMs?: number): Promise<GcShare>;
}

/** Starts counting GC pauses. */
export function gcShare(): GcCounter {
  let ms = 0;
  let count = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      ms += e.duration;
      count++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop(wallMs, cpuMs) {
      // Entries are queued after each pause and delivered from the event loop: after a run that
      // never yielded (a hand loop) they arrive only now. Let them, then take what is buffered.
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const e of observer.takeRecords()) {
        ms += e.duration;
        count++;
      }
      observer.disconnect();
      return { share: wallMs > 0 ? ms / wallMs : 0, cpuShare: cpuMs ? ms / cpuMs : NaN, ms, count };
    },
  };
}
