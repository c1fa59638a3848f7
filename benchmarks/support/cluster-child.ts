// A cluster worker process for the cluster benchmarks (test/cluster/group/cluster-child.ts, the
// tests' worker), with every line it prints and when it printed it, and a wait on a condition.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface PrintedLine {
  /** performance.now() when the line arrived. */
  readonly at: number;
  readonly line: string;
}

export interface ClusterChild {
  readonly child: ChildProcess;
  /** Every whole line it printed (stdout and stderr), in order. */
  readonly lines: PrintedLine[];
}

/** Starts a worker with `cfg` (cluster-child.ts' ClusterChildConfig, as JSON). */
export function startClusterChild(cfg: Readonly<Record<string, unknown>>): ClusterChild {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/cluster/group/cluster-child.ts'), JSON.stringify(cfg)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const life: ClusterChild = { child, lines: [] };
  // A chunk can end in the middle of a line: that part waits for the next chunk of its stream.
  const follow = (stream: NodeJS.ReadableStream): void => {
    let rest = '';
    stream.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop()!;
      const at = performance.now();
      for (const line of parts) if (line) life.lines.push({ at, line });
    });
  };
  follow(child.stdout!);
  follow(child.stderr!);
  return life;
}

/** The lines of `life` that start with `prefix`. */
export function printed(life: ClusterChild, prefix: string): PrintedLine[] {
  return life.lines.filter((l) => l.line.startsWith(prefix));
}

/** Polls `check` every `pollMs` until it holds; throws after `ms` naming `what`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms: number, pollMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
