// inspectCheckpoint(location): what a checkpoint holds, read without disturbing a running query.
import type { CheckpointInspection } from '../state/inspect.js';
import { inspectBackend } from '../state/inspect.js';
import { openBackend } from './open-backend.js';

/**
 * What the checkpoint at `location` holds (what `spate checkpoint inspect` prints): the query id,
 * persisted settings, the epochs of its offset and commit logs, each source's committed offset, the
 * watermark, and every stateful operator with its rows and bytes as of the last commit. Reads
 * only, without taking the lock, so a running query is not disturbed.
 *
 * @param location A folder path or `redis://host:port/db/prefix`, as given to checkpointLocation.
 * @throws {@link CheckpointError} when there is no checkpoint at `location`, or it cannot be read.
 * @example
 * ```ts
 * const cp = await inspectCheckpoint('checkpoints/trades');
 * console.log(cp.epochs.lastCommitted, cp.watermark, cp.stateOperators.map((o) => [o.id, o.rows]));
 * ```
 */
export async function inspectCheckpoint(location: string): Promise<CheckpointInspection> {
  const backend = openBackend(location, { redisRetryTimeoutMs: 3000, redisLockTimeoutMs: 30_000, redisAllowEviction: true });
  try {
    return await inspectBackend(backend);
  } finally {
    await backend.close();
  }
}
