// `spate state inspect` and `spate state migrate`: argument parsing and printing only; the work
// is inspectOperatorState (query/inspect-operator.ts) and migrateState (api/state-migration.ts),
// so any command-line parser can mount these two functions.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StateMigration } from '../api/state-migration.js';
import { migrateState } from '../api/state-migration.js';
import { formatRows } from '../connectors/console/format-table.js';
import { errorMessage } from '../errors.js';
import type { OperatorStateRows } from '../query/inspect-operator.js';
import { inspectOperatorState } from '../query/inspect-operator.js';
import type { MigrationRecord } from '../state/checkpoint-log.js';
import type { CliIo } from './cli.js';

export const STATE_USAGE = `usage: spate state inspect <checkpoint> --operator <name> [--key <json>] [--batch N] [--json]
       spate state migrate <checkpoint> --operator <name> --to <module>

  inspect   the rows of one stateful operator's state after a committed batch (default: the last),
            read without disturbing a query running on the checkpoint
            --key     only the entries of this key, as JSON: "ABX", or ["ABX", 3] for several grouping columns
  migrate   rewrites the operator's state at the last committed batch for a changed query (stop the query first)
            --to      a module whose default export is { query(spark), defaults?, state? } (see the README)
`;

interface Parsed {
  readonly words: string[];
  readonly flags: Map<string, string | true>;
}

const VALUED = new Set(['--operator', '--key', '--batch', '--to']);

function parse(args: readonly string[]): Parsed {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) { words.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq < 0 ? a : a.slice(0, eq);
    if (!VALUED.has(name)) { flags.set(name, true); continue; }
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${name} needs a value`);
    flags.set(name, value);
  }
  return { words, flags };
}

class UsageError extends Error {}

/** Runs `spate state …` with the arguments after `state`; resolves to the exit code. */
export async function stateCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(args);
    const [sub, location, ...extra] = parsed.words;
    const allowed = sub === 'inspect' ? ['--operator', '--key', '--batch', '--json'] : sub === 'migrate' ? ['--operator', '--to'] : [];
    if (allowed.length === 0) throw new UsageError(sub === undefined ? 'which state command? inspect or migrate' : `unknown command 'state ${sub}'`);
    if (location === undefined || extra.length) throw new UsageError(location === undefined ? 'give the checkpoint location' : `unexpected '${extra[0]}'`);
    const unknown = [...parsed.flags.keys()].find((f) => !allowed.includes(f));
    if (unknown) throw new UsageError(`unknown option ${unknown} for state ${sub}`);
    const operator = parsed.flags.get('--operator');
    if (typeof operator !== 'string') throw new UsageError('--operator <name> is required');
    if (sub === 'inspect') return await inspect(location, operator, parsed.flags, io);
    const to = parsed.flags.get('--to');
    if (typeof to !== 'string') throw new UsageError('--to <module> is required');
    return await migrate(location, operator, to, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`spate: ${e.message}\n${STATE_USAGE}`);
      return 2;
    }
    io.err(`spate: ${errorMessage(e)}\n`);
    return 1;
  }
}

async function inspect(location: string, operator: string, flags: Map<string, string | true>, io: CliIo): Promise<number> {
  const rawKey = flags.get('--key');
  let key: unknown;
  if (typeof rawKey === 'string') {
    try {
      key = JSON.parse(rawKey);
    } catch {
      throw new UsageError(`--key must be JSON, e.g. --key '"ABX"' or --key '["ABX", 3]'; got ${rawKey}`);
    }
  }
  const rawBatch = flags.get('--batch');
  const batch = typeof rawBatch === 'string' ? Number(rawBatch) : undefined;
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 0)) throw new UsageError(`--batch must be a batch id (0, 1, …), got ${String(rawBatch)}`);
  const result = await inspectOperatorState(location, {
    operator, ...(rawKey !== undefined ? { key } : {}), ...(batch !== undefined ? { batch } : {}),
  });
  io.out(flags.has('--json') ? `${JSON.stringify(result, null, 2)}\n` : formatOperatorState(result));
  return 0;
}

export function formatOperatorState(s: OperatorStateRows): string {
  const head = `Operator ${s.operator}${s.kind ? ` (${s.kind})` : ''} of checkpoint ${s.location}, after batch ${s.batch}: ` +
    `${s.rows.length.toLocaleString('en-US')} row${s.rows.length === 1 ? '' : 's'}\n`;
  if (s.rows.length === 0) return head;
  const columns = [...new Set(s.rows.flatMap((r) => Object.keys(r)))];
  return head + formatRows(columns, s.rows, 0);
}

async function migrate(location: string, operator: string, modulePath: string, io: CliIo): Promise<number> {
  const loaded = await import(pathToFileURL(resolve(modulePath)).href) as { default?: unknown; migration?: unknown };
  const migration = (loaded.migration ?? loaded.default) as StateMigration | undefined;
  if (!migration || typeof migration.query !== 'function') {
    throw new UsageError(`${modulePath} must export a migration (default export or 'migration'): { query(spark), defaults?, state? }`);
  }
  io.out(formatMigration(await migrateState(location, operator, migration)));
  return 0;
}

export function formatMigration(m: MigrationRecord): string {
  return `Migrated the state of operator ${m.operator} as of batch ${m.batch}:\n${m.changes.map((c) => `  - ${c}\n`).join('')}`;
}
