// Reads a checkpoint without changing it (no lock taken, no file deleted), so it can be
// inspected while its query runs: the epochs in its logs, each source's offsets, the watermark,
// and every stateful operator with its rows and bytes as of the last commit.
import { CheckpointError } from '../errors.js';
import type { CheckpointBackend, LockHolder } from './backend.js';
import { CheckpointLog } from './checkpoint-log.js';
import type { OperatorFingerprint, SourceOffset } from './checkpoint-log.js';
import { packedDir } from './packed-state.js';
import type { StateFile } from './state-repository.js';
import { StateRepository, storeDir } from './state-repository.js';

/**
 * What a checkpoint holds, from {@link inspectCheckpoint} (and `spate checkpoint inspect`): the
 * query id, persisted settings, the run holding it, its epochs, each source's offsets, the
 * watermark and every stateful operator, as of the last commit.
 */
export interface CheckpointInspection {
  /** The checkpoint inspected, as given (a folder or a `redis://` URL). */
  readonly location: string;
  /** The query id, or null when the checkpoint has no metadata yet. */
  readonly queryId: string | null;
  /** Settings persisted with the checkpoint (shuffle partitions, watermark policy). */
  readonly conf: Readonly<Record<string, string>>;
  /** The live run holding the checkpoint, if the store can tell. */
  readonly activeRun: LockHolder | null;
  /** The epochs (batch ids) in the offset and commit logs. */
  readonly epochs: EpochsInspection;
  /** Each source of the query, in plan order, with its offsets. */
  readonly sources: readonly SourceInspection[];
  /** The watermark the next epoch runs with (ms since the epoch), null before the first commit. */
  readonly watermarkMs: number | null;
  /** The same as an ISO-8601 UTC time. */
  readonly watermark: string | null;
  /** Every stateful operator with state in the checkpoint, with its rows and bytes. */
  readonly stateOperators: readonly StateOperatorInspection[];
}

/** The epochs (batch ids) of a checkpoint's offset and commit logs ({@link CheckpointInspection.epochs}). */
export interface EpochsInspection {
  /** Epochs with an offset log entry (the retained ones), ascending. */
  readonly offsets: readonly number[];
  /** Epochs with a commit log entry, ascending. */
  readonly commits: readonly number[];
  /** The last committed epoch: the batch a restart goes on from (after it); null before the first commit. */
  readonly lastCommitted: number | null;
  /** Planned but uncommitted epochs: the next start re-runs them with their recorded offsets. */
  readonly uncommitted: readonly number[];
  /** The trigger time of the newest planned epoch (ms), null if none. */
  readonly lastBatchTimestampMs: number | null;
}

/** One source of a checkpointed query ({@link CheckpointInspection.sources}). */
export interface SourceInspection {
  /** The source's position in the query's plan, 0-based (its folder `sources/<index>` in the checkpoint). */
  readonly index: number;
  /** The source's format, when the checkpoint records it. */
  readonly format: string | null;
  /** The offset up to which the source's data is committed. */
  readonly committedOffset: SourceOffset;
  /** The end offset of the newest planned epoch, when it is not committed yet. */
  readonly plannedOffset?: SourceOffset;
}

/** One stateful operator of a checkpoint ({@link CheckpointInspection.stateOperators}). */
export interface StateOperatorInspection {
  /** The operator's id: its `.named()` name, or a positional id; what {@link inspectOperatorState} takes. */
  readonly id: string;
  /** What the operator is (aggregate, dropDuplicates, join …) and its fingerprint, if recorded. */
  readonly kind: string | null;
  /**
   * What must match when the query restarts, as recorded: e.g. an aggregation's `grouping keys`,
   * `window` and `aggregates`; a join's `join type` and `join keys`; a GroupState's `timeout`.
   */
  readonly properties: Readonly<Record<string, string>>;
  /** The state version of the last commit (the number of committed epochs). */
  readonly version: number;
  /** The shuffle partitions the operator's state is split into. */
  readonly partitions: number;
  /** The rows (keys) of state as of the last commit, over all partitions and stores. */
  readonly rows: number;
  /** Bytes of all the operator's state files in the store (every retained version). */
  readonly bytes: number;
  /** The state files kept for the operator (snapshots and deltas of every retained version). */
  readonly files: number;
  /** The operator's state stores (`default`; a stream-stream join has one per side). */
  readonly stores: readonly StoreInspection[];
}

/** One state store of an operator, over all its partitions ({@link StateOperatorInspection.stores}). */
export interface StoreInspection {
  /** The store's name: `default`, or a join side's (`left-keyToRows`, `right-keyToRows`). */
  readonly name: string;
  /** The keys in the store as of the last commit. */
  readonly rows: number;
  /** Bytes of the store's files (every retained version). */
  readonly bytes: number;
  /** The store's files: snapshots plus deltas. */
  readonly files: number;
  /** Files that hold a whole version of the state. */
  readonly snapshots: number;
  /** Files that hold one version's changes over the previous one. */
  readonly deltas: number;
}

