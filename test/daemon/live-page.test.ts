// The live page in headless Chromium (Debian's chromium through playwright-core): it loads, its
// charts get data points that grow as batches run, a cluster worker's section shows the units it
// owns and what its tasks read, and screenshots are saved under .spate-tmp/screenshots/.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { chromium } from 'playwright-core';
import { Redis } from 'ioredis';
import { PATIENCE_MS } from '../support/helpers.js';
import { brokers } from '../support/kafka.js';
import { deleteRedisPrefix } from '../support/redis-keys.js';
import { WordRun } from '../cluster/group/cluster-run.js';
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

  async function openPage(url: string): Promise<{ page: Awaited<ReturnType<BrowserContext['newPage']>>; errors: string[] }> {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set SPATE_CHROMIUM)`);
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
    return { page, errors };
  }

  it('shows each query with charts whose points grow as batches run', async () => {
    daemon = spawnSpate(['run', 'test/daemon/fixtures/rate-counts.ts', '--port', '0', '--progress-interval', '0']);
    const { page, errors } = await openPage(await daemon.url);
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

  it('shows a cluster worker with the units it owns and the rows its tasks read', async () => {
    const url0 = process.env['REDIS_URL']!;
    const redis = new Redis(url0);
    const run = await WordRun.create(brokers(), 200, 7, url0, redis);
    try {
      await run.produce(0, 200);
      daemon = spawnSpate(['run', 'test/daemon/fixtures/cluster-words.ts', '--port', '0', '--progress-interval', '0',
        '--set', 'spate.sql.shuffle.partitions=8', '--set', `app.brokers=${run.brokers}`, '--set', `app.input=${run.input}`,
        '--set', `app.output=${run.output}`, '--set', `app.checkpoint=${run.location}`, '--set', 'app.worker=w']);
      const { page, errors } = await openPage(await daemon.url);
      const section = '[data-worker="words/w"]';
      await page.waitForSelector(section, { timeout: PATIENCE_MS });
      // Alone in its group, it owns every unit; the rows its stage-one tasks read add up to what was produced.
      // (Expressions evaluated in the page: this project's TypeScript has no DOM types.)
      await page.waitForFunction(`document.querySelector('${section} .groups')?.textContent?.startsWith('key groups 0, 1, 2, 3, 4, 5, 6, 7:') === true`,
        undefined, { timeout: PATIENCE_MS });
      await page.waitForFunction(`[...document.querySelectorAll('${section} table.sources tbody tr')]
        .reduce((n, tr) => n + Number(tr.lastElementChild.textContent), 0) === 200`, undefined, { timeout: PATIENCE_MS });
      expect(await page.textContent(`${section} .partitions`)).toBe('4 of 4 source partitions owned here');
      expect(await page.textContent(`${section} h2`)).toBe('worker w');
      expect(await page.textContent(`${section} .meta`)).toContain('cluster query words');
      expect(errors).toEqual([]);
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: join(SHOTS, 'live-page-worker.png'), fullPage: true });

      daemon.child.kill('SIGTERM');
      expect(await daemon.exit).toBe(0);
    } finally {
      redis.disconnect();
      await deleteRedisPrefix(url0, run.prefix);
    }
  });
});
