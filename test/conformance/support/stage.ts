// Stages a case's input for both engines: one JSON-lines file per micro-batch with strictly
// increasing modification times (Spark's file source orders files by modification time only and,
// with maxFilesPerTrigger=1, reads one per batch), written before either query starts.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from '../../../src/index.js';

/** A fixed origin for modification times: the file source compares them with each other only. */
const FIRST_MTIME_MS = Date.UTC(2024, 0, 1);

export interface Workspace {
  readonly root: string;
  path(...parts: string[]): string;
  remove(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'spate-conformance-'));
  return { root, path: (...parts) => join(root, ...parts), remove: () => rm(root, { recursive: true, force: true }) };
}

/** Writes each batch as one file in `dir`, the i-th modified i seconds after the first. */
export async function stageBatches(dir: string, batches: readonly (readonly Row[])[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [i, rows] of batches.entries()) {
    const file = join(dir, `part-${String(i).padStart(5, '0')}.json`);
    await writeFile(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
    const mtime = new Date(FIRST_MTIME_MS + i * 1000);
    await utimes(file, mtime, mtime);
  }
}
