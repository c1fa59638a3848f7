// The exactly-once crash harness: runs the crash query (crash-query.ts) in child processes,
// killing each with SIGKILL at a random moment and starting a new one, until the requested
// number of kills is reached; then lets a last child finish the source. Its output (one file per
// epoch) must equal that of a run without crashes. Used by the jest test with ~20 kills and by
// `npm run soak` with as many as wanted.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CrashQueryConfig } from './crash-query.js';
import { startCrashQuery } from './crash-query.js';

/** The crash query's settings (its outDir must be empty), plus how to crash it. */
export interface CrashScenario extends CrashQueryConfig {
  readonly kills: number;
  /** A kill lands uniformly at random this long after the child reported READY. */
  readonly maxKillDelayMs: number;
  /** Extra environment for the children (e.g. REDIS_URL), or for child number n (from 1). */
  readonly env?: NodeJS.ProcessEnv | ((child: number) => NodeJS.ProcessEnv);
  readonly log?: (line: string) => void;
}

export interface CrashReport {
  /** Children killed with SIGKILL. */
  readonly kills: number;
  /** Kills that landed after the child had committed at least one epoch. */
  readonly killsAfterACommit: number;
  /** Epochs committed by children that were later killed (counted per life). */
  readonly epochsCommittedBeforeKills: number;
  readonly children: number;
}

/** The package root (this file is loaded both as CommonJS by jest and as ESM by tsx, so no import.meta). */
function packageRoot(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'spate-streaming') return dir;
    if (dirname(dir) === dir) throw new Error(`run the crash harness from inside the spate package (cwd ${process.cwd()})`);
  }
}

/**
 * Runs the crashing children; resolves once the last child finished the source.
 *
 * Where a kill lands is chosen by what a life has done, not by the clock alone, so that the
 * run means the same on an idle machine and on one loaded many times over: every other life is
 * killed at a random moment after it started (while it restores, or in its first epoch), the
 * others only after 1-3 epochs of theirs committed (a random delay later). A killed life never
 * reaches the end of the source and exits: it holds there until the kill (so no number of rows
 * is too few for the kills), and the last life, not held, finishes the source.
 */
export async function runWithCrashes(s: CrashScenario): Promise<CrashReport> {
  mkdirSync(s.outDir, { recursive: true });
  const { kills: _kills, maxKillDelayMs: _delay, env: _env, log: _log, ...cfg } = s;
  let kills = 0;
  let killsAfterACommit = 0;
  let epochsCommittedBeforeKills = 0;
  let children = 0;
  while (kills < s.kills) {
    children++;
    const life = startChild(cfg, typeof s.env === 'function' ? s.env(children) : s.env, { holdAtEnd: true });
    const commitsFirst = children % 2 === 0 ? 1 + Math.floor(Math.random() * 3) : 0;
    await (commitsFirst > 0 ? life.committedOrHeld(commitsFirst) : life.ready);
    const delay = Math.random() * s.maxKillDelayMs;
    const outcome = await Promise.race([life.exited.then(() => 'exited' as const), sleep(delay).then(() => 'kill' as const)]);
    if (outcome === 'exited') {
      const { code, output } = await life.exited;
      throw new Error(`crash child exited with code ${code} before it was killed:\n${output.slice(-2000)}`);
    }
    life.child.kill('SIGKILL');
    const { output } = await life.exited;
    kills++;
    const committed = output.split('\n').filter((l) => l.startsWith('COMMITTED')).length;
    epochsCommittedBeforeKills += committed;
    if (committed > 0) killsAfterACommit++;
    s.log?.(`kill ${kills}: ${delay.toFixed(0)} ms after ${commitsFirst > 0 ? `${commitsFirst} commits` : 'start'}, ${committed} epochs committed in that life${output.includes('HELD') ? ' (held at the end of the source)' : ''}`);
  }
  children++;
  // The pace only spreads epochs out for the kills; the last child runs the rest at full speed.
  const last = startChild({ ...cfg, paceMs: 0 }, typeof s.env === 'function' ? s.env(children) : s.env, { holdAtEnd: false });
  const { code, output } = await last.exited;
  if (code !== 0 || !output.includes('DONE')) throw new Error(`the last crash child failed (exit ${code}):\n${output.slice(-2000)}`);
  return { kills, killsAfterACommit, epochsCommittedBeforeKills, children };
}

