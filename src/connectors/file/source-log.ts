// The file source's log in the checkpoint: `sources/<i>/<batchId>` lists the files of each batch,
// written before the batch's offsets, so a replay reads exactly the same files and a restart
// knows every file already taken.
import type { CheckpointBackend } from '../../state/backend.js';
import { CheckpointError } from '../../errors.js';
import type { FileStatus } from './listing.js';

export class FileSourceLog {
  constructor(private readonly backend: CheckpointBackend, private readonly dir: string) {}

  async write(batchId: number, files: readonly FileStatus[]): Promise<void> {
    await this.backend.write(`${this.dir}/${batchId}`, files.map((f) => JSON.stringify(f)).join('\n'));
  }

  async read(batchId: number): Promise<FileStatus[]> {
    const raw = await this.backend.read(`${this.dir}/${batchId}`);
    if (!raw) {
      throw new CheckpointError(
        `checkpoint ${this.backend.location} has no file list for batch ${batchId} of the file source (${this.dir}/${batchId}); ` +
        'the checkpoint is incomplete: restore it or start with a new checkpointLocation',
      );
    }
    const text = raw.toString('utf8');
    return text === '' ? [] : text.split('\n').map((l) => JSON.parse(l) as FileStatus);
  }

  /** Batch ids logged, ascending (the `initial` offset blob is not a batch). */
  async batchIds(): Promise<number[]> {
    return (await this.backend.list(this.dir)).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }
}
