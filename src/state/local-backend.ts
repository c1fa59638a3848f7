// The embedded default: a checkpoint in a local directory, laid out as Spark's
// (metadata, offsets/N, commits/N, sources/, state/). Each blob is written to a temporary file
// and renamed into place, so a crash never leaves a half-written file under its real name.
//
// The live-run lock is a file holding the run id, host and process id, written whole to a
// temporary file and hard-linked into place, so a reader never sees it half-written. Lock files
// are numbered generations and the newest holds the lock: a run claims generation n + 1 when
// generation n is free (released) or stale (its process, on this host, is dead), and link fails
// if that generation exists, so exactly one of many runs starting at one instant gets it. No
// run ever deletes the newest lock of another (a released lock gets a newer "released"
// generation; superseded ones are removed by the next holder). Each commit and each sink's
// publication checks the lock is still this run's (checkFence).
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CheckpointError, ConnectorError, errorMessage } from '../errors.js';
import type { BlobWrite, CheckpointBackend, LockHolder } from './backend.js';
import { processAlive } from './process-alive.js';

/** Lock files are generations `.lock-1`, `.lock-2`...: the newest one holds the lock. */
const LOCK_PREFIX = '.lock-';
const LOCK_NAME = /^\.lock-(\d+)$/;

/** A lock of a dead process of this machine; one of another host is never judged stale from here. */
function isStale(holder: LockHolder): boolean {
  return holder.host === hostname() && holder.pid !== undefined && !processAlive(holder.pid);
}

function parseLock(text: string | null): LockHolder | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as LockHolder;
    return typeof v === 'object' && v !== null && typeof v.runId === 'string' ? v : null;
  } catch {
    return null;
  }
}

