// The live page in headless Chromium (Debian's chromium through playwright-core): it loads, its
// charts get data points that grow as batches run, and a screenshot is saved under
// .spate-tmp/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { DaemonProcess } from './daemon-process.js';
import { spawnSpate } from './daemon-process.js';

const CHROMIUM = process.env['SPATE_CHROMIUM'] ?? '/usr/bin/chromium';
const SHOTS = join(__dirname, '..', '..', '.spate-tmp', 'screenshots');

type ChartData = Record<string, { series: string[]; points: number }>;

describe('the live page', () => {
  let daemon: DaemonProcess | null = null;
  let browser: BrowserContext | null = null;
  const profile = mkdtempSync(join(tmpdir(), 'spate-chromium-'));
  afterEach(async () => {
    await browser?.close();
    await daemon?.stop();
  });
  afterAll(() => rmSync(profile, { recursive: true, force: true }));

  it('shows each query with charts whose points grow as batches run', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set SPATE_CHROMIUM)`);
    daemon = spawnSpate(['run', 'test/daemon/fixtures/rate-counts.ts', '--port', '0', '--progress-interval', '0']);
    const url = await daemon.url;
    // A fresh profile directory (--user-data-dir) for this run.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 1100 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForSelector('#query-rate_counts');

    const charts = (): Promise<ChartData> => page.evaluate(() => {
      const all = (globalThis as unknown as { spateCharts: Record<string, Record<string, { series: { label?: string }[]; data: number[][] }>> }).spateCharts;
      return Object.fromEntries(Object.entries(all['rate_counts'] ?? {}).map(([name, u]) => [name, {
        series: u.series.slice(1).map((s) => String(s.label)), points: u.data[0]!.length,
      }]));
    });
    await page.waitForFunction(() => {
      const c = (globalThis as unknown as { spateCharts: Record<string, Record<string, { data: number[][] }>> }).spateCharts['rate_counts'];
      return (c?.['rates']?.data[0]?.length ?? 0) >= 3;
    }, undefined, { timeout: 60_000 });
    const first = await charts();
    expect(Object.keys(first).sort()).toEqual(['eventTime', 'lag', 'phases', 'rates', 'state']);
    expect(first['rates']!.series).toEqual(['input', 'processed']);
    expect(first['phases']!.series).toEqual(['latestOffset', 'getBatch', 'queryPlanning', 'walCommit', 'addBatch', 'commitOffsets']);
    expect(first['state']!.series.length).toBe(1);

    // More batches run: every chart has more points than before.
    await page.waitForFunction((n) => {
      const c = (globalThis as unknown as { spateCharts: Record<string, Record<string, { data: number[][] }>> }).spateCharts['rate_counts'];
      return (c?.['rates']?.data[0]?.length ?? 0) >= n + 3;
    }, first['rates']!.points, { timeout: 60_000 });
    const later = await charts();
    for (const name of ['rates', 'phases', 'eventTime', 'state']) expect(later[name]!.points).toBeGreaterThan(first[name]!.points);

    expect(await page.textContent('#connection')).toBe('live');
    expect(await page.textContent('#query-rate_counts .meta')).toContain('none');
    expect(JSON.parse((await page.textContent('#query-rate_counts pre.progress'))!)).toMatchObject({ name: 'rate_counts' });
    expect(await page.locator('#query-rate_counts canvas').count()).toBe(5);
    expect(errors).toEqual([]);

    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, 'live-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    daemon.child.kill('SIGTERM');
    expect(await daemon.exit).toBe(0);
  });
});
