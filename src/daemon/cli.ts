// The `spate` command line. Today: `spate checkpoint inspect <location> [--json]`, which prints
// what a checkpoint holds (epochs, offsets, watermark, state operators with rows and sizes), and
// `spate state inspect | migrate` (state-commands.ts).
import { errorMessage } from '../errors.js';
import { STATE_USAGE, stateCommand } from './state-commands.js';
import { inspectCheckpoint } from '../query/inspect-checkpoint.js';
import type { CheckpointInspection } from '../state/inspect.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `usage: spate checkpoint inspect <location> [--json]

  <location>  a checkpoint directory, or redis://[user:password@]host:port/db/prefix (rediss:// for TLS)
  --json      print the inspection as JSON instead of text

${STATE_USAGE}`;

const stdio: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs the CLI with `args` (without the program name); resolves to the exit code. */
export async function main(args: readonly string[], io: CliIo = stdio): Promise<number> {
  if (args[0] === 'state') return stateCommand(args.slice(1), io);
  const flags = args.filter((a) => a.startsWith('--'));
  const words = args.filter((a) => !a.startsWith('--'));
  if (flags.includes('--help') || words.length === 0 || words[0] === 'help') {
    io.out(USAGE);
    return 0;
  }
  const unknown = flags.filter((f) => f !== '--json');
  if (words[0] !== 'checkpoint' || words[1] !== 'inspect' || words.length !== 3 || unknown.length) {
    io.err(`spate: ${unknown.length ? `unknown option ${unknown[0]}` : `unknown command '${words.join(' ')}'`}\n${USAGE}`);
    return 2;
  }
  try {
    const inspection = await inspectCheckpoint(words[2]!);
    io.out(flags.includes('--json') ? `${JSON.stringify(inspection, null, 2)}\n` : formatInspection(inspection));
    return 0;
  } catch (e) {
    io.err(`spate: ${errorMessage(e)}\n`);
    return 1;
  }
}

export function formatInspection(c: CheckpointInspection): string {
  const lines: string[] = [`Checkpoint ${c.location}`];
  const row = (label: string, value: string): void => { lines.push(`  ${label.padEnd(14)}${value}`); };
  row('query id', c.queryId ?? '(no metadata)');
  row('live run', c.activeRun
    ? `${c.activeRun.runId}${c.activeRun.pid !== undefined ? ` (process ${c.activeRun.pid}${c.activeRun.host ? ` on ${c.activeRun.host}` : ''})` : ''}`
    : 'none');
  for (const [k, v] of Object.entries(c.conf)) row(k === Object.keys(c.conf)[0] ? 'settings' : '', `${k} = ${v}`);
  const e = c.epochs;
  row('epochs', `offsets ${range(e.offsets)}, commits ${range(e.commits)}; last committed ${e.lastCommitted ?? 'none'}` +
    (e.uncommitted.length ? `; re-run at the next start: ${e.uncommitted.join(', ')}` : ''));
  row('watermark', c.watermarkMs === null ? 'none yet' : c.watermarkMs === 0 ? '0 (none set)' : `${c.watermark} (${c.watermarkMs} ms)`);
  lines.push('  sources');
  if (c.sources.length === 0) lines.push('    (none recorded)');
  for (const s of c.sources) {
    lines.push(`    ${s.index} ${s.format ?? ''}`.trimEnd() + `  committed ${JSON.stringify(s.committedOffset)}` +
      (s.plannedOffset !== undefined ? `, planned ${JSON.stringify(s.plannedOffset)}` : ''));
  }
  lines.push('  state operators');
  if (c.stateOperators.length === 0) lines.push('    (none)');
  for (const op of c.stateOperators) {
    lines.push(`    ${op.id}${op.kind ? ` (${op.kind})` : ''}: ${count(op.rows)} rows, ${bytes(op.bytes)} in ${count(op.files)} files, ` +
      `version ${op.version}, ${op.partitions} partitions`);
    for (const [k, v] of Object.entries(op.properties)) lines.push(`      ${k}: ${v}`);
    for (const s of op.stores) {
      lines.push(`      store ${s.name}: ${count(s.rows)} rows, ${bytes(s.bytes)}, ${s.snapshots} snapshots, ${s.deltas} deltas`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function range(epochs: readonly number[]): string {
  if (epochs.length === 0) return 'none';
  return epochs.length === 1 ? `${epochs[0]}` : `${epochs[0]}-${epochs[epochs.length - 1]} (${epochs.length} entries)`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
