// The embedded default: a checkpoint in a local directory, laid out as Spark's
// (metadata, offsets/N, commits/N, sources/, state/). Each blob is written to a temporary file
// and renamed into place, so a crash never leaves a half-written file under its real name.
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend, LockHolder } from './backend.js';
import { processAlive } from './process-alive.js';

const LOCK_FILE = '.lock';

export class LocalDirBackend implements CheckpointBackend {
  private readonly root: string;
  private readonly knownDirs = new Set<string>();

  constructor(readonly location: string) {
    this.root = resolve(location);
  }

  async read(path: string): Promise<Buffer | null> {
    try {
      return await readFile(join(this.root, path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async write(path: string, data: Buffer | string): Promise<void> {
    const target = join(this.root, path);
    await this.ensureDir(dirname(target));
    const tmp = `${target}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, target);
  }

  async writeAll(writes: readonly BlobWrite[]): Promise<void> {
    // All but the last in parallel; the last (the commit marker) only once they are in place,
    // and atomically. The others are written in place, without a temporary file and a rename
    // (two file operations fewer each): until the marker is written they belong to a version no
    // reader uses, and the recovery of an uncommitted run deletes every file above the committed
    // version before it reads, so a file torn by a crash is never read.
    const last = writes[writes.length - 1];
    await Promise.all(writes.slice(0, -1).map(async (w) => {
      const target = join(this.root, w.path);
      await this.ensureDir(dirname(target));
      await writeFile(target, w.data);
    }));
    if (last) await this.write(last.path, last.data);
  }

  async list(dir: string): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, dir));
      const stale = names.filter((n) => n.endsWith('.tmp') && !processAlive(Number(/\.(\d+)-[0-9a-f]+\.tmp$/.exec(n)?.[1] ?? process.pid)));
      // A temporary file of a process that died mid-write (SIGKILL) is never renamed: drop it.
      if (stale.length) await Promise.all(stale.map((n) => rm(join(this.root, dir, n), { force: true })));
      return names.filter((n) => !n.endsWith('.tmp') && n !== LOCK_FILE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async delete(paths: readonly string[]): Promise<void> {
    await Promise.all(paths.map(async (p) => {
      try {
        await unlink(join(this.root, p));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }));
  }

  async acquire(runId: string): Promise<void> {
    await this.ensureDir(this.root);
    const lock = join(this.root, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(JSON.stringify({ runId, host: hostname(), pid: process.pid, sinceMs: Date.now() }));
        await fh.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = await this.readLock(lock);
        if (holder && holder.runId !== runId && holder.pid !== undefined && processAlive(holder.pid)) {
          throw new CheckpointError(
            `checkpoint ${this.location} is in use by run ${holder.runId} (process ${holder.pid}${holder.host ? ` on ${holder.host}` : ''}): ` +
            'two live runs cannot share a checkpoint; stop the other run, or use another checkpointLocation',
          );
        }
        await rm(lock, { force: true }); // left by a process that died
      }
    }
    throw new CheckpointError(`could not lock checkpoint ${this.location}`);
  }

  async release(runId: string): Promise<void> {
    const lock = join(this.root, LOCK_FILE);
    const holder = await this.readLock(lock);
    if (holder?.runId === runId) await rm(lock, { force: true });
  }

  async close(): Promise<void> {}

  async sizes(dir: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    await Promise.all((await this.list(dir)).map(async (name) => {
      try {
        const s = await stat(join(this.root, dir, name));
        if (s.isFile()) out.set(name, s.size);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }));
    return out;
  }

  /** The run holding the lock, if its process is alive. */
  async lockHolder(): Promise<LockHolder | null> {
    const holder = await this.readLock(join(this.root, LOCK_FILE));
    return holder && holder.pid !== undefined && processAlive(holder.pid) ? holder : null;
  }

  private async readLock(lock: string): Promise<LockHolder | null> {
    try {
      const v = JSON.parse(await readFile(lock, 'utf8')) as LockHolder;
      return typeof v.runId === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}
