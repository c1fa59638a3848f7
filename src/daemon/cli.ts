// The `spate` command line (commander): `spate run <module>` runs queries as a worker daemon,
// `spate checkpoint inspect <location>` prints what a checkpoint holds, `spate state inspect |
// migrate` reads or rewrites one operator's state (state-commands.ts), `spate drain` asks a
// local daemon to stop gracefully (the Helm chart's preStop hook). Exit codes: 0 stopped cleanly,
// 1 a query failed, 2 usage or configuration, 3 a query stalled.
import { createRequire } from 'node:module';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from '../errors.js';
import { parseDuration } from '../expr/interval.js';
import { inspectCheckpoint } from '../query/inspect-checkpoint.js';
import type { CheckpointInspection } from '../state/inspect.js';
import { Daemon, EXIT } from './daemon.js';
import type { LogLevel } from './logger.js';
import { LOG_LEVELS, daemonLogger } from './logger.js';
import { UsageError, checkSettings, parseSet, readConfigFile } from './settings.js';
import { inspectStateCommand, migrateStateCommand } from './state-commands.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const stdio: CliIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const RUN_EXAMPLES = `
Examples:
  $ spate run app.js
  $ spate run dist/trades.js --config spate.json --set spate.sql.shuffle.partitions=8
  $ spate run trades.ts --port 0 --log-level debug        (TypeScript needs tsx in the app)
  $ spate run trades.js --host 0.0.0.0 --stall-timeout 2m --stall-grace 30s

The module's default export gets { spark, settings, logger } and starts queries on spark;
settings not named spate.* reach it in ctx.settings. The live page, /metrics, /healthz and
/readyz are served on --host:--port (127.0.0.1:4040 by default).

Exit codes:
  0  every query stopped cleanly (drained on SIGTERM or SIGINT, or finished)
  1  a query failed, or the queries did not drain within --grace-period
  2  usage or configuration error (unknown setting, bad value, module not found or throwing, port in use)
  3  a query stalled (no commit and no idle trigger) past --stall-grace
