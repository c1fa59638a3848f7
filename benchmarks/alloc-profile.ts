// Where a scenario's spate run allocates: runs a scenario with V8's sampling heap profiler on
// and prints the allocation sites by bytes (self), to find per-row garbage.
//   npx tsx benchmarks/alloc-profile.ts windowed-sum [scale]
import { Session } from 'node:inspector/promises';
import { scenarios } from './scenarios/index.js';

const [name, scaleText] = process.argv.slice(2);
const scenario = scenarios.find((s) => s.name === name);
if (!scenario) throw new Error(`unknown scenario ${name}`);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await scenario.run(Number(scaleText ?? '1'));
const { profile } = await session.post('HeapProfiler.stopSampling');

interface Node { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: Node[] }
const sites = new Map<string, number>();
const visit = (n: Node, stack: string[]): void => {
  const here = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
  const path = [here, ...stack].slice(0, 3).join(' < ');
  if (n.selfSize) sites.set(path, (sites.get(path) ?? 0) + n.selfSize);
  for (const c of n.children) visit(c, [here, ...stack]);
};
visit(profile.head as unknown as Node, []);
const total = [...sites.values()].reduce((a, b) => a + b, 0);
process.stdout.write(`allocated (sampled) ${(total / 2 ** 20).toFixed(0)} MiB\n`);
for (const [k, v] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`${(v / 2 ** 20).toFixed(1).padStart(8)} MiB  ${k}\n`);
process.exit(0);
