// A test's child process (a worker, a query, a producer) and everything it printed, so that a
// test acts when the child reached a point (a line it printed), never after a guessed delay.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

export class ChildLife {
  readonly child: ChildProcess;
  /** Everything the child printed, stdout and stderr. */
  output = '';
  /** Settles with the exit code once the process ended and its pipes drained ('close'). */
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  /** Runs `script` (a path from the repository's root) through tsx with `config` as its JSON argument. */
  constructor(script: string, config: unknown) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), JSON.stringify(config)], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer): void => {
      this.output += d.toString();
      this.notify();
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.notify();
        resolve(code);
      });
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The lines it printed that start with `prefix`. */
  lines(prefix: string): string[] {
    return this.output.split('\n').filter((l) => l.startsWith(prefix));
  }

  /** SIGKILL (or `signal`), then waits until the process is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    await this.exited;
  }

  /** A line for failure messages: the exit code and the end of the output. */
  describe(code: number | null): string {
    return `child exited with ${code}:\n${this.output.slice(-3000)}`;
  }

  /** Calls `look` now and after every output and the exit, until it returns true. */
  protected watch(look: () => boolean): void {
    const run = (): void => {
      if (look()) this.listeners.delete(run);
    };
    this.listeners.add(run);
    run();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
