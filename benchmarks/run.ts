// `npm run bench`: runs every scenario in its own process (so peak memory is per scenario) and
// prints, per scenario, spate's events/s beside a hand-written loop doing the same work in the
// same run, their ratio, and peak RSS. Results also go to benchmarks/results/latest.json.
//   npm run bench -- --only word-count,stateless-chain   --scale 0.2
//   npm run bench -- --only windowed-sum --profile DIR    (CPU profiles of each measured run and a GC trace per scenario in DIR)
//   npm run bench -- --peer spark     (also runs the scenarios that have a Spark peer in Spark local[1] and local[2])
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './harness.js';
import { perSecond } from './harness.js';
import { scenarios } from './scenarios/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = arg('only')?.split(',');
const scale = Number(arg('scale') ?? process.env.SPATE_BENCH_SCALE ?? '1');
const profileDir = arg('profile');
const peer = arg('peer');
if (peer) process.env['SPATE_BENCH_PEER'] = peer;

const results: ScenarioResult[] = [];
for (const s of scenarios) {
  if (only && !only.includes(s.name)) continue;
  process.stdout.write(`running ${s.name} (${s.description}) ...\n`);
  const profiling = profileDir ? ['--trace-gc'] : [];
  const child = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...profiling, '--import', 'tsx', join(here, 'scenario-runner.ts'), s.name, String(scale)], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 2 ** 20,
    env: profileDir ? { ...process.env, SPATE_BENCH_PROFILE_DIR: profileDir, SPATE_BENCH_SCENARIO: s.name } : process.env,
  });
  if (profileDir) writeFileSync(join(profileDir, `${s.name}.gc.txt`), child.stdout.split('\n').filter((l) => !l.startsWith('RESULT ')).join('\n'));
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || !line) {
    process.stdout.write(`  ${s.name} failed (exit ${child.status}):\n${child.stdout}\n`);
    process.exitCode = 1;
    continue;
  }
  const r = JSON.parse(line.slice('RESULT '.length)) as ScenarioResult;
  results.push(r);
  printResult(r);
}

mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify({ date: new Date().toISOString(), scale, results }, null, 2)}\n`);
process.stdout.write(`\nresults written to benchmarks/results/latest.json\n`);

function printResult(r: ScenarioResult): void {
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const sp = perSecond(r.spate);
  let line = `  ${r.scenario}: spate ${fmt(sp)} events/s (${fmt(r.spate.events)} events, ${r.spate.ms.toFixed(0)} ms, peak RSS ${r.spate.peakRssMiB.toFixed(0)} MiB)`;
  if (r.handLoop) {
    const hl = perSecond(r.handLoop);
    line += `\n    hand loop ${fmt(hl)} events/s (peak RSS ${r.handLoop.peakRssMiB.toFixed(0)} MiB)  ratio spate/hand = ${(sp / hl).toFixed(2)}`;
    if (r.spate.cpuMs && r.handLoop.cpuMs) line += ` (by CPU time ${((r.spate.events / r.spate.cpuMs) / (r.handLoop.events / r.handLoop.cpuMs)).toFixed(2)})`;
  }
  for (const p of r.peers ?? []) {
    line += `\n    ${p.name} ${fmt(perSecond(p))} events/s (peak RSS ${p.peakRssMiB.toFixed(0)} MiB)  ratio spate/${p.name} = ${(sp / perSecond(p)).toFixed(2)}`;
  }
  for (const [k, v] of Object.entries(r.figures ?? {})) line += `\n    ${k}: ${typeof v === 'number' ? (Number.isInteger(v) ? fmt(v) : v.toFixed(2)) : v}`;
  process.stdout.write(`${line}\n`);
}
