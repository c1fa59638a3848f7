// `npm start` runs the main job exactly as a fresh clone would: twice in a row against the same
// work folder, each time exiting 0 and printing the word counts.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

function npmStart(workdir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, SPATE_MAIN_WORKDIR: workdir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

describe('npm start (the main job)', () => {
  let work: string;
  beforeAll(async () => { work = await mkdtemp(join(tmpdir(), 'spate-main-')); });
  afterAll(async () => { await rm(work, { recursive: true, force: true }); });

  it('counts the bundled files two per batch, archives them, prints the totals and exits 0 — and again on a second run', async () => {
    const first = await npmStart(work);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Batch: 0');
    expect(first.out).toMatch(/\|\s*word\|count\|/);
    expect(first.out).toMatch(/Word count finished: 6 files of run-\S+ read in 3 micro-batches \(12 lines, batches 0, 1, 2\)/);
    expect(first.out).toMatch(/Top words after 1 run \(\d+ distinct\): the 15, /);

    const second = await npmStart(work);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/read in 3 micro-batches \(12 lines, batches 3, 4, 5\)/);
    expect(second.out).toMatch(/Top words after 2 runs \(\d+ distinct\): the 30, /);

    const runs = await readdir(join(work, 'archive'));
    expect(runs.length).toBe(2);
    for (const r of runs) expect((await readdir(join(work, 'archive', r))).length).toBe(6);
    for (const r of await readdir(join(work, 'input'))) expect(await readdir(join(work, 'input', r))).toEqual([]);
  });
});
