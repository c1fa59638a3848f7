// `spate run` as a child process for tests: its JSON log lines, its server's URL, its exit code.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PATIENCE_MS } from '../support/helpers.js';

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface DaemonProcess {
  readonly child: ChildProcess;
  readonly lines: LogLine[];
  /** Text the process wrote to stderr so far. */
  stderr(): string;
  /** The server's URL, from its first log line. */
  readonly url: Promise<string>;
  /** The exit code (or the signal's name). */
  readonly exit: Promise<number | string>;
  /** The first log line (seen or to come) that `match` accepts. */
  waitFor(match: (l: LogLine) => boolean, what: string, ms?: number): Promise<LogLine>;
  /** Kills the process if it still runs and waits for its exit. */
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..');

/** Runs bin/spate.mjs with `args` from the repository's root (a checkout: sources through tsx). */
export function spawnSpate(args: readonly string[], env: Readonly<Record<string, string>> = {}): DaemonProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'spate.mjs'), ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const waiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const text of parts) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { level: 'stdout', msg: text };
      }
      lines.push(line);
      for (const w of [...waiters]) if (w.match(line)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(line); }
    }
  });
  // 'close', not 'exit': it comes after the last of the child's output was read, so every line the
  // daemon wrote before it ended is in `lines` once `exit` resolves.
  const exit = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const waitFor = (match: (l: LogLine) => boolean, what: string, ms = PATIENCE_MS): Promise<LogLine> => {
    const seen = lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogLine>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`spate never logged ${what} within ${ms} ms; stderr: ${stderr}\nlog:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`)), ms);
      const w = { match, resolve: (l: LogLine) => { clearTimeout(timer); resolve(l); } };
      waiters.push(w);
      void exit.then((code) => {
        if (!waiters.includes(w)) return;
        clearTimeout(timer);
        reject(new Error(`spate exited (${code}) before it logged ${what}; stderr: ${stderr}\nlog:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
      });
    });
  };
  const url = waitFor((l) => typeof l['url'] === 'string', 'its URL').then((l) => l['url'] as string);
  url.catch(() => undefined);
  return {
    child, lines, url, exit, waitFor,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}

/** GET `path` of the daemon: status and text. */
export async function get(base: string, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(base + path);
  return { status: res.status, text: await res.text() };
}

/** The value of one series of a Prometheus text exposition, or undefined. */
export function metric(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Polls `probe` until `check` holds (each poll waits for the daemon's answer; no fixed sleeps decide the outcome). */
export async function until<T>(what: string, probe: () => Promise<T>, check: (v: T) => boolean, tries = 1200): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await probe();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} never held; last: ${JSON.stringify(last)}`);
}
