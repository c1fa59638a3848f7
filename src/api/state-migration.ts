// What a module given to `spate state migrate <checkpoint> --operator <name> --to <module>`
// exports, and the call that runs it: the changed query is built (never started) on a session
// of its own, and the operator's state is rewritten to match it (query/migrate-state.ts).
import type { MigrationRecord } from '../state/checkpoint-log.js';
import { migrateOperatorState } from '../query/migrate-state.js';
import type { DataFrame } from './dataframe.js';
import { Session } from './session.js';

/** The module's default export (or its export named `migration`); `Old` is the shape of a GroupState's old value. */
export interface StateMigration<Old = unknown> {
  /** The changed query: the streaming DataFrame it writes, built on `spark` (not started). */
  query(spark: Session): DataFrame;
  /**
   * Aggregates added to an aggregation: the accumulator existing groups start from (the value
   * itself for count, sum, min, max, first, last), by output column name or by the aggregate's
   * text as the checkpoint records it (`max(amount)`). Without one an added aggregate starts
   * empty, as if the group had seen no row.
   */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /**
   * (flat)mapGroupsWithState with a changed state schema: a key's new state from its old one;
   * undefined removes the key's state.
   */
  state?(old: Old, key: unknown): unknown;
}

/**
 * Rewrites the state of `operator` in the checkpoint at `location` for the query `migration`
 * builds (on `spark`, or on a new session).
 */
export async function migrateState<Old>(location: string, operator: string, migration: StateMigration<Old>, spark?: Session): Promise<MigrationRecord> {
  if (typeof migration?.query !== 'function') {
    throw new TypeError('a state migration needs query(spark), returning the changed query\'s DataFrame (before writeStream)');
  }
  const df = migration.query(spark ?? Session.builder().appName(`spate state migrate ${operator}`).create());
  if (!df || !df.isStreaming) throw new TypeError('the migration\'s query(spark) must return the streaming DataFrame the changed query writes');
  return migrateOperatorState(location, {
    operator,
    plan: df.plan,
    ...(migration.defaults ? { defaults: migration.defaults } : {}),
    ...(migration.state ? { state: (old: unknown, key: unknown) => migration.state!(old as Old, key) } : {}),
  });
}
