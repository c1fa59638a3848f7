// The file sink's manifest log, `<output>/_spate_metadata/<batchId>` (Spark's _spark_metadata):
// one entry per committed epoch listing the files it wrote, written atomically after the files.
// Readers that honour it see only committed files; a replayed epoch whose entry exists is skipped.
import { randomUUID } from 'node:crypto';
import { link, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '../../errors.js';
import { LocalDirBackend } from '../../state/local-backend.js';
import type { FileStatus } from './listing.js';
import { pathError } from './listing.js';

export const MANIFEST_DIR = '_spate_metadata';
const VERSION = 'v1';

export interface ManifestEntry {
  /** Path relative to the output folder, with `/` separators. */
  readonly path: string;
  readonly size: number;
  readonly batchId: number;
}

export class ManifestLog {
  private readonly store: LocalDirBackend;

  constructor(readonly outputDir: string) {
    this.store = new LocalDirBackend(join(outputDir, MANIFEST_DIR));
  }

  /** Committed batch ids, ascending. */
  async batchIds(): Promise<number[]> {
    return (await this.store.list('')).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
  }

  async latestBatchId(): Promise<number> {
    const ids = await this.batchIds();
    return ids.length ? ids[ids.length - 1]! : -1;
  }

  async entries(batchId: number): Promise<ManifestEntry[]> {
    const raw = await this.store.read(String(batchId));
    if (!raw) return [];
    const [version, ...lines] = raw.toString('utf8').split('\n');
    if (version !== VERSION) {
      throw new CheckpointError(`file sink manifest ${join(this.outputDir, MANIFEST_DIR, String(batchId))} is corrupt (expected '${VERSION}' on its first line); remove the output folder or restore it`);
    }
    return lines.filter((l) => l !== '').map((l) => JSON.parse(l) as ManifestEntry);
  }

  async allEntries(): Promise<ManifestEntry[]> {
    const out: ManifestEntry[] = [];
    for (const id of await this.batchIds()) out.push(...(await this.entries(id)));
    return out;
  }

  /**
   * Records the batch's files, appearing whole or not at all; returns false, writing nothing,
   * when the batch already has an entry (written by another run): an entry is never replaced.
   */
  async commit(batchId: number, files: readonly ManifestEntry[]): Promise<boolean> {
    const dir = join(this.outputDir, MANIFEST_DIR);
    const target = join(dir, String(batchId));
    const tmp = join(dir, `.${batchId}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(tmp, [VERSION, ...files.map((f) => JSON.stringify(f))].join('\n'));
      await link(tmp, target);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw pathError('file sink cannot write its manifest entry', target, e);
    } finally {
      await rm(tmp, { force: true });
    }
  }
}

export async function hasManifest(dir: string): Promise<boolean> {
  try {
    return (await stat(join(dir, MANIFEST_DIR))).isDirectory();
  } catch {
    return false;
  }
}

/** The committed files of a file sink's output folder (files removed since are skipped). */
export async function readManifestFiles(dir: string): Promise<FileStatus[]> {
  const out: FileStatus[] = [];
  for (const e of await new ManifestLog(dir).allEntries()) {
    const path = join(dir, ...e.path.split('/'));
    try {
      const s = await stat(path);
      out.push({ path, mtimeMs: s.mtimeMs, size: s.size });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}
