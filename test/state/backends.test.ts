// The blob-store contract, for each store: the memory store, a local directory and Redis.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError } from '../../src/errors.js';
import { openBackend } from '../../src/query/open-backend.js';
import type { CheckpointBackend } from '../../src/state/backend.js';
import { MemoryBackend } from '../../src/state/memory-backend.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';

interface StoreCase {
  readonly name: string;
  open(): { backend: CheckpointBackend; location: string };
  cleanup(): Promise<void>;
}

const dirs: string[] = [];
const prefixes: string[] = [];
const stores: StoreCase[] = [
  {
    name: 'a local directory',
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), 'spate-backend-'));
      dirs.push(dir);
      const location = join(dir, 'cp');
      return { backend: openBackend(location), location };
    },
    cleanup: async () => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); },
  },
  {
    name: 'Redis',
    open: () => {
      const prefix = `backend-${randomUUID()}`;
      prefixes.push(prefix);
      const location = `${process.env.REDIS_URL}/0/${prefix}`;
      return { backend: openBackend(location), location };
    },
    cleanup: async () => { for (const p of prefixes.splice(0)) await deleteRedisPrefix(process.env.REDIS_URL!, p); },
  },
];

describe.each(stores)('the checkpoint store in $name', (store) => {
  const open: CheckpointBackend[] = [];
  const openStore = (): { backend: CheckpointBackend; location: string } => {
    const s = store.open();
    open.push(s.backend);
    return s;
  };
  afterEach(async () => {
    for (const b of open.splice(0)) await b.close();
    await store.cleanup();
  });

  it('reads back what it wrote, lists files and directories, and deletes', async () => {
    const { backend } = openStore();
    await backend.acquire('run-1');
    expect(await backend.read('metadata')).toBeNull();
    await backend.write('metadata', '{"id":"x"}');
    await backend.writeAll([
      { path: 'state/agg/0/default/1.delta', data: Buffer.from([1, 2, 3]) },
      { path: 'state/agg/1/default/1.delta', data: Buffer.from([4]) },
      { path: 'commits/0', data: 'v1\n{}' },
    ]);
    expect((await backend.read('metadata'))!.toString()).toBe('{"id":"x"}');
    expect([...(await backend.read('state/agg/0/default/1.delta'))!]).toEqual([1, 2, 3]);
    expect((await backend.list('')).sort()).toEqual(['commits', 'metadata', 'state']);
    expect((await backend.list('state/agg')).sort()).toEqual(['0', '1']);
    expect(await backend.list('state/agg/0/default')).toEqual(['1.delta']);
    expect(await backend.list('nothing/here')).toEqual([]);
    expect(await backend.sizes!('state/agg/0/default')).toEqual(new Map([['1.delta', 3]]));
    await backend.delete(['state/agg/0/default/1.delta', 'state/agg/0/default/never-written']);
    expect(await backend.read('state/agg/0/default/1.delta')).toBeNull();
    expect(await backend.list('state/agg/0/default')).toEqual([]);
    await backend.release('run-1');
  });

  it('refuses a second live run, naming the run that holds the checkpoint and what to do', async () => {
    const first = openStore();
    const second = { backend: openBackend(first.location) };
    open.push(second.backend);
    await first.backend.acquire('run-A');
    const refused = second.backend.acquire('run-B');
    await expect(refused).rejects.toThrow(CheckpointError);
    await expect(second.backend.acquire('run-B')).rejects.toThrow(
      new RegExp(`checkpoint ${first.location.replace(/[/.]/g, '\\$&')} is in use by run run-A \\(process ${process.pid}.*two live runs cannot share a checkpoint; stop the other run, or use another checkpointLocation`),
    );
    expect(await first.backend.lockHolder!()).toMatchObject({ runId: 'run-A', pid: process.pid });
    await first.backend.release('run-A');
    await second.backend.acquire('run-B');
    expect(await second.backend.lockHolder!()).toMatchObject({ runId: 'run-B' });
    await second.backend.release('run-B');
  });
});

describe('the in-memory store', () => {
  it('refuses a second live run too', async () => {
    const b = new MemoryBackend();
    await b.acquire('run-A');
    await expect(b.acquire('run-B')).rejects.toThrow(/in use by run run-A: two live runs cannot share a checkpoint/);
  });
});

describe('the local directory store after a crash', () => {
  it('drops temporary files of a process that died mid-write, and keeps those of live ones', async () => {
    const { writeFileSync, readdirSync, mkdirSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'spate-tmpfiles-'));
    try {
      const location = join(dir, 'cp');
      mkdirSync(join(location, 'offsets'), { recursive: true });
      // pid 2^22 + 1 is above Linux's pid_max limit: no such process.
      writeFileSync(join(location, 'offsets', `7.${2 ** 22 + 1}-0badc0de.tmp`), 'half');
      writeFileSync(join(location, 'offsets', `8.${process.pid}-0badc0de.tmp`), 'in progress');
      writeFileSync(join(location, 'offsets', '6'), 'v1');
      const backend = openBackend(location);
      expect(await backend.list('offsets')).toEqual(['6']);
      expect(readdirSync(join(location, 'offsets')).sort()).toEqual(['6', `8.${process.pid}-0badc0de.tmp`]);
      await backend.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
