// inspectCheckpoint(location): what a checkpoint holds, read without disturbing a running query.
import type { CheckpointInspection } from '../state/inspect.js';
import { inspectBackend } from '../state/inspect.js';
import { openBackend } from './open-backend.js';

export async function inspectCheckpoint(location: string): Promise<CheckpointInspection> {
  const backend = openBackend(location, { redisRetryTimeoutMs: 3000, redisLockTimeoutMs: 30_000, redisAllowEviction: true });
  try {
    return await inspectBackend(backend);
  } finally {
    await backend.close();
  }
}
