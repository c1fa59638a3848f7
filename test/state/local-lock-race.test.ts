// Many runs taking one local checkpoint's lock at the same instant, round after round: exactly
// one gets it every time, also when a stale lock of a dead process is there to be taken over.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LocalDirBackend } from '../../src/state/local-backend.js';

const PROCESSES = 6;
const ROUNDS = 60;

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  next(): Promise<Record<string, unknown>>;
  send(v: unknown): void;
}

function startChild(): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/lock-race-child.ts'], { cwd: process.cwd(), stdio: 'pipe' });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    proc,
    async next() {
      const r = await lines.next();
      if (r.done) throw new Error('a lock race child exited early');
      return JSON.parse(r.value) as Record<string, unknown>;
    },
    send(v) { proc.stdin.write(`${JSON.stringify(v)}\n`); },
  };
}

describe('the local checkpoint lock', () => {
  let dir: string;
  const children: Child[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spate-lock-race-'));
    for (let i = 0; i < PROCESSES; i++) children.push(startChild());
  });
  afterAll(async () => {
    for (const c of children) {
      c.send({ cmd: 'exit' });
      c.proc.stdin.end();
    }
    await Promise.all(children.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.once('exit', r)))));
    await rm(dir, { recursive: true, force: true });
  });

  it(`goes to exactly one of ${PROCESSES} processes starting at one instant, in each of ${ROUNDS} rounds, stale lock or not`, async () => {
    // The pid of a process that has exited: a lock naming it on this host is stale.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    for (let round = 0; round < ROUNDS; round++) {
      const cp = join(dir, `cp-${round}`);
      if (round % 2 === 1) {
        await mkdir(cp, { recursive: true });
        await writeFile(join(cp, '.lock-1'), JSON.stringify({ runId: 'dead-run', host: hostname(), pid: Number(deadPid), sinceMs: 0 }));
      }
      // Every child waits on its stdin: the commands go out back to back.
      children.forEach((c, i) => c.send({ cmd: 'acquire', dir: cp, runId: `run-${round}-${i}` }));
      const answers = await Promise.all(children.map((c) => c.next()));
      const won = answers.flatMap((a, i) => (a['ok'] ? [i] : []));
      expect({ round, won: won.length }).toEqual({ round, won: 1 });
      for (const a of answers) if (!a['ok']) expect(a['error']).toMatch(/is in use by run run-\d+-\d+/);
      const holder = await new LocalDirBackend(cp).lockHolder();
      expect(holder?.runId).toBe(`run-${round}-${won[0]}`);
      children.forEach((c) => c.send({ cmd: 'release' }));
      await Promise.all(children.map((c) => c.next()));
    }
  });
});
