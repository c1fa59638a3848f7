// Chooses the checkpoint store from the checkpointLocation: none → in memory (console, memory
// and foreachBatch sinks only), `redis://` or `rediss://` → Redis, anything else → a local directory.
import type { CheckpointBackend } from '../state/backend.js';
import { LocalDirBackend } from '../state/local-backend.js';
import { MemoryBackend } from '../state/memory-backend.js';
import { AnalysisError } from '../errors.js';

export function openBackend(location: string | null): CheckpointBackend {
  if (location === null) return new MemoryBackend();
  if (/^rediss?:\/\//i.test(location)) {
    throw new AnalysisError(`checkpointLocation ${location}: the Redis store is not available in this build`);
  }
  return new LocalDirBackend(location);
}
