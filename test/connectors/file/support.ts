// Temporary folders and files with chosen modification times, for the file connector tests.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TempDir {
  readonly root: string;
  path(...parts: string[]): string;
  /** Writes a file whose modification time is `second` seconds after a fixed origin. */
  file(relative: string, content: string, second?: number): Promise<string>;
  remove(): Promise<void>;
}

const ORIGIN = Date.UTC(2024, 0, 1) / 1000;

export async function tempDir(): Promise<TempDir> {
  const root = await mkdtemp(join(tmpdir(), 'spate-file-'));
  return {
    root,
    path: (...parts) => join(root, ...parts),
    async file(relative, content, second = 0) {
      const p = join(root, relative);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
      await utimes(p, ORIGIN + second, ORIGIN + second);
      return p;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