export async function inspectBackend(backend: CheckpointBackend): Promise<CheckpointInspection> {
  const log = new CheckpointLog(backend);
  const repo = new StateRepository(backend);
  const meta = await log.readMetadata();
  const offsets = await log.epochs('offsets');
  const commits = await log.epochs('commits');
  if (!meta && offsets.length === 0 && commits.length === 0) {
    throw new CheckpointError(`there is no checkpoint at ${backend.location} (no metadata and no offset log): check the location`);
  }
  const lastCommitted = commits.length ? commits[commits.length - 1]! : null;
  const latest = offsets.length ? offsets[offsets.length - 1]! : null;
  const committedEntry = lastCommitted === null ? null : await log.readOffsets(lastCommitted);
  const commit = lastCommitted === null ? null : await log.readCommit(lastCommitted);
  const latestEntry = latest === null ? null : latest === lastCommitted ? committedEntry : await log.readOffsets(latest);
  const watermarkMs = committedEntry ? Math.max(committedEntry.batchWatermarkMs, commit?.nextBatchWatermarkMs ?? 0) : null;

  const sourceCount = Math.max(meta?.sources?.length ?? 0, committedEntry?.sources.length ?? 0, latestEntry?.sources.length ?? 0);
  const initial = await Promise.all(Array.from({ length: sourceCount }, async (_, i) => {
    const raw = await backend.read(`sources/${i}/initial`);
    return raw ? (JSON.parse(raw.toString('utf8')) as SourceOffset) : null;
  }));
  const sources: SourceInspection[] = Array.from({ length: sourceCount }, (_, i) => ({
    index: i,
    format: meta?.sources?.[i] ?? null,
    committedOffset: committedEntry ? committedEntry.sources[i] ?? null : initial[i] ?? null,
    ...(latestEntry && latest !== lastCommitted ? { plannedOffset: latestEntry.sources[i] ?? null } : {}),
  }));

  const version = lastCommitted === null ? 0 : lastCommitted + 1;
  const operatorIds = [...new Set([...Object.keys(meta?.operators ?? {}), ...(await repo.operators())])];
  const stateOperators = await Promise.all(operatorIds.map((id) => inspectOperator(repo, id, meta?.operators[id] ?? null, version)));

  return {
    location: backend.location,
    queryId: meta?.id ?? null,
    conf: meta?.conf ?? {},
    activeRun: backend.lockHolder ? await backend.lockHolder() : null,
    epochs: {
      offsets,
      commits,
      lastCommitted,
      uncommitted: offsets.filter((e) => lastCommitted === null || e > lastCommitted),
      lastBatchTimestampMs: latestEntry?.batchTimestampMs ?? null,
    },
    sources,
    watermarkMs,
    watermark: watermarkMs === null ? null : new Date(watermarkMs).toISOString(),
    stateOperators,
  };
}

async function inspectOperator(repo: StateRepository, id: string, fingerprint: OperatorFingerprint | null, version: number): Promise<StateOperatorInspection> {
  const dirs = await repo.partitions(id);
  const names = new Set(await repo.packedStores(id));
  for (const p of dirs) for (const store of await repo.stores(id, p)) names.add(store);
  const partitions = new Set(dirs);
  const stores = await Promise.all([...names].map(async (name) => ({ name, ...await inspectStore(repo, id, dirs, name, version, partitions) })));
  const storeList = stores.sort((a, b) => a.name.localeCompare(b.name));
  return {
    id,
    kind: fingerprint?.kind ?? null,
    properties: fingerprint?.properties ?? {},
    version,
    partitions: partitions.size,
    rows: storeList.reduce((n, s) => n + s.rows, 0),
    bytes: storeList.reduce((n, s) => n + s.bytes, 0),
    files: storeList.reduce((n, s) => n + s.files, 0),
    stores: storeList,
  };
}

/**
 * One store over its partitions' own files and its packed ones; `partitions` gathers the
 * partitions that hold entries. A file deleted meanwhile by the running query's maintenance
 * means: look again.
 */
async function inspectStore(
  repo: StateRepository, id: string, dirs: readonly number[], store: string, version: number, partitions: Set<number>,
): Promise<Omit<StoreInspection, 'name'>> {
  for (let attempt = 0; ; attempt++) {
    try {
      const folders: Array<{ dir: string; files: StateFile[] }> = await Promise.all(dirs.map(async (p) => ({ dir: storeDir(id, p, store), files: await repo.files(id, p, store) })));
      folders.push({ dir: packedDir(id, store), files: await repo.packedFiles(id, store) });
      const keys = new Set<string>();
      let readBytes = 0;
      if (version > 0) {
        ({ bytes: readBytes } = await repo.restore(id, store, version, (ks, vs, p) => {
          partitions.add(p);
          for (let i = 0; i < ks.length; i++) {
            if (vs[i] === undefined) keys.delete(ks[i]!);
            else keys.add(ks[i]!);
          }
        }, { readOnly: true }));
      }
      let bytes = 0;
      if (repo.backend.sizes) {
        for (const { dir, files } of folders) {
          if (files.length === 0) continue;
          const sizes = await repo.backend.sizes(dir);
          bytes += files.reduce((n, f) => n + (sizes.get(f.name) ?? 0), 0);
        }
      } else {
        bytes = readBytes;
      }
      const files = folders.flatMap((f) => f.files);
      return {
        rows: keys.size,
        bytes,
        files: files.length,
        snapshots: files.filter((f) => f.kind === 'snapshot').length,
        deltas: files.filter((f) => f.kind === 'delta').length,
      };
    } catch (e) {
      if (!(e instanceof CheckpointError && e.retriable) || attempt >= 3) throw e;
    }
  }
}
