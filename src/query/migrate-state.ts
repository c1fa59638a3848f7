// `spate state migrate`: rewrites one stateful operator's state, as of the last committed batch,
// so that a changed query can resume where a restart would refuse it (compatibility.ts):
//   - a renamed grouping column (same types, same order): the state is unchanged, only its
//     recorded fingerprint moves on;
//   - aggregates added (or removed) in an aggregation: each group's accumulators are reordered,
//     an added one starting from a given default or empty, a removed one dropped;
//   - the state schema of (flat)mapGroupsWithState: each key's state is mapped by a user function.
// Anything else is refused with what changed. The query must be stopped: the checkpoint's lock
// is taken for the rewrite.
//
// Crash safety: the state being replaced is first copied to a backup folder, the metadata then
// marks the migration as under way (a query refuses to start while it is), the new state is
// written as a snapshot of the committed version (which restores prefer to the deltas before
// it), and the metadata records the migration and the operator's new fingerprint in one write.
// A migration interrupted after the mark is rolled back from the backup by the next run of the
// command, which then does it again.
import { randomUUID } from 'node:crypto';
import { CheckpointError } from '../errors.js';
import type { AggregateNode, GroupStateNode, LogicalPlan } from '../plan/logical.js';
import { statefulOperatorIds } from '../plan/physical.js';
import { NO_TIMESTAMP } from '../operators/group-state.js';
import type { BlobWrite, CheckpointBackend } from '../state/backend.js';
import { CheckpointLog } from '../state/checkpoint-log.js';
import type { CheckpointMetadata, MigrationRecord, OperatorFingerprint } from '../state/checkpoint-log.js';
import { readOperatorEntries } from '../state/operator-entries.js';
import { StateRepository, decodeEntries, encodeEntries, storeDir } from '../state/state-repository.js';
import { fingerprintItems, fingerprints, itemName } from './compatibility.js';
import { committedOperator } from './inspect-operator.js';
import { openBackend } from './open-backend.js';

export interface MigrationRequest {
  /** The operator's id: its `.named()` name. */
  readonly operator: string;
  /** The plan of the changed query (what it will write). */
  readonly plan: LogicalPlan;
  /** Aggregates added: the accumulator existing groups start from, by output column name or aggregate text. */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /** (flat)mapGroupsWithState: a key's new state from its old one (undefined removes it). */
  readonly state?: (old: unknown, key: unknown) => unknown;
}

/** What a migration does to each entry of each store: the new value, or undefined to drop it. */
type EntryTransform = (store: string, value: unknown) => unknown;

interface MigrationPlan {
  readonly changes: string[];
  readonly transform: EntryTransform;
}

export async function migrateOperatorState(location: string, request: MigrationRequest): Promise<MigrationRecord> {
  const backend = openBackend(location, { redisRetryTimeoutMs: 10_000, redisLockTimeoutMs: 30_000 });
  try {
    return await migrateBackend(backend, request);
  } finally {
    await backend.close();
  }
}

/** The migration on an open checkpoint store (tests give a store that fails on purpose). */
export async function migrateBackend(backend: CheckpointBackend, request: MigrationRequest, now = new Date()): Promise<MigrationRecord> {
  const runId = `migrate-${randomUUID()}`;
  try {
    await backend.acquire(runId);
  } catch (e) {
    throw new CheckpointError(`spate state migrate needs the query stopped: ${(e as Error).message}`, { cause: e });
  }
  try {
    const log = new CheckpointLog(backend);
    const repo = new StateRepository(backend);
    let meta = await log.readMetadata();
    if (meta?.migrating) meta = await rollBack(backend, log, meta);
    const { batch, fingerprint: from } = await committedOperator(log, repo, request.operator);
    if (!meta || !from) throw new CheckpointError(`checkpoint ${backend.location} records no fingerprint for operator '${request.operator}': it cannot be migrated`);
    const { node, fingerprint: to } = operatorOf(request.plan, request.operator);
    const plan = planMigration(request, from, to, node);

    const version = batch + 1;
    const entries = await readOperatorEntries(repo, request.operator, version);
    const backup = `migrations/backup/${request.operator}`;
    const backups: BlobWrite[] = [];
    const snapshots: BlobWrite[] = [];
    for (const [store, partitions] of entries) {
      for (const [partition, values] of partitions) {
        backups.push({ path: `${backup}/${partition}/${store}`, data: encodeEntries({ keys: [...values.keys()], values: [...values.values()] }) });
        const keys: string[] = [];
        const migrated: unknown[] = [];
        for (const [key, value] of values) {
          const v = plan.transform(store, value);
          if (v !== undefined) { keys.push(key); migrated.push(v); }
        }
        snapshots.push({ path: `${storeDir(request.operator, partition, store)}/${version}.snapshot`, data: encodeEntries({ keys, values: migrated }) });
      }
    }
    await backend.writeAll(backups);
    await log.writeMetadata({ ...meta, migrating: { operator: request.operator, version, backup } });
    await backend.writeAll(snapshots);
    const record: MigrationRecord = { operator: request.operator, batch, at: now.toISOString(), changes: plan.changes, from, to };
    await log.writeMetadata({ ...meta, operators: { ...meta.operators, [request.operator]: to }, migrations: [...(meta.migrations ?? []), record] });
    await backend.delete(backups.map((b) => b.path));
    return record;
  } finally {
    await backend.release(runId).catch(() => undefined);
  }
}

