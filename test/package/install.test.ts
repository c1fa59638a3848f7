// The installable package: `npm pack` (which builds at pack time) gives a tarball that, installed
// with production dependencies only into a fresh application, imports from ESM, type-checks from
// strict TypeScript, loads through require() (require(esm) where Node has it, the CommonJS build
// where it does not), and whose `spate` command runs compiled JavaScript without tsx.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Runs a command in `cwd`; returns stdout, fails the test with its output otherwise. */
function run(cwd: string, cmd: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const QUERY = `
const spark = Session.builder().appName('installed').config('spate.sql.shuffle.partitions', 2).getOrCreate();
const input = new MemoryStream(spark, types.struct([types.field('word', types.string())]));
const q = input.toDF().groupBy('word').count().writeStream.outputMode('complete').format('memory').queryName('counts').start();
input.addData([{ word: 'a' }, { word: 'b' }, { word: 'a' }]);
await q.processAllAvailable();
const rows = await spark.table('counts').collect();
await q.stop();
console.log(JSON.stringify(rows.sort((x, y) => (x.word < y.word ? -1 : 1))));
`;

describe('the package', () => {
  let work: string;
  let app: string;
  let tarball: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'spate-package-'));
    app = join(work, 'app');
    const packed = JSON.parse(run(ROOT, 'npm', ['pack', '--json', '--pack-destination', work])) as { filename: string; files: { path: string }[] }[];
    tarball = join(work, packed[0]!.filename);
    (globalThis as { packedFiles?: string[] }).packedFiles = packed[0]!.files.map((f) => f.path);
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // Under its own name, and under the name DESIGN.md's examples import (an npm alias).
    run(app, 'npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tarball, `spate@file:${tarball}`]);
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('ships the build, the command and the live page, and nothing of the sources or tests', () => {
    const files = (globalThis as { packedFiles?: string[] }).packedFiles!;
    expect(files).toEqual(expect.arrayContaining([
      'package.json', 'README.md', 'bin/spate.mjs', 'dist/index.js', 'dist/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/index.d.ts',
      'dist/cjs/package.json', 'dist/daemon/bin.js', 'assets/live/index.html', 'assets/live/live.js', 'assets/live/live.css',
    ]));
    expect(files.filter((f) => /^(src|test|benchmarks|examples|scripts)\//.test(f) || f.endsWith('.map'))).toEqual([]);
    expect(existsSync(join(app, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
  });

  it('imports from ESM JavaScript and runs a query', () => {
    writeFileSync(join(app, 'esm.mjs'), `import { Session, MemoryStream, types } from 'spate-streaming';\n${QUERY}`);
    expect(run(app, process.execPath, ['esm.mjs']).trim()).toBe('[{"word":"a","count":2},{"word":"b","count":1}]');
    writeFileSync(join(app, 'alias.mjs'), `import { Session, MemoryStream, types } from 'spate';\n${QUERY}`);
    expect(run(app, process.execPath, ['alias.mjs']).trim()).toBe('[{"word":"a","count":2},{"word":"b","count":1}]');
  });

  it('type-checks a TypeScript application under strict', () => {
    writeFileSync(join(app, 'app.ts'), [
      "import { Session, MemoryStream, col, window, sum, types as T } from 'spate-streaming';",
      "import type { DaemonContext, StreamingQuery, StreamingQueryProgress, EndToEndGuarantee } from 'spate-streaming';",
      "const schema = T.struct([T.field('CreatedTime', T.timestamp()), T.field('Amount', T.integer())]);",
      'export default function start({ spark, settings }: DaemonContext): StreamingQuery {',
      "  const input = new MemoryStream(spark, schema);",
      "  const q = input.toDF().withWatermark('CreatedTime', '30 minutes').groupBy(window(col('CreatedTime'), '15 minutes'))",
      "    .agg(sum('Amount').alias('total')).writeStream.outputMode('update').option('checkpointLocation', settings['cp'] ?? 'cp')",
      '    .foreachBatch(async (batch, batchId: number) => { void (await batch.collect()).length; void batchId; }).start();',
      '  const g: EndToEndGuarantee = q.guarantee;',
      "  const p: StreamingQueryProgress | null = q.lastProgress;",
      "  void [g.level satisfies 'exactly-once' | 'at-least-once' | 'none', p?.numRestarts, Session.getActiveSession()];",
      '  return q;',
      '}',
      '// @ts-expect-error: a trigger is an object made by Trigger, not a string',
      "export const wrong = (q: ReturnType<Session['readStream']['load']>) => q.writeStream.trigger('1 minute');",
    ].join('\n'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: false,
        types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      files: ['app.ts'],
    }));
    expect(run(app, process.execPath, [TSC, '-p', 'tsconfig.json'])).toBe('');
  });

  it('loads through require(): require(esm) on this Node, the CommonJS build where require(esm) is off', () => {
    writeFileSync(join(app, 'req.cjs'), [
      "const spate = require('spate-streaming');",
      "const esm = require.resolve('spate-streaming');",
      "console.log(JSON.stringify({ file: esm.slice(esm.indexOf('dist')), names: Object.keys(spate).length, session: typeof spate.Session }));",
    ].join('\n'));
    const withRequireEsm = JSON.parse(run(app, process.execPath, ['req.cjs'])) as { file: string; names: number; session: string };
    const withoutRequireEsm = JSON.parse(run(app, process.execPath, ['--no-experimental-require-module', 'req.cjs'])) as typeof withRequireEsm;
    expect(withRequireEsm).toMatchObject({ file: 'dist/index.js', session: 'function' });
    expect(withoutRequireEsm).toEqual({ file: 'dist/cjs/index.js', names: withRequireEsm.names, session: 'function' });
    // The CommonJS build runs queries too.
    writeFileSync(join(app, 'cjs-query.cjs'), `const { Session, MemoryStream, types } = require('spate-streaming');\n(async () => {${QUERY}})();`);
    expect(run(app, process.execPath, ['--no-experimental-require-module', 'cjs-query.cjs']).trim()).toBe('[{"word":"a","count":2},{"word":"b","count":1}]');
  });

  it('has a spate command that runs compiled JavaScript: --version, and run', () => {
    const spate = join(app, 'node_modules', '.bin', 'spate');
    expect(run(app, spate, ['--version']).trim()).toBe(JSON.parse(run(ROOT, process.execPath, ['-p', 'JSON.stringify(require("./package.json").version)'])));
    writeFileSync(join(app, 'job.mjs'), [
      "import { Trigger } from 'spate-streaming';",
      'export default function start({ spark }) {',
      "  spark.readStream.format('rate').option('rowsPerSecond', 10).load()",
      "    .writeStream.queryName('once').trigger(Trigger.Once()).foreachBatch(() => undefined).start();",
      '}',
    ].join('\n'));
    const r = spawnSync(spate, ['run', 'job.mjs', '--port', '0'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const msgs = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(expect.arrayContaining(['query started: none', 'query once stopped']));
    // A TypeScript module needs tsx in the application, and says so.
    writeFileSync(join(app, 'job.ts'), 'export default function start(): void {}\n');
    const ts = spawnSync(spate, ['run', 'job.ts', '--port', '0'], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect(ts.status).toBe(2);
    expect(ts.stderr).toMatch(/job\.ts is TypeScript: install tsx in your application \(npm install --save-dev tsx\)/);
    expect(readdirSync(join(app, 'node_modules', 'spate-streaming'))).not.toContain('src');
  });
});