`;

/** Runs the CLI with `args` (without the program name); resolves to the exit code. */
export async function main(args: readonly string[], io: CliIo = stdio): Promise<number> {
  let code = 0;
  const program = new Command('spate')
    .description('Spark Structured Streaming semantics for Node.js: run and inspect streaming queries')
    .version(version, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(text) })
    .showHelpAfterError('(run spate --help for usage)');

  program.command('run')
    .description('run the queries (or cluster workers, ctx.startWorker) a module starts, as a long-lived worker')
    .argument('<module>', 'a JavaScript (or, with tsx installed, TypeScript) module')
    .option('-c, --config <file>', 'settings file: JSON, or spark-defaults.conf lines (key value)')
    .option('-s, --set <key=value>', 'a setting, overriding --config (repeatable)', collect, [])
    .addOption(new Option('--host <host>', 'address the HTTP server binds').default('127.0.0.1').env('SPATE_HOST'))
    .addOption(new Option('-p, --port <port>', 'HTTP port (0 picks a free one)').default(4040).argParser(port).env('SPATE_PORT'))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info').env('SPATE_LOG_LEVEL'))
    .addOption(new Option('--grace-period <duration>', 'how long SIGTERM waits for the batches in flight to commit').default(30_000, '30s').argParser(duration).env('SPATE_GRACE_PERIOD'))
    .addOption(new Option('--stall-timeout <duration>', 'a query with no commit and no idle trigger for this long is stalled').default(300_000, '5m').argParser(duration).env('SPATE_STALL_TIMEOUT'))
    .addOption(new Option('--stall-triggers <k>', '... or for k trigger intervals, if longer').default(3).argParser(positiveInt).env('SPATE_STALL_TRIGGERS'))
    .addOption(new Option('--stall-grace <duration>', 'how long a stall lasts before the process exits with code 3').default(60_000, '1m').argParser(duration).env('SPATE_STALL_GRACE'))
    .addOption(new Option('--progress-interval <duration>', 'how often each query\'s progress is logged (0: never)').default(30_000, '30s').argParser(duration).env('SPATE_PROGRESS_INTERVAL'))
    .addHelpText('after', RUN_EXAMPLES)
    .action(async (module: string, o: RunFlags) => { code = await run(module, o, io); });

  program.command('checkpoint')
    .description('read checkpoints')
    .command('inspect')
    .description('what a checkpoint holds: epochs, offsets, watermark, state rows and bytes')
    .argument('<location>', 'a checkpoint directory, or redis://[user:password@]host:port/db/prefix (rediss:// for TLS)')
    .option('--json', 'print the inspection as JSON instead of text')
    .action(async (location: string, o: { json?: boolean }) => { code = await inspect(location, o.json === true, io); });

  const state = program.command('state').description("read or rewrite one stateful operator's state in a checkpoint");
  state.command('inspect')
    .description("the rows of one operator's state after a committed batch (default: the last), read without disturbing a running query")
    .argument('<checkpoint>', 'a checkpoint directory or redis:// location')
    .requiredOption('--operator <name>', "the stateful operator's name (.named(...)) or id")
    .option('--key <json>', 'only the entries of this key, as JSON: "ABX", or ["ABX", 3] for several grouping columns')
    .option('--batch <n>', 'a committed batch id (default: the last)')
    .option('--json', 'print the rows as JSON')
    .action(async (location: string, o: { operator: string; key?: string; batch?: string; json?: boolean }) => {
      code = await inspectStateCommand(location, o, io);
    });
  state.command('migrate')
    .description("rewrite an operator's state at the last committed batch for a changed query (stop the query first)")
    .argument('<checkpoint>', 'a checkpoint directory or redis:// location')
    .requiredOption('--operator <name>', "the stateful operator's name (.named(...)) or id")
    .requiredOption('--to <module>', 'a module whose default export is { query(spark), defaults?, state? } (see the README)')
    .action(async (location: string, o: { operator: string; to: string }) => { code = await migrateStateCommand(location, o, io); });

  program.command('drain')
    .description('ask the daemon on this machine to stop its queries gracefully; returns once they stopped')
    .addOption(new Option('--host <host>', 'address of the daemon').default('127.0.0.1'))
    .addOption(new Option('-p, --port <port>', 'its HTTP port').default(4040).argParser(port).env('SPATE_PORT'))
    .action(async (o: { host: string; port: number }) => { code = await drain(o.host, o.port, io); });

  try {
    await program.parseAsync([...args], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : EXIT.usage;
    }
    throw e;
  }
}

interface RunFlags {
  readonly config?: string;
  readonly set: string[];
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly gracePeriod: number;
  readonly stallTimeout: number;
  readonly stallTriggers: number;
  readonly stallGrace: number;
  readonly progressInterval: number;
}

async function run(module: string, o: RunFlags, io: CliIo): Promise<number> {
  let settings: Map<string, string>;
  try {
    settings = o.config ? readConfigFile(o.config) : new Map();
    for (const s of o.set) settings.set(...parseSet(s));
  } catch (e) {
    io.err(`spate run: ${errorMessage(e)}\n`);
    return EXIT.usage;
  }
  const problems = checkSettings(settings);
  if (problems.length > 0) {
    io.err(problems.map((p) => `spate run: ${p}\n`).join(''));
    return EXIT.usage;
  }
  const log = daemonLogger(o.logLevel);
  // Warnings of the library and of Node become log lines instead of stderr text.
  process.removeAllListeners('warning');
  process.on('warning', (w) => log.warn({ warning: w.name }, w.message));
  const daemon = new Daemon({
    module, settings, host: o.host, port: o.port, gracePeriodMs: o.gracePeriod, progressIntervalMs: o.progressInterval,
    stallTimeoutMs: o.stallTimeout, stallTriggers: o.stallTriggers, stallGraceMs: o.stallGrace,
  }, log);
  try {
    return await daemon.run();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    log.error({ problem: e.message }, 'spate run stopped before running any query');
    io.err(`spate run: ${e.message}\n`);
    return EXIT.usage;
  }
}

async function inspect(location: string, json: boolean, io: CliIo): Promise<number> {
  try {
    const inspection = await inspectCheckpoint(location);
    io.out(json ? `${JSON.stringify(inspection, null, 2)}\n` : formatInspection(inspection));
    return 0;
  } catch (e) {
    io.err(`spate: ${errorMessage(e)}\n`);
    return 1;
  }
}

async function drain(host: string, port: number, io: CliIo): Promise<number> {
  try {
    const res = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${port}/drain`, { method: 'POST' });
    const body = await res.text();
    io.out(body);
    return res.ok && (JSON.parse(body) as { drained?: boolean }).drained === true ? 0 : 1;
  } catch (e) {
    io.err(`spate drain: no daemon answered on ${host}:${port}: ${errorMessage(e)}\n`);
    return 1;
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1.');
  return n;
}

function duration(value: string): number {
  try {
    return /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseDuration(value);
  } catch {
    throw new InvalidArgumentError("expected a duration such as 30s, 5m, '1 minute' (a bare number is seconds).");
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