/** Puts back the state an interrupted migration started from, and clears its mark. */
async function rollBack(backend: CheckpointBackend, log: CheckpointLog, meta: CheckpointMetadata): Promise<CheckpointMetadata> {
  const pending = meta.migrating!;
  const writes: BlobWrite[] = [];
  for (const partition of await backend.list(pending.backup)) {
    for (const store of await backend.list(`${pending.backup}/${partition}`)) {
      const path = `${pending.backup}/${partition}/${store}`;
      const raw = await backend.read(path);
      if (!raw) continue;
      decodeEntries(raw, backend.location, path); // a damaged backup is reported, never restored
      writes.push({ path: `${storeDir(pending.operator, Number(partition), store)}/${pending.version}.snapshot`, data: raw });
    }
  }
  await backend.writeAll(writes);
  const { migrating: _gone, ...rest } = meta;
  await log.writeMetadata(rest);
  return rest;
}

function operatorOf(plan: LogicalPlan, operator: string): { node: LogicalPlan; fingerprint: OperatorFingerprint } {
  // Which operators keep state depends on the output mode only for a streaming limit (kept in
  // append mode), which migrations do not address; append mode names every other one the same.
  const ids = statefulOperatorIds(plan, 'append');
  const node = [...ids].find(([, id]) => id === operator)?.[0];
  if (!node) {
    const names = [...ids.values()];
    throw new CheckpointError(
      `the changed query has no stateful operator '${operator}' (it has ${names.length ? names.map((n) => `'${n}'`).join(', ') : 'none'}): ` +
      `name the operator whose state is migrated with .named('${operator}')`,
    );
  }
  return { node, fingerprint: fingerprints(plan, 'append')[operator]! };
}

/** What changed between the fingerprints, and how each entry is rewritten; refuses what cannot be migrated. */
export function planMigration(request: MigrationRequest, from: OperatorFingerprint, to: OperatorFingerprint, node: LogicalPlan): MigrationPlan {
  const what = `operator '${request.operator}'`;
  if (from.kind !== to.kind) throw new CheckpointError(`${what} was ${from.kind} and is now ${to.kind}: its state cannot be migrated`);
  const changed = Object.keys(from.properties).filter((p) => from.properties[p] !== to.properties[p]);
  if (changed.length === 0) throw new CheckpointError(`${what}'s state already matches the changed query: there is nothing to migrate`);
  const unsupported = (prop: string): CheckpointError => new CheckpointError(
    `${what} (${from.kind}) changed its ${prop} from [${from.properties[prop]}] to [${to.properties[prop] ?? '(none)'}]: ` +
    'spate state migrate converts renamed grouping columns, added or removed aggregates, and a changed state schema of (flat)mapGroupsWithState, not this',
  );
  if (node.k === 'aggregate') {
    const changes: string[] = [];
    let accumulators: ((a: readonly unknown[]) => unknown[]) | null = null;
    for (const prop of changed) {
      if (prop === 'grouping keys') {
        const renamed = renamedKeys(what, from.properties[prop]!, to.properties[prop]!);
        if (renamed === null) throw unsupported(prop);
        changes.push(renamed);
      } else if (prop === 'aggregates') {
        const c = aggregateChanges(request, from, to, node);
        changes.push(...c.changes);
        accumulators = c.map;
      } else throw unsupported(prop);
    }
    const map = accumulators;
    // Time-window and session entries alike keep their accumulators in `a`.
    return { changes, transform: (_store, v) => (map === null ? v : { ...(v as { a: unknown[] }), a: map((v as { a: unknown[] }).a) }) };
  }
  if (node.k === 'groupState') {
    for (const prop of changed) if (prop !== 'state schema') throw unsupported(prop);
    return stateSchemaChange(request, from, to, node);
  }
  throw unsupported(changed[0]!);
}

