// `spate state inspect`: the rows of one stateful operator's state as of a committed batch,
// read without disturbing a query that is running on the checkpoint (no lock, nothing written
// or deleted; a state file its maintenance removes meanwhile is read again). Each entry is shown
// as a row named after the operator's fingerprint: an aggregation's grouping columns, window
// and accumulators; a deduplication's columns; a join's buffered rows; a key's GroupState.
import type { Row } from '../data/row.js';
import { CheckpointError } from '../errors.js';
import { NO_TIMESTAMP } from '../operators/group-state.js';
import { decodeKey } from '../operators/group-key.js';
import type { CheckpointBackend } from '../state/backend.js';
import { CheckpointLog } from '../state/checkpoint-log.js';
import type { OperatorFingerprint } from '../state/checkpoint-log.js';
import { readOperatorEntries } from '../state/operator-entries.js';
import { StateRepository } from '../state/state-repository.js';
import { fingerprintItems, itemName } from './compatibility.js';
import { openBackend } from './open-backend.js';

/** Which state {@link inspectOperatorState} reads. */
export interface OperatorStateRequest {
  /** The operator's id: its `.named()` name, or the positional id `spate checkpoint inspect` lists. */
  readonly operator: string;
  /** Only the entries of this key: one grouping value, or the list of several (JSON-like; times as ISO strings). */
  readonly key?: unknown;
  /** The committed batch to show the state after (default: the last committed). */
  readonly batch?: number;
}

/** One operator's state as rows, from {@link inspectOperatorState}. */
export interface OperatorStateRows {
  /** The checkpoint read. */
  readonly location: string;
  /** The operator's id, as requested. */
  readonly operator: string;
  /** What the operator is (aggregate, dropDuplicates, join, flatMapGroupsWithState…), if recorded. */
  readonly kind: string | null;
  /** The state is as it was after this committed batch. */
  readonly batch: number;
  /**
   * One row per state entry: an aggregation's grouping columns, window and each aggregate's
   * accumulator; a deduplication's columns and `expiresAt`; a join's `side`, `key`, buffered `row`
   * and `matched`; a GroupState's `key`, `state` and `timeoutTimestamp`.
   */
  readonly rows: Row[];
}

/**
 * The state of one stateful operator of the checkpoint at `location`, as rows, as of a committed
 * batch (what `spate state inspect` prints). Reads only, without taking the lock, so a running
 * query is not disturbed.
 *
 * @throws {@link CheckpointError} when there is no checkpoint at `location`, it has no operator of
 * that id (the message lists those it has), has no committed batch yet, or the batch is not
 * committed or no longer retained.
 * @example
 * ```ts
 * const { rows } = await inspectOperatorState('checkpoints/trades', { operator: 'trades-by-window' });
 * ```
 */
export async function inspectOperatorState(location: string, request: OperatorStateRequest): Promise<OperatorStateRows> {
  const backend = openBackend(location, { redisRetryTimeoutMs: 3000, redisLockTimeoutMs: 30_000, redisAllowEviction: true });
  try {
    return await readOperatorRows(backend, request);
  } finally {
    await backend.close();
  }
}

/** Resolves the batch and operator, reads the entries and shows them as rows. */
export async function readOperatorRows(backend: CheckpointBackend, request: OperatorStateRequest): Promise<OperatorStateRows> {
  const log = new CheckpointLog(backend);
  const repo = new StateRepository(backend);
  const { batch, fingerprint } = await committedOperator(log, repo, request.operator, request.batch);
  const entries = await readOperatorEntries(repo, request.operator, batch + 1);
  const view = viewOf(fingerprint);
  const wanted = request.key === undefined ? null : JSON.stringify(request.key);
  const rows: Row[] = [];
  for (const [store, partitions] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
    for (const values of partitions.values()) {
      for (const [key, value] of values) {
        for (const shown of view(store, key, value)) {
          if (wanted === null || JSON.stringify(shown.key) === wanted) rows.push(shown.row);
        }
      }
    }
  }
  return { location: backend.location, operator: request.operator, kind: fingerprint?.kind ?? null, batch, rows };
}

/**
 * The batch to read (the last committed unless asked, and still retained) and the operator's
 * fingerprint; errors name what exists instead.
 */
