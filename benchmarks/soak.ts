// `npm run soak`: the exactly-once crash harness of test/state/exactly-once-crash.test.ts, for as
// long as wanted. Children run a sequence → keyed aggregation → per-epoch file sink query and
// are killed with SIGKILL at random points; at the end the output must equal a run without
// crashes, file for file. Starts its own redis-server when REDIS_URL is not set.
//   npm run soak -- --store local|redis|cluster|both --kills 500 [--rows 2000000] [--async] [--max-kill-delay 400] [--verbose]
// `cluster` starts a three-node Redis Cluster on loopback; `both` (the default) is local and redis.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finalTable, readOutput, runWithCrashes, runWithoutCrashes } from '../test/support/crash/harness.js';
import { RedisCluster } from '../test/support/redis-cluster.js';
import { RedisServer } from '../test/support/redis-server.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const stores = arg('store', 'both') === 'both' ? ['local', 'redis'] : [arg('store', 'local')];
const kills = Number(arg('kills', '200'));
const asyncCheckpoint = args.includes('--async');
// About seven epochs land between two kills; leave room for all of them.
const rowsPerBatch = Number(arg('rows-per-batch', '500'));
const rows = Number(arg('rows', String(Math.max(200_000, kills * rowsPerBatch * 12))));
const shape = { rows, rowsPerBatch, keys: Number(arg('keys', '1000')), shufflePartitions: Number(arg('partitions', '8')) };

const dir = mkdtempSync(join(tmpdir(), 'spate-soak-'));
const server = stores.includes('redis') && !process.env.REDIS_URL ? await RedisServer.start() : null;
const redisUrl = process.env.REDIS_URL ?? server?.url;
const cluster = stores.includes('cluster') ? await RedisCluster.start() : null;
let failed = false;
try {
  process.stdout.write(`soak: ${kills} kills per store (${stores.join(', ')}), ${rows.toLocaleString('en-US')} rows, ${asyncCheckpoint ? 'asynchronous' : 'synchronous'} commits, in ${dir}\n`);
  const started = performance.now();
  await runWithoutCrashes({ ...shape, paceMs: 0, asyncCheckpoint: false, checkpointLocation: join(dir, 'reference-checkpoint'), outDir: join(dir, 'reference') });
  const reference = readOutput(join(dir, 'reference'));
  process.stdout.write(`reference run: ${reference.size} epochs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  for (const store of stores) {
    const t0 = performance.now();
    const location = store === 'redis' ? `${redisUrl}/0/soak-${randomUUID()}`
      : store === 'cluster' ? `${cluster!.url}/0/soak-${randomUUID()}`
      : join(dir, `${store}-checkpoint`);
    const outDir = join(dir, store);
    const report = await runWithCrashes({
      ...shape, checkpointLocation: location, outDir, kills, asyncCheckpoint, paceMs: Number(arg('pace', '4')),
      maxKillDelayMs: Number(arg('max-kill-delay', '400')),
      log: (line) => { if (args.includes('--verbose')) process.stdout.write(`  ${line}\n`); },
    });
    const output = readOutput(outDir);
    const missing = [...reference.keys()].filter((k) => !output.has(k));
    const extra = [...output.keys()].filter((k) => !reference.has(k));
    const different = [...reference].filter(([k, v]) => output.has(k) && output.get(k) !== v).map(([k]) => k);
    let counted = 0;
    for (const { n } of finalTable(output).values()) counted += n;
    const ok = missing.length === 0 && extra.length === 0 && different.length === 0 && counted === rows;
    failed ||= !ok;
    process.stdout.write(
      `${store}: ${ok ? 'OK' : 'FAILED'} after ${report.kills} kills (${report.killsAfterACommit} after a commit, ${report.epochsCommittedBeforeKills} epochs committed by killed children) ` +
      `in ${((performance.now() - t0) / 1000).toFixed(1)} s; rows counted ${counted.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')}` +
      (ok ? '' : `; missing epochs ${missing.slice(0, 5).join(', ')}, extra files ${extra.slice(0, 5).join(', ')}, different epochs ${different.slice(0, 5).join(', ')}`) + '\n',
    );
  }
} finally {
  await server?.stop();
  await cluster?.stop();
  if (!failed) rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`outputs kept in ${dir}\n`);
}
process.exit(failed ? 1 : 0);
