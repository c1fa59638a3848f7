// Apache Spark as a benchmark peer (`npm run bench -- --peer spark`): runs a scenario's workload
// in Spark local[N] over the same input spate used, written as JSON-lines files (one file per
// batch), and measures events/s and peak RSS. The Spark side is spark_peer.py; pyspark comes
// from the conformance suite's cache (test/conformance/support/setup-spark.sh installs it once).
// Spark reads and parses its input files where spate gets rows in memory, and checkpoints its
// state every batch: the ratio is what a user would see moving the query from one to the other.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Measurement, PeerMeasurement } from '../harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const SETUP = join(here, '..', '..', 'test', 'conformance', 'support', 'setup-spark.sh');

export type SparkWorkload = 'windowed-sum' | 'yahoo' | 'trades-window';

export interface SparkPeerInput {
  /** The input lines of each micro-batch: JSON objects, or for `yahoo` the JSON texts themselves. */
  readonly batches: Iterable<readonly string[]>;
  /** A static table, as JSON lines (yahoo's ads). */
  readonly staticLines?: readonly string[];
}

export interface SparkPeerResult extends Measurement {
  readonly cores: number;
  readonly outputRows: number;
  readonly startupMs: number;
}

/** `SPATE_BENCH_PEER=spark` (set by `npm run bench -- --peer spark`) asks scenarios to run the peer. */
export function sparkPeerRequested(): boolean {
  return (process.env['SPATE_BENCH_PEER'] ?? '').split(',').includes('spark');
}

/**
 * The Spark peers of a scenario when `--peer spark` asked for them (none otherwise), each checked
 * to have emitted as many output rows as spate did.
 */
export async function sparkPeers(workload: SparkWorkload, input: () => SparkPeerInput, spateOutputRows: number, cores: readonly number[] = [1, 2]): Promise<PeerMeasurement[]> {
  if (!sparkPeerRequested()) return [];
  const results = await runSparkPeer(workload, input(), cores);
  for (const p of results) {
    if (p.outputRows !== spateOutputRows) throw new Error(`Spark local[${p.cores}] emitted ${p.outputRows} rows, spate ${spateOutputRows}`);
  }
  return results.map((p) => ({ name: `Spark local[${p.cores}]`, events: p.events, ms: p.ms, peakRssMiB: p.peakRssMiB }));
}

/** Writes the input once and runs the workload in Spark for each core count, one after the other. */
export async function runSparkPeer(workload: SparkWorkload, input: SparkPeerInput, cores: readonly number[] = [1, 2]): Promise<SparkPeerResult[]> {
  const python = sparkPython();
  const dir = mkdtempSync(join(tmpdir(), `spate-spark-peer-${workload}-`));
  try {
    const staticDir = writeInput(dir, input);
    const results: SparkPeerResult[] = [];
    for (const n of cores) results.push(await runOnce(python, workload, dir, n, staticDir));
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sparkPython(): string {
  const out = execFileSync('bash', [SETUP], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  const line = out.split('\n').find((l) => l.startsWith('SPARK_PYTHON='));
  if (!line) throw new Error(`setup-spark.sh printed no SPARK_PYTHON: ${out}`);
  return line.slice('SPARK_PYTHON='.length);
}

/** batches/part-N.json (modified N seconds after the first), warmup/ (batch 0 again), static/. */
function writeInput(dir: string, input: SparkPeerInput): string | null {
  const batches = join(dir, 'batches');
  const warmup = join(dir, 'warmup');
  mkdirSync(batches);
  mkdirSync(warmup);
  const origin = Date.UTC(2024, 0, 1) / 1000;
  let i = 0;
  for (const lines of input.batches) {
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    const file = join(batches, `part-${String(i).padStart(5, '0')}.json`);
    writeFileSync(file, text);
    utimesSync(file, origin + i, origin + i);
    if (i === 0) writeFileSync(join(warmup, 'part-00000.json'), text);
    i++;
  }
  if (!input.staticLines) return null;
  const staticDir = join(dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'part-00000.json'), `${input.staticLines.join('\n')}\n`);
  return staticDir;
}

function runOnce(python: string, workload: SparkWorkload, dir: string, cores: number, staticDir: string | null): Promise<SparkPeerResult> {
  return new Promise((resolve, reject) => {
    const args = [join(here, 'spark_peer.py'), workload, dir, String(cores), ...(staticDir ? [staticDir] : [])];
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC', PYSPARK_PYTHON: python } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000); });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`Spark peer (${workload}, local[${cores}]) exited with ${code}: ${err}`));
        return;
      }
      const r = JSON.parse(line.slice('RESULT '.length)) as { events: number; ms: number; outputRows: number; peakRssMiB: number; startupMs: number };
      resolve({ cores, events: r.events, ms: r.ms, peakRssMiB: r.peakRssMiB, outputRows: r.outputRows, startupMs: r.startupMs });
    });
  });
}
