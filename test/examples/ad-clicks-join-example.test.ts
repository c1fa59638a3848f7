import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '..', '..');

describe('examples/ad-clicks-join.ts (the notes\' stream-stream join, as written)', () => {
  it('prints the clicked impressions joined, then the unclicked one null-padded in a later batch', () => {
    const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const run = spawnSync(process.execPath, ['--import', tsx, join(root, 'examples', 'ad-clicks-join.ts')], {
      cwd: root, env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') }, encoding: 'utf8', timeout: 50000,
    });
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const batches = run.stdout.split(/Batch: \d+/).slice(1);
    const firstWithA = batches.findIndex((b) => /\|A\s+\|2024-03-01 10:00:00\|A\s+\|2024-03-01 10:20:00\|/.test(b));
    const firstWithB = batches.findIndex((b) => /\|B\s+\|2024-03-01 10:05:00\|null\s*\|null\s*\|/.test(b));
    expect(firstWithA).toBeGreaterThanOrEqual(0);
    expect(firstWithB).toBeGreaterThan(firstWithA);
    expect(run.stdout).toMatch(/\|C\s+\|2024-03-01 11:30:00\|C\s+\|2024-03-01 11:40:00\|/);
  }, 300_000);
});
