// `spate run` as operations people run it: a child process whose logs, metrics, health endpoints
// and exit codes are checked from outside.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/daemon/cli.js';
import { inspectCheckpoint } from '../../src/query/inspect-checkpoint.js';
import type { ChartPoint, QueryView } from '../../src/daemon/live-feed.js';
import type { DaemonProcess } from './daemon-process.js';
import { get, metric, spawnSpate, until } from './daemon-process.js';

const RATE = 'test/daemon/fixtures/rate-counts.ts';

describe('spate run', () => {
  const running: DaemonProcess[] = [];
  const dirs: string[] = [];
  const spate = (args: readonly string[]): DaemonProcess => {
    const d = spawnSpate(['run', ...args]);
    running.push(d);
    return d;
  };
  const dir = (): string => { const d = mkdtempSync(join(tmpdir(), 'spate-run-')); dirs.push(d); return d; };
  afterEach(async () => { await Promise.all(running.splice(0).map((d) => d.stop())); });
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  it('serves /healthz, /readyz and /metrics that move with progress and match it; SIGTERM drains, commits and exits 0', async () => {
    const checkpoint = join(dir(), 'cp');
    const d = spate([RATE, '--port', '0', '--progress-interval', '1s', '--set', `app.checkpoint=${checkpoint}`, '--set', 'spate.sql.shuffle.partitions=2']);
    const url = await d.url;
    expect(await get(url, '/healthz')).toEqual({ status: 200, text: 'ok\n' });
    const started = await d.waitFor((l) => l.msg.startsWith('query started'), 'query started');
    expect(started).toMatchObject({ query: 'rate_counts', guarantee: 'at-least-once' });
    expect(started['guaranteeReason']).toMatch(/^foreachBatch sink: at-least-once; /);
    await until('readiness', () => get(url, '/readyz'), (r) => r.status === 200);

    // A consistent view: the same number of batches in /metrics before and after reading the queries.
    const snapshot = async (): Promise<{ metrics: string; view: QueryView; again: string }> => ({
      metrics: (await get(url, '/metrics')).text,
      view: (JSON.parse((await get(url, '/api/queries')).text) as QueryView[])[0]!,
      again: (await get(url, '/metrics')).text,
    });
    const batches = (text: string): number => metric(text, 'spate_batches_total', { query: 'rate_counts' }) ?? 0;
    const s1 = await until('three batches seen consistently', snapshot, (s) => batches(s.metrics) >= 3 && batches(s.metrics) === batches(s.again));
    const p = s1.view.progress!;
    const q = { query: 'rate_counts' };
    expect(batches(s1.metrics)).toBe(p.batchId + 1);
    // The live feed keeps the newest 600 points: all of them this early.
    expect(s1.view.points.length).toBe(Math.min(600, p.batchId + 1));
    if (s1.view.points.length === p.batchId + 1) {
      expect(metric(s1.metrics, 'spate_input_rows_total', q)).toBe(s1.view.points.reduce((a: number, x: ChartPoint) => a + x.rows, 0));
    }
    expect(metric(s1.metrics, 'spate_state_rows', { ...q, operator: p.stateOperators[0]!.operatorName })).toBe(p.stateOperators[0]!.numRowsTotal);
    expect(metric(s1.metrics, 'spate_processed_rows_per_second', q)).toBeCloseTo(p.processedRowsPerSecond, 6);
    expect(metric(s1.metrics, 'spate_batch_duration_seconds_count', { ...q, phase: 'triggerExecution' })).toBe(p.batchId + 1);
    expect(metric(s1.metrics, 'spate_restarts_total', q) ?? 0).toBe(0);
    expect(metric(s1.metrics, 'spate_query_ready', q)).toBe(1);
    expect(metric(s1.metrics, 'spate_last_commit_timestamp_seconds', q)).toBeGreaterThan(0);
    expect(metric(s1.metrics, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    const s2 = await until('input rows to move', snapshot,
      (s) => batches(s.metrics) === batches(s.again) && (metric(s.metrics, 'spate_input_rows_total', q) ?? 0) > (metric(s1.metrics, 'spate_input_rows_total', q) ?? 0));
    if (s2.view.points.length === s2.view.progress!.batchId + 1) {
      expect(metric(s2.metrics, 'spate_input_rows_total', q)).toBe(s2.view.points.reduce((a: number, x: ChartPoint) => a + x.rows, 0));
    }
    const progressLine = await d.waitFor((l) => l.msg === 'progress of rate_counts', 'a progress line');
    expect(progressLine).toMatchObject({ level: 'info', query: 'rate_counts', numRestarts: 0 });

    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    expect(d.lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['SIGTERM: draining 1 query (the batch in flight commits first)', 'query rate_counts stopped']));
    const inspection = await inspectCheckpoint(checkpoint);
    expect(inspection.epochs.uncommitted).toEqual([]);
    expect(inspection.epochs.lastCommitted).toBeGreaterThanOrEqual(p.batchId);
  });

  it('spate drain (the preStop hook) drains the daemon and returns once its queries stopped; the daemon exits 0', async () => {
    const d = spate([RATE, '--port', '0']);
    const url = await d.url;
    await until('readiness', () => get(url, '/readyz'), (r) => r.status === 200);
    let out = '';
    const code = await main(['drain', '--port', new URL(url).port], { out: (t) => { out += t; }, err: (t) => { out += t; } });
    expect({ code, answer: JSON.parse(out) }).toEqual({ code: 0, answer: { drained: true } });
    expect(await d.exit).toBe(0);
    expect(d.lines.some((l) => l.msg === 'query rate_counts stopped')).toBe(true);
  });

  it('a query that fails ends the process with code 1 and logs the failure with its cause', async () => {
    const d = spate([RATE, '--port', '0', '--set', 'app.failAfterBatches=2']);
    expect(await d.exit).toBe(1);
    const failure = d.lines.find((l) => l.level === 'error' && l.msg.startsWith('query rate_counts failed'));
    expect(failure?.msg).toMatch(/sink rejected batch 2/);
    expect(failure?.['cause']).toMatch(/sink rejected batch 2/);
  });

  it('a stalled query fails /readyz, then exits with code 3 after the grace period', async () => {
    const d = spate(['test/daemon/fixtures/stalling.ts', '--port', '0', '--stall-timeout', '1s', '--stall-grace', '15s']);
    const url = await d.url;
    await until('readiness', () => get(url, '/readyz'), (r) => r.status === 200);
    await d.waitFor((l) => l.msg.startsWith('query stalling stalled'), 'the stall');
    const ready = await get(url, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: false, queries: [{ query: 'stalling', ready: false, stalled: true }] });
    expect(await d.exit).toBe(3);
    expect(d.lines.at(-1)?.level).not.toBe('stdout');
    expect(d.lines.some((l) => l.level === 'fatal' && l.msg.includes('exiting with code 3'))).toBe(true);
  });

  describe('bad configuration: one clear line and exit code 2', () => {
    async function run(args: readonly string[]): Promise<{ code: number; err: string }> {
      let err = '';
      const code = await main(['run', RATE, ...args], { out: () => undefined, err: (t) => { err += t; } });
      return { code, err };
    }

    it.each([
      [['--set', 'spate.sql.shufle.partitions=4'], 'spate run: unknown setting spate.sql.shufle.partitions (did you mean spate.sql.shuffle.partitions?)\n'],
      [['--set', 'spate.sql.shuffle.partitions=many'], "spate run: configuration spate.sql.shuffle.partitions must be an integer >= 1, got 'many'\n"],
      [['--set', 'spark.sql.shuffle.partitions=4'], "spate run: setting spark.sql.shuffle.partitions is Spark's name: use spate.sql.shuffle.partitions\n"],
      [['--set', 'partitions'], "spate run: --set expects key=value, got 'partitions'\n"],
    ])('%j', async (args, line) => {
      expect(await run(args)).toEqual({ code: 2, err: line });
    });

    it('a --config file: its keys are checked as --set ones; --set overrides it; a broken file is named', async () => {
      const d = dir();
      writeFileSync(join(d, 'bad.json'), JSON.stringify({ spate: { sql: { streaming: { pollingDelay: -5 } } } }));
      expect(await run(['--config', join(d, 'bad.json')])).toEqual({ code: 2, err: "spate run: configuration spate.sql.streaming.pollingDelay must be an integer >= 0, got '-5'\n" });
      writeFileSync(join(d, 'spate.conf'), '# spark-defaults.conf style\nspate.sql.shuffle.partitions  0\n');
      expect(await run(['--config', join(d, 'spate.conf')])).toEqual({ code: 2, err: "spate run: configuration spate.sql.shuffle.partitions must be an integer >= 1, got '0'\n" });
      expect((await run(['--config', join(d, 'spate.conf'), '--set', 'spate.sql.shuffle.partitions=x'])).err).toMatch(/got 'x'/);
      writeFileSync(join(d, 'broken.json'), '{ "spate.sql.shuffle.partitions": ');
      const broken = await run(['--config', join(d, 'broken.json')]);
      expect(broken.code).toBe(2);
      expect(broken.err).toMatch(new RegExp(`^spate run: --config ${join(d, 'broken.json')} is not valid JSON: .+\\n$`));
    });

    it('a flag with a bad value', async () => {
      const r = await run(['--port', 'http']);
      expect(r.code).toBe(2);
      expect(r.err.split('\n')[0]).toBe("error: option '-p, --port <port>' argument 'http' is invalid. a port is an integer from 0 to 65535.");
    });

    it.each([
      [['test/daemon/fixtures/throws-on-load.ts'], /^spate run: module test\/daemon\/fixtures\/throws-on-load\.ts threw while loading: cannot read \/etc\/app\/credentials\.json\n$/],
      [['test/daemon/fixtures/no-queries.ts', '--set', 'app.throw=no broker configured'],
        /^spate run: module test\/daemon\/fixtures\/no-queries\.ts threw from its default export: refusing to start: no broker configured\n$/],
      [['test/daemon/fixtures/no-queries.ts'], /^spate run: module test\/daemon\/fixtures\/no-queries\.ts started no queries: export default a function/],
      [['test/daemon/fixtures/missing.ts'], /^spate run: module not found: test\/daemon\/fixtures\/missing\.ts\n$/],
    ])('a module that cannot run: %j', async (args, line) => {
      const d = spate([...args, '--port', '0']);
      expect(await d.exit).toBe(2);
      expect(d.stderr()).toMatch(line);
    });

    it('a port in use', async () => {
      const busy: Server = createServer();
      await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
      const port = (busy.address() as { port: number }).port;
      try {
        const d = spate([RATE, '--port', String(port)]);
        expect(await d.exit).toBe(2);
        expect(d.stderr()).toBe(`spate run: port ${port} on 127.0.0.1 is in use: choose another with --port (0 picks a free one)\n`);
      } finally {
        busy.close();
      }
    });
  });
});