/** The same query without crashes, in this process, writing its epochs to `outDir`. */
export async function runWithoutCrashes(cfg: CrashQueryConfig): Promise<void> {
  mkdirSync(cfg.outDir, { recursive: true });
  const { spark, query } = startCrashQuery(cfg);
  try {
    await query.processAllAvailable();
    await query.stop();
  } finally {
    await spark.stop();
  }
}

/** Every file of an output directory, name → content. */
export function readOutput(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) if (!name.endsWith('.tmp')) out.set(name, readFileSync(join(dir, name), 'utf8'));
  return out;
}

/**
 * How an output directory differs from the reference (a run without crashes): epochs missing,
 * extra or different (a MISMATCH file is extra), or a final table that did not count `rows`.
 * Empty when they are the same.
 */
export function differencesFrom(reference: Map<string, string>, outDir: string, rows: number): string[] {
  const output = readOutput(outDir);
  const problems: string[] = [];
  for (const name of reference.keys()) if (!output.has(name)) problems.push(`${name} missing`);
  for (const [name, text] of output) {
    if (!reference.has(name)) problems.push(`${name} extra`);
    else if (reference.get(name) !== text) problems.push(`${name} differs`);
  }
  let counted = 0;
  for (const { n } of finalTable(output).values()) counted += n;
  if (counted !== rows) problems.push(`the final table counts ${counted} rows, not ${rows}`);
  return problems;
}

/** The final table of an update-mode output: the last row of each key over all epochs. */
export function finalTable(output: Map<string, string>): Map<string, { n: number; total: number }> {
  const table = new Map<string, { n: number; total: number }>();
  for (const [name, text] of output) {
    if (!name.startsWith('epoch-')) continue;
    for (const r of JSON.parse(text) as Array<{ key: string; n: number; total: number }>) table.set(r.key, { n: r.n, total: r.total });
  }
  return table;
}

interface Life {
  readonly child: ChildProcess;
  /** READY printed (or the child exited). */
  readonly ready: Promise<void>;
  /** `n` epochs committed, or the child held at the end of the source (or exited). */
  committedOrHeld(n: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; output: string }>;
}

function startChild(cfg: CrashQueryConfig, env: NodeJS.ProcessEnv | undefined, opts: { holdAtEnd: boolean }): Life {
  const root = packageRoot();
  const args = ['--import', 'tsx', join(root, 'test/support/crash/crash-child.ts'), JSON.stringify(cfg), ...(opts.holdAtEnd ? ['--hold-at-end'] : [])];
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const waiters: Array<() => boolean> = [];
  const check = (): void => { for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!()) waiters.splice(i, 1); };
  const when = (done: () => boolean): Promise<void> => new Promise<void>((resolve) => {
    const waiter = (): boolean => { if (!exited && !done()) return false; resolve(); return true; };
    if (!waiter()) waiters.push(waiter);
  });
  const commits = (): number => output.split('\n').filter((l) => l.startsWith('COMMITTED')).length;
  child.stdout!.on('data', (d: Buffer) => { output += d.toString(); check(); });
  child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
  const exitedWith = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.on('exit', (code) => {
      exited = true;
      check();
      // Let the pipes drain before reporting.
      setImmediate(() => resolve({ code, output }));
    });
  });
  return {
    child,
    ready: when(() => output.includes('READY')),
    committedOrHeld: (n) => when(() => output.includes('HELD') || commits() >= n),
    exited: exitedWith,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
