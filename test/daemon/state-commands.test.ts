// The `spate state` commands as a user runs them: the real `spate` program in a child process,
// migrating a file-source query's checkpoint with a migration module written in TypeScript,
// then inspecting the migrated state.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { col, sum, types as T } from '../../src/index.js';
import type { DataFrame, Session } from '../../src/index.js';
import { sortRows, testSession } from '../support/helpers.js';

const run = promisify(execFile);
const SPATE = resolve(__dirname, '../../bin/spate.mjs');
const INDEX = resolve(__dirname, '../../src/index.ts');

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'spate-state-cli-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

const schema = T.struct([T.field('broker', T.string()), T.field('amount', T.integer())]);

async function spate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SPATE, ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function runOnce(spark: Session, df: DataFrame, name: string): Promise<{ rows: unknown[]; error: string | null }> {
  const q = df.writeStream.format('memory').queryName(name).outputMode('update').option('checkpointLocation', join(dir, 'cp')).start();
  let error: string | null = null;
  await q.processAllAvailable().catch((e: Error) => { error = e.message; });
  await q.stop();
  return { rows: error === null ? sortRows(await spark.table(name).collect()) : [], error };
}

describe('spate state migrate and inspect, from the command line', () => {
  it('migrates a renamed grouping column with a module, then shows the state under the new name', async () => {
    await mkdir(join(dir, 'in'));
    writeFileSync(join(dir, 'in', 'a.json'), '{"broker":"ABX","amount":5}\n{"broker":"XYZ","amount":1}\n');
    const spark = testSession();
    const trades = () => spark.readStream.format('json').schema(schema).load(join(dir, 'in'));
    await runOnce(spark, trades().groupBy('broker').agg(sum(col('amount')).alias('total')).named('totals'), 'v1');

    writeFileSync(join(dir, 'v2.mts'), `
      import { col, sum, types as T } from ${JSON.stringify(INDEX)};
      const schema = T.struct([T.field('broker', T.string()), T.field('amount', T.integer())]);
      export default {
        query: (spark) => spark.readStream.format('json').schema(schema).load(${JSON.stringify(join(dir, 'in'))})
          .withColumnRenamed('broker', 'brokerCode').groupBy('brokerCode').agg(sum(col('amount')).alias('total')).named('totals'),
      };
    `);
    const migrated = await spate('state', 'migrate', join(dir, 'cp'), '--operator', 'totals', '--to', 'v2.mts');
    expect(migrated.stderr).toBe('');
    expect(migrated).toMatchObject({ code: 0, stdout: 'Migrated the state of operator totals as of batch 0:\n  - operator \'totals\': grouping column renamed: broker → brokerCode\n' });

    const shown = await spate('state', 'inspect', join(dir, 'cp'), '--operator', 'totals', '--key', '"ABX"', '--json');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ operator: 'totals', kind: 'aggregate', batch: 0, rows: [{ brokerCode: 'ABX', total: 5 }] });

    writeFileSync(join(dir, 'in', 'b.json'), '{"broker":"ABX","amount":2}\n');
    const v2 = trades().withColumnRenamed('broker', 'brokerCode').groupBy('brokerCode').agg(sum(col('amount')).alias('total')).named('totals');
    expect(await runOnce(spark, v2, 'v2')).toEqual({ rows: [{ brokerCode: 'ABX', total: 7 }], error: null });
  });

  it('says what is wrong with a module that exports no migration, and with a command line missing its options', async () => {
    writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
    const bad = await spate('state', 'migrate', join(dir, 'cp'), '--operator', 'totals', '--to', 'empty.mjs');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('empty.mjs must export a migration (default export or \'migration\'): { query(spark), defaults?, state? }');
    const missing = await spate('state', 'migrate', join(dir, 'cp'), '--operator', 'totals');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("required option '--to <module>' not specified") });
  });
});
