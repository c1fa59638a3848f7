// A checkpoint held in memory: used when a query has no checkpointLocation and its sink does
// not need one (console, memory, foreachBatch), as Spark uses a temporary directory.
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend } from './backend.js';

export class MemoryBackend implements CheckpointBackend {
  private readonly blobs = new Map<string, Buffer>();
  private owner: string | null = null;

  constructor(readonly location = '(in memory)') {}

  async read(path: string): Promise<Buffer | null> {
    return this.blobs.get(path) ?? null;
  }

  async write(path: string, data: Buffer | string): Promise<void> {
    this.blobs.set(path, Buffer.from(data));
  }

  async writeAll(writes: readonly BlobWrite[]): Promise<void> {
    for (const w of writes) this.blobs.set(w.path, Buffer.from(w.data));
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const p of this.blobs.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    return [...names];
  }

  async delete(paths: readonly string[]): Promise<void> {
    for (const p of paths) this.blobs.delete(p);
  }

  async acquire(runId: string): Promise<void> {
    if (this.owner && this.owner !== runId) {
      throw new CheckpointError(`checkpoint ${this.location} is in use by run ${this.owner}`);
    }
    this.owner = runId;
  }

  async release(runId: string): Promise<void> {
    if (this.owner === runId) this.owner = null;
  }

  async close(): Promise<void> {}
}
