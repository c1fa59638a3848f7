// A worker thread's view of the query's checkpoint: reads, listings and deletes go to the
// driver, which owns the one connection to the store (a directory, Redis, or memory for a
// query without a checkpointLocation). A thread restores its key groups' state through it;
// it never writes: its state deltas go to the driver with its end-of-epoch report and are
// written there, with the commit marker, in one transaction.
import type { BlobWrite, CheckpointBackend } from '../../state/backend.js';

export type BackendRequest = (op: 'read' | 'list' | 'delete' | 'checkFence', args: unknown) => Promise<unknown>;

export class RemoteBackend implements CheckpointBackend {
  constructor(readonly location: string, private readonly request: BackendRequest) {}

  async read(path: string): Promise<Buffer | null> {
    const data = (await this.request('read', path)) as Uint8Array | null;
    return data === null ? null : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  async list(dir: string): Promise<string[]> {
    return (await this.request('list', dir)) as string[];
  }

  async delete(paths: readonly string[]): Promise<void> {
    await this.request('delete', paths);
  }

  /** Whether the run still holds the checkpoint, as the driver's connection knows it. */
  async checkFence(): Promise<void> {
    await this.request('checkFence', null);
  }

  write(path: string): Promise<void> {
    return Promise.reject(new Error(`internal: a worker thread wrote ${path}; state goes to the driver with the epoch's report`));
  }

  writeAll(writes: readonly BlobWrite[]): Promise<void> {
    return Promise.reject(new Error(`internal: a worker thread wrote ${writes.length} blobs; state goes to the driver with the epoch's report`));
  }

  async acquire(): Promise<void> {}
  async release(): Promise<void> {}
  async close(): Promise<void> {}
}
