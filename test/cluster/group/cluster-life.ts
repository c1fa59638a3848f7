// Runs cluster-child.ts worker processes and follows what they print, so that a test acts when
// a worker reached a point (a line), never after a guessed delay.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PATIENCE_MS } from '../../support/helpers.js';
import type { ClusterChildConfig } from './cluster-child.js';

const ROOT = join(__dirname, '../../..');

export class WorkerLife {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(readonly cfg: ClusterChildConfig) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/cluster/group/cluster-child.ts'), JSON.stringify(cfg)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer): void => {
      this.output += d.toString();
      for (const l of [...this.listeners]) l();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        for (const l of [...this.listeners]) l();
        resolve(code);
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  lines(prefix: string): string[] {
    return this.output.split('\n').filter((l) => l.startsWith(prefix));
  }

  /**
   * Resolves once `check` holds of the output; rejects, with what the worker printed, if the
   * process ended first or nothing happened within the patience budget.
   */
  until(check: (life: WorkerLife) => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        this.listeners.delete(look);
        clearTimeout(timer);
        reject(new Error(`worker ${this.cfg.workerId} ${why} ${what}:\n${this.output.slice(-3000)}`));
      };
      const look = (): void => {
        if (check(this)) {
          this.listeners.delete(look);
          clearTimeout(timer);
          resolve();
        } else if (!this.alive) {
          fail('ended before');
        }
      };
      const timer = setTimeout(() => fail(`printed nothing in ${PATIENCE_MS / 1000} s that shows`), PATIENCE_MS);
      this.listeners.add(look);
      look();
    });
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    await this.exited;
  }
}
