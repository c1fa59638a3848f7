// cleanSource: once a batch is committed its files are archived (moved under sourceArchiveDir,
// keeping their path relative to the source folder) or deleted. Best effort, as in Spark: a file
// already gone is skipped, and a failure is reported without failing the query.
import { copyFile, mkdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { CleanSource } from './options.js';

export interface CleanResult {
  readonly cleaned: number;
  readonly failed: readonly { readonly path: string; readonly error: string }[];
}

export async function cleanFiles(files: readonly string[], mode: CleanSource, base: string, archiveDir: string | null): Promise<CleanResult> {
  let cleaned = 0;
  const failed: { path: string; error: string }[] = [];
  for (const file of files) {
    try {
      if (mode === 'delete') await unlink(file);
      else if (mode === 'archive' && archiveDir) await archive(file, join(archiveDir, relative(base, file)));
      cleaned++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') failed.push({ path: file, error: (e as Error).message });
    }
  }
  return { cleaned, failed };
}

async function archive(from: string, to: string): Promise<void> {
  if (!(await exists(from))) return; // cleaned before a restart
  await mkdir(dirname(to), { recursive: true });
  if (await exists(to)) throw new Error(`archive target ${to} already exists; the file stays in the source folder`);
  try {
    await rename(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    await copyFile(from, to);
    await unlink(from);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