/** The same grouping key types in the same order under other names: a rename. */
function renamedKeys(what: string, was: string, is: string): string | null {
  const before = fingerprintItems(was);
  const after = fingerprintItems(is);
  const typeOf = (item: string): string => item.slice(itemName(item).length);
  if (before.length !== after.length || before.some((b, i) => typeOf(b) !== typeOf(after[i]!))) return null;
  const renames = before.map((b, i) => [itemName(b), itemName(after[i]!)] as const).filter(([a, b]) => a !== b);
  return `${what}: grouping column${renames.length === 1 ? '' : 's'} renamed: ${renames.map(([a, b]) => `${a} → ${b}`).join(', ')}`;
}

/**
 * The accumulators of a group under the new aggregates: an unchanged aggregate keeps its
 * accumulator, an added one starts from its default (or empty), a removed one is dropped. An
 * aggregate whose text stays but whose type changed cannot be converted.
 */
function aggregateChanges(request: MigrationRequest, from: OperatorFingerprint, to: OperatorFingerprint, node: AggregateNode): { changes: string[]; map: (a: readonly unknown[]) => unknown[] } {
  const what = `operator '${request.operator}'`;
  const before = fingerprintItems(from.properties['aggregates'] ?? '');
  const after = fingerprintItems(to.properties['aggregates'] ?? '');
  if (after.length !== node.aggregates.length) throw new Error(`internal: cannot read the aggregates of ${what} from [${to.properties['aggregates']}]`);
  const used = new Set<number>();
  const changes: string[] = [];
  const sources = after.map((item, j) => {
    const i = before.findIndex((b, n) => !used.has(n) && b === item);
    if (i >= 0) {
      used.add(i);
      return { kind: 'kept' as const, index: i };
    }
    const sameText = before.find((b) => itemName(b) === itemName(item));
    if (sameText !== undefined) {
      throw new CheckpointError(`${what}: aggregate ${itemName(item)} changed its type (it was [${sameText}] and is now [${item}]): its accumulators cannot be converted`);
    }
    const call = node.aggregates[j]!;
    const name = to.names?.['aggregates']?.[j];
    const given = [name, itemName(item)].find((n) => n !== undefined && request.defaults?.[n] !== undefined);
    changes.push(`${what}: aggregate ${itemName(item)}${name && name !== itemName(item) ? ` (${name})` : ''} added, existing groups starting from ${given === undefined ? 'empty' : `the default ${JSON.stringify(request.defaults![given])}`}`);
    return given === undefined
      ? { kind: 'added' as const, init: () => call.fn.init() }
      : { kind: 'added' as const, init: () => structuredClone(request.defaults![given]) };
  });
  before.forEach((b, i) => { if (!used.has(i)) changes.push(`${what}: aggregate ${itemName(b)} removed, its accumulators dropped`); });
  return { changes, map: (a) => sources.map((s) => (s.kind === 'kept' ? a[s.index] : s.init())) };
}

function stateSchemaChange(request: MigrationRequest, from: OperatorFingerprint, to: OperatorFingerprint, _node: GroupStateNode): MigrationPlan {
  const fn = request.state;
  const was = from.properties['state schema'];
  const is = to.properties['state schema'];
  if (!fn) {
    throw new CheckpointError(
      `operator '${request.operator}' changed its state schema from [${was}] to [${is ?? '(none)'}]: ` +
      'give the migration a state(old, key) function that returns the new state of a key from its old one',
    );
  }
  return {
    changes: [`operator '${request.operator}': state schema changed from [${was}] to [${is ?? '(none)'}], each key's state mapped by the migration's state function`],
    transform: (_store, v) => {
      const e = v as { k: unknown; s?: unknown; t: number };
      if (e.s === undefined) return e;
      const s = fn(e.s, e.k);
      if (s !== undefined) return { k: e.k, s, t: e.t };
      // Its state removed: a key with a timeout still waits for it, as after state.remove().
      return e.t === NO_TIMESTAMP ? undefined : { k: e.k, t: e.t };
    },
  };
}
