// Chooses the checkpoint store from the checkpointLocation: none → in memory (console, memory
// and foreachBatch sinks only), `redis://` or `rediss://` → Redis, anything else → a local directory.
import type { CheckpointBackend } from '../state/backend.js';
import { LocalDirBackend } from '../state/local-backend.js';
import { MemoryBackend } from '../state/memory-backend.js';
import { RedisBackend } from '../state/redis-backend.js';
import { isRedisLocation, parseRedisLocation } from '../state/redis-location.js';
import type { QueryConf } from './conf.js';

export interface BackendSettings {
  readonly redisRetryTimeoutMs: number;
  readonly redisLockTimeoutMs: number;
  /** Run on a Redis that may evict keys, with a warning (default: refused). */
  readonly redisAllowEviction?: boolean;
}

export const DEFAULT_BACKEND_SETTINGS: BackendSettings = { redisRetryTimeoutMs: 10_000, redisLockTimeoutMs: 30_000, redisAllowEviction: false };

export function backendSettings(conf: QueryConf): BackendSettings {
  return { redisRetryTimeoutMs: conf.redisRetryTimeoutMs, redisLockTimeoutMs: conf.redisLockTimeoutMs, redisAllowEviction: conf.redisAllowEviction };
}

export function openBackend(location: string | null, settings: BackendSettings = DEFAULT_BACKEND_SETTINGS): CheckpointBackend {
  if (location === null) return new MemoryBackend();
  if (isRedisLocation(location)) {
    return new RedisBackend(parseRedisLocation(location), {
      retryTimeoutMs: settings.redisRetryTimeoutMs,
      lockTimeoutMs: settings.redisLockTimeoutMs,
      allowEviction: settings.redisAllowEviction ?? false,
    });
  }
  return new LocalDirBackend(location);
}