export async function committedOperator(
  log: CheckpointLog, repo: StateRepository, operator: string, batch?: number,
): Promise<{ batch: number; fingerprint: OperatorFingerprint | null }> {
  const location = log.backend.location;
  const meta = await log.readMetadata();
  const commits = await log.epochs('commits');
  if (!meta && commits.length === 0) {
    throw new CheckpointError(`there is no checkpoint at ${location} (no metadata and no commit log): check the location`);
  }
  const known = [...new Set([...Object.keys(meta?.operators ?? {}), ...(await repo.operators())])].sort();
  if (!known.includes(operator)) {
    throw new CheckpointError(
      `checkpoint ${location} has no stateful operator '${operator}': ${known.length ? `it has ${known.map((k) => `'${k}'`).join(', ')}` : 'it has none'}`,
    );
  }
  if (commits.length === 0) throw new CheckpointError(`checkpoint ${location} has no committed batch yet: its state is empty`);
  const last = commits[commits.length - 1]!;
  const chosen = batch ?? last;
  if (!commits.includes(chosen)) {
    throw new CheckpointError(
      chosen > last
        ? `batch ${chosen} is not committed in checkpoint ${location}: the last committed batch is ${last}`
        : `batch ${chosen} is no longer retained in checkpoint ${location}: it keeps batches ${commits[0]} to ${last} (spate.sql.streaming.minBatchesToRetain)`,
    );
  }
  return { batch: chosen, fingerprint: meta?.operators[operator] ?? null };
}

/** One state entry shown as rows, each with the key --key is matched against. */
type EntryView = (store: string, key: string, value: unknown) => { key: unknown; row: Row }[];

function viewOf(fp: OperatorFingerprint | null): EntryView {
  const p = fp?.properties ?? {};
  switch (fp?.kind) {
    case 'aggregate': return aggregateView(p, fp.names?.['aggregates']);
    case 'dropDuplicates': case 'dropDuplicatesWithinWatermark': {
      const columns = fingerprintItems(p['columns'] ?? '');
      return (_store, key, expiry) => {
        const values = decodeKey(key, columns.length);
        const row: Row = {};
        columns.forEach((c, i) => { row[c] = columns.length === 1 ? values : (values as unknown[])[i]; });
        row['expiresAt'] = typeof expiry === 'number' ? new Date(expiry) : null;
        return [{ key: values, row }];
      };
    }
    case 'join': {
      const keys = p['join keys'] === undefined || p['join keys'] === '(none)' ? 0 : p['join keys'].split(' AND ').length;
      return (store, key, buffered) => (buffered as { r: Row; m: boolean }[]).map((b) => {
        const k = decodeKey(key, keys);
        return { key: k, row: { side: store.startsWith('left') ? 'left' : 'right', key: k, row: b.r, matched: b.m } };
      });
    }
    case 'mapGroupsWithState': case 'flatMapGroupsWithState':
      return (_store, _key, entry) => {
        const e = entry as { k: unknown; s?: unknown; t: number };
        return [{ key: e.k, row: { key: e.k, state: e.s ?? null, timeoutTimestamp: e.t === NO_TIMESTAMP ? null : new Date(e.t) } }];
      };
    default:
      return (store, key, value) => [{ key, row: { store, key, value } }];
  }
}

/**
 * An aggregation's entry as its grouping columns, its window, and each aggregate's accumulator
 * (the value itself for count, sum, min, max, first, last) under its output column's name (or
 * its text, for checkpoints that do not record names). The key
 * is the grouping value (the list of them when several), or the window's start when the
 * aggregation groups by the window alone.
 */
function aggregateView(p: Readonly<Record<string, string>>, names: readonly string[] | undefined): EntryView {
  const keys = fingerprintItems(p['grouping keys'] ?? '').map(itemName);
  const aggregates = unique(names ?? fingerprintItems(p['aggregates'] ?? '').map(itemName));
  const windowMs = Number(/(\d+) ms, slide /.exec(p['window'] ?? '')?.[1] ?? NaN);
  return (_store, _key, entry) => {
    const e = entry as { k: unknown[]; w?: number | null; start?: number; end?: number; a: unknown[] };
    const row: Row = {};
    keys.forEach((k, i) => { row[k] = e.k[i]; });
    let window: { start: Date; end: Date } | null = null;
    if (typeof e.start === 'number' && typeof e.end === 'number') window = { start: new Date(e.start), end: new Date(e.end) };
    else if (typeof e.w === 'number' && Number.isFinite(windowMs)) window = { start: new Date(e.w), end: new Date(e.w + windowMs) };
    if (window) row['window'] = window;
    aggregates.forEach((a, j) => { row[a] = e.a[j]; });
    const key = keys.length === 0 ? window?.start ?? null : keys.length === 1 ? e.k[0] : e.k;
    return [{ key, row }];
  };
}

/** Labels made distinct: a repeated one gets ` #2`, ` #3`… */
function unique(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} #${n}`;
  });
}
