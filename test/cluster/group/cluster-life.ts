// Runs cluster-child.ts worker processes and follows what they print, so that a test acts when
// a worker reached a point (a line), never after a guessed delay.
import { ChildLife } from '../../support/child-life.js';
import { PATIENCE_MS } from '../../support/helpers.js';
import type { ClusterChildConfig } from './cluster-child.js';

export class WorkerLife extends ChildLife {
  constructor(readonly cfg: ClusterChildConfig) {
    super('test/cluster/group/cluster-child.ts', cfg);
  }

  /**
   * Resolves once `check` holds of the output; rejects, with what the worker printed, if the
   * process ended first or nothing happened within the patience budget.
   */
  until(check: (life: WorkerLife) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: Error | null): void => {
        settled = true;
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => settle(new Error(`worker ${this.cfg.workerId} printed nothing in ${PATIENCE_MS / 1000} s that shows ${what}:\n${this.output.slice(-3000)}`)), PATIENCE_MS);
      this.watch(() => {
        if (settled) return true;
        if (check(this)) settle(null);
        else if (!this.alive) settle(new Error(`worker ${this.cfg.workerId} ended before ${what}:\n${this.output.slice(-3000)}`));
        return settled;
      });
    });
  }
}
