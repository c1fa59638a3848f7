// Runs kafka-child.ts processes for the Kafka exactly-once tests and follows what they print, so
// a test acts when a child reached a point (READY, COMMITTED n, GATED), never after a guessed delay.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { KafkaChildConfig } from './kafka-child.js';

const ROOT = join(__dirname, '../..');

export class KafkaLife {
  readonly child: ChildProcess;
  /** Everything the child printed, stdout and stderr. */
  output = '';
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(cfg: KafkaChildConfig) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/support/kafka-child.ts'), JSON.stringify(cfg)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer): void => {
      this.output += d.toString();
      for (const l of this.listeners) l();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      // 'close' comes after the pipes drained, so `output` is complete.
      this.child.on('close', (code) => {
        for (const l of this.listeners) l();
        resolve(code);
      });
    });
  }

  /** Epochs this life committed (COMMITTED lines). */
  get committed(): number {
    return this.output.split('\n').filter((l) => l.startsWith('COMMITTED ')).length;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once `check` holds of the output, or the child ended (check the outcome then). */
  until(check: (life: KafkaLife) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const look = (): void => {
        if (check(this) || !this.alive) {
          this.listeners.delete(look);
          resolve();
        }
      };
      this.listeners.add(look);
      look();
    });
  }

  /** SIGKILL, then waits until the process is gone. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** A line for failure messages: the exit code and the end of the output. */
  describe(code: number | null): string {
    return `child exited with ${code}:\n${this.output.slice(-3000)}`;
  }
}
