// `spate state inspect` and `spate state migrate`: argument parsing and printing only; the work
// is inspectOperatorState (query/inspect-operator.ts) and migrateState (api/state-migration.ts),
// so any command-line parser can mount these two functions.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StateMigration } from '../api/state-migration.js';
import { migrateState } from '../api/state-migration.js';
import { formatRows } from '../connectors/console/format-table.js';
import { errorMessage } from '../errors.js';
import { NULL, fieldOf, structOf } from '../expr/types.js';
import type { OperatorStateRows } from '../query/inspect-operator.js';
import { inspectOperatorState } from '../query/inspect-operator.js';
import type { MigrationRecord } from '../state/checkpoint-log.js';
import type { CliIo } from './cli.js';
import { UsageError } from './settings.js';

/** Options of `spate state inspect`, as the command line gives them. */
export interface StateInspectFlags {
  readonly operator: string;
  readonly key?: string;
  readonly batch?: string;
  readonly json?: boolean;
}

/** `spate state inspect <checkpoint>`: resolves to the exit code (2: a bad flag value, 1: the inspection failed). */
export async function inspectStateCommand(location: string, flags: StateInspectFlags, io: CliIo): Promise<number> {
  return reportErrors(io, async () => {
    let key: unknown;
    if (flags.key !== undefined) {
      try {
        key = JSON.parse(flags.key);
      } catch {
        throw new UsageError(`--key must be JSON, e.g. --key '"ABX"' or --key '["ABX", 3]'; got ${flags.key}`);
      }
    }
    const batch = flags.batch === undefined ? undefined : Number(flags.batch);
    if (batch !== undefined && !(Number.isInteger(batch) && batch >= 0)) throw new UsageError(`--batch must be a batch id (0, 1, …), got ${flags.batch}`);
    const result = await inspectOperatorState(location, {
      operator: flags.operator, ...(flags.key !== undefined ? { key } : {}), ...(batch !== undefined ? { batch } : {}),
    });
    io.out(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatOperatorState(result));
    return 0;
  });
}

/** `spate state migrate <checkpoint> --operator <name> --to <module>`: resolves to the exit code. */
export async function migrateStateCommand(location: string, flags: { readonly operator: string; readonly to: string }, io: CliIo): Promise<number> {
  return reportErrors(io, async () => {
    const loaded = await import(pathToFileURL(resolve(flags.to)).href) as { default?: unknown; migration?: unknown };
    const migration = (loaded.migration ?? loaded.default) as StateMigration | undefined;
    if (!migration || typeof migration.query !== 'function') {
      throw new UsageError(`${flags.to} must export a migration (default export or 'migration'): { query(spark), defaults?, state? }`);
    }
    io.out(formatMigration(await migrateState(location, flags.operator, migration)));
    return 0;
  });
}

/** One line for a failure: exit 2 for a usage error, 1 for anything else. */
async function reportErrors(io: CliIo, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (e) {
    io.err(`spate: ${errorMessage(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

export function formatOperatorState(s: OperatorStateRows): string {
  const head = `Operator ${s.operator}${s.kind ? ` (${s.kind})` : ''} of checkpoint ${s.location}, after batch ${s.batch}: ` +
    `${s.rows.length.toLocaleString('en-US')} row${s.rows.length === 1 ? '' : 's'}\n`;
  if (s.rows.length === 0) return head;
  const columns = [...new Set(s.rows.flatMap((r) => Object.keys(r)))];
  // The rows' own values, untyped: each cell as Spark writes a value of unknown type.
  return head + formatRows(structOf(columns.map((c) => fieldOf(c, NULL))), s.rows, 0);
}

export function formatMigration(m: MigrationRecord): string {
  return `Migrated the state of operator ${m.operator} as of batch ${m.batch}:\n${m.changes.map((c) => `  - ${c}\n`).join('')}`;
}
