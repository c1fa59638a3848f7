// A stateful operator that runs as one instance per worker thread, as the driver sees it: its
// state restored by the threads (each its own key groups), its figures for an epoch the sums
// of the threads' reports, the watermark it evicted with the one the threads used. The driver
// keeps a copy of its logic only to answer questions that need no state (whether a batch
// without data should run, the watermark it passes downstream).
import type { OperatorLogic } from '../actors/operator.js';
import type { LogicalPlan } from '../plan/logical.js';
import type { OperatorFigures, PlannedOperator } from '../plan/physical.js';
import type { OperatorStateMetrics } from '../state/operator-state.js';
import type { OperatorReport } from './region-spec.js';

const EMPTY: OperatorStateMetrics = { numRowsTotal: 0, numRowsUpdated: 0, numRowsRemoved: 0, memoryUsedBytes: 0, commitTimeMs: 0 };

export class RemoteOperator implements PlannedOperator {
  evictionWatermarkMs = 0;
  private metrics: Record<string, number> = { ...EMPTY };
  private counters: Record<string, number> = {};
  private timings = { updatesMs: 0, removalsMs: 0 };

  constructor(
    readonly id: string,
    readonly logic: OperatorLogic,
    readonly partitions: number,
    readonly node: LogicalPlan,
    private readonly watermarkOf: (queryWatermarkMs: number) => number,
    /** Restores the operator on every thread (each given its late watermark); resolves with each thread's state metrics. */
    private readonly restoreOnThreads: (version: number, lateWatermarkMs: number) => Promise<Record<string, number>[]>,
  ) {}

  inputWatermarkOf(queryWatermarkMs: number): number {
    return this.watermarkOf(queryWatermarkMs);
  }

  async restore(version: number, lateWatermarkMs: number): Promise<void> {
    const late = this.inputWatermarkOf(lateWatermarkMs);
    this.evictionWatermarkMs = late;
    this.resetFigures();
    for (const metrics of await this.restoreOnThreads(version, late)) {
      this.metrics['numRowsTotal']! += metrics['numRowsTotal'] ?? 0;
      this.metrics['memoryUsedBytes']! += metrics['memoryUsedBytes'] ?? 0;
    }
  }

  resetFigures(): void {
    this.metrics = { ...EMPTY };
    this.counters = {};
    this.timings = { updatesMs: 0, removalsMs: 0 };
  }

  /** Adds one thread's report of the epoch. */
  accumulate(r: OperatorReport): void {
    for (const [k, v] of Object.entries(r.metrics)) {
      // Threads commit in parallel: the epoch waited for the slowest.
      this.metrics[k] = k === 'commitTimeMs' ? Math.max(this.metrics[k] ?? 0, v) : (this.metrics[k] ?? 0) + v;
    }
    for (const [k, v] of Object.entries(r.counters)) this.counters[k] = (this.counters[k] ?? 0) + v;
    this.timings.updatesMs += r.updatesMs;
    this.timings.removalsMs += r.removalsMs;
    this.evictionWatermarkMs = Math.max(this.evictionWatermarkMs, r.evictionWatermarkMs);
  }

  figures(): OperatorFigures {
    return { metrics: this.metrics as unknown as OperatorStateMetrics, counters: this.counters, timings: this.timings };
  }
}
