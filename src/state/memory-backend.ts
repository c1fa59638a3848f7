// A checkpoint held in memory: used when a query has no checkpointLocation and its sink does
// not need one (console, memory, foreachBatch), as Spark uses a temporary directory.
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend, LockHolder } from './backend.js';

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
    const prefix = dirPrefix(dir);
    const names = new Set<string>();
    for (const p of this.blobs.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
    return [...names];
  }

  async delete(paths: readonly string[]): Promise<void> {
    for (const p of paths) this.blobs.delete(p);
  }

  async acquire(runId: string): Promise<void> {
    if (this.owner && this.owner !== runId) {
      throw new CheckpointError(
        `checkpoint ${this.location} is in use by run ${this.owner}: two live runs cannot share a checkpoint; stop the other run, or use another checkpointLocation`,
      );
    }
    this.owner = runId;
  }

  async release(runId: string): Promise<void> {
    if (this.owner === runId) this.owner = null;
  }

  /** One process holds an in-memory checkpoint: nothing can take it over. */
  async checkFence(): Promise<void> {}

  async close(): Promise<void> {}

  async sizes(dir: string): Promise<Map<string, number>> {
    const prefix = dirPrefix(dir);
    const out = new Map<string, number>();
    for (const [p, b] of this.blobs) if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/')) out.set(p.slice(prefix.length), b.length);
    return out;
  }

  async lockHolder(): Promise<LockHolder | null> {
    return this.owner ? { runId: this.owner, pid: process.pid } : null;
  }
}

function dirPrefix(dir: string): string {
  return dir === '' || dir.endsWith('/') ? dir : `${dir}/`;
}