export class LocalDirBackend implements CheckpointBackend {
  /** Each blob is a file (an open, a write, a rename, a close): an epoch's state goes in one per store. */
  readonly packsState = true;
  private readonly root: string;
  private readonly knownDirs = new Set<string>();
  /** The lock this backend acquired for a run, between acquire and release. */
  private held: { readonly runId: string; readonly generation: number } | null = null;

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
    const tmp = `${target}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`;
    try {
      await this.ensureDir(dirname(target));
      await writeFile(tmp, data);
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code;
      // Node names no path for some failures (ENOSPC during a write): the message does.
      throw code ? new ConnectorError(`cannot write checkpoint file ${target}: ${errorMessage(e)}`, { cause: e, retriable: code === 'ENOSPC' || code === 'EDQUOT' }) : e;
    }
  }

  async writeAll(writes: readonly BlobWrite[]): Promise<void> {
    // All but the last in parallel; the last (the commit marker) only once they are in place,
    // and only while this run still holds the checkpoint.
    const last = writes[writes.length - 1];
    await Promise.all(writes.slice(0, -1).map((w) => this.write(w.path, w.data)));
    if (last) {
      await this.checkFence();
      await this.write(last.path, last.data);
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, dir));
      const stale = names.filter((n) => n.endsWith('.tmp') && !processAlive(Number(/\.(\d+)-[0-9a-f]+\.tmp$/.exec(n)?.[1] ?? process.pid)));
      // A temporary file of a process that died mid-write (SIGKILL) is never renamed: drop it.
      if (stale.length) await Promise.all(stale.map((n) => rm(join(this.root, dir, n), { force: true })));
      return names.filter((n) => !n.endsWith('.tmp') && !LOCK_NAME.test(n));
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
    const mine = JSON.stringify({ runId, host: hostname(), pid: process.pid, sinceMs: Date.now() });
    const tmp = join(this.root, `.lock.${process.pid}-${randomUUID().slice(0, 8)}.tmp`);
    await writeFile(tmp, mine);
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        const top = await this.newestLock();
        if (top && !top.released) {
          if (top.holder?.runId === runId) {
            this.held = { runId, generation: top.generation };
            return;
          }
          if (!top.holder || !isStale(top.holder)) throw this.inUse(top.holder, top.text);
        }
        // Free, released or stale: claim the next generation. Only one run can create it.
        const generation = (top?.generation ?? 0) + 1;
        try {
          await link(tmp, this.lockPath(generation));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw e;
        }
        // A run that read an old generation may have re-created a lower, already removed one:
        // only the newest generation holds the lock.
        if ((await this.newestLock())?.generation !== generation) {
          await rm(this.lockPath(generation), { force: true });
          continue;
        }
        this.held = { runId, generation };
        await this.removeLocksBelow(generation);
        return;
      }
      throw new CheckpointError(`could not lock checkpoint ${this.location}: its lock kept changing hands; try again`, { retriable: true });
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async release(runId: string): Promise<void> {
    const held = this.held;
    if (held?.runId !== runId) return;
    this.held = null;
    // A released marker as the next generation keeps generations increasing (a run that read
    // an old one can never claim a number that wins); then this run's lock goes.
    const marker = join(this.root, `.lock.${process.pid}-${randomUUID().slice(0, 8)}.tmp`);
    await writeFile(marker, JSON.stringify({ released: true, runId }));
    try {
      await link(marker, this.lockPath(held.generation + 1));
      await rm(this.lockPath(held.generation), { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // taken over meanwhile: not ours to touch
    } finally {
      await rm(marker, { force: true });
    }
  }

  /** Throws unless the newest lock is still the one this run acquired through this backend. */
  async checkFence(): Promise<void> {
    const held = this.held;
    if (held === null) return; // not a live run (inspection, the file sink's manifest)
    const top = await this.newestLock();
    if (top?.generation === held.generation && top.holder?.runId === held.runId) return;
    const other = top && !top.released ? top.holder : null;
    throw new CheckpointError(
      `run ${held.runId} no longer holds checkpoint ${this.location}` +
      `${other ? `: run ${other.runId} (process ${other.pid ?? '?'}${other.host ? ` on ${other.host}` : ''}) took it over` : ': its lock is gone'}; ` +
      'it stops without publishing, so that two runs never write one checkpoint. Restart it once the other run has stopped',
    );
  }

  private inUse(holder: LockHolder | null, text: string): CheckpointError {
    if (!holder) {
      return new CheckpointError(
        `checkpoint ${this.location} has a lock file that cannot be read (${JSON.stringify(text.slice(0, 80))}); ` +
        `if no run uses this checkpoint, delete the ${LOCK_PREFIX}* files in it and start again`,
      );
    }
    const where = `process ${holder.pid ?? '?'}${holder.host ? ` on ${holder.host}` : ''}`;
    const remote = holder.host !== undefined && holder.host !== hostname();
    return new CheckpointError(
      `checkpoint ${this.location} is in use by run ${holder.runId} (${where}): two live runs cannot share a checkpoint; ` +
      'stop the other run, or use another checkpointLocation' +
      (remote ? `. That run is on another host, so whether it still runs cannot be checked from here: if it is dead, delete the ${LOCK_PREFIX}* files in the checkpoint` : ''),
    );
  }

  /** The newest lock generation, read whole; null when there is none. */
  private async newestLock(): Promise<{ generation: number; text: string; holder: LockHolder | null; released: boolean } | null> {
    for (;;) {
      const generations = await this.lockGenerations();
      if (generations.length === 0) return null;
      const generation = generations[generations.length - 1]!;
      let text: string;
      try {
        text = await readFile(this.lockPath(generation), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed as superseded: look again
        throw e;
      }
      const released = /"released":true/.test(text);
      return { generation, text, holder: released ? null : parseLock(text), released };
    }
  }

  private async lockGenerations(): Promise<number[]> {
    const names = await readdir(this.root).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    return names.flatMap((n) => {
      const m = LOCK_NAME.exec(n);
      return m ? [Number(m[1])] : [];
    }).sort((a, b) => a - b);
  }

  private async removeLocksBelow(generation: number): Promise<void> {
    const old = (await this.lockGenerations()).filter((g) => g < generation);
    await Promise.all(old.map((g) => rm(this.lockPath(g), { force: true })));
  }

  private lockPath(generation: number): string {
    return join(this.root, `${LOCK_PREFIX}${generation}`);
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

  /** The run holding the lock, if its process is alive (or on another host, where that cannot be told). */
  async lockHolder(): Promise<LockHolder | null> {
    const top = await this.newestLock();
    return top?.holder && !isStale(top.holder) ? top.holder : null;
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.knownDirs.add(dir);
  }
}
