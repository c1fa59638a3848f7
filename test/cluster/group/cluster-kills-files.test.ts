// Cluster mode, the file sink written from every worker (issue 13): two worker processes run a
// stateless query (each line upper-cased, with its source partition and offset) into a json
// file sink while one of them, chosen at random, is SIGKILLed at a random step of the query 20
// times and restarted each time. Each key group's task writes part files, the coordinator lists
// them in the epoch's manifest entry once every task recorded its files: the manifest's entry of
// each epoch lists exactly the rows of that epoch's planned input, each once, and a reader that
// honours the manifest (spark.read) sees every input line once, and no file of a killed task.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { ManifestLog } from '../../../src/connectors/file/manifest.js';
import { Session } from '../../../src/index.js';
// The input is a Kafka topic: jest's global setup starts the broker for tests that import this.
import '../../support/kafka.js';
import type { SinkRun } from './sink-runs.js';
import {
  endRun, epochInput, inputRecords, killRounds, linesOf, newSinkRun, nonEmpty, printed, redisUrl, stopWorkers, untilInputCommitted,
} from './sink-runs.js';

jest.setTimeout(900_000);

let redis: Redis;
let run: SinkRun | null = null;
let dir = '';

beforeAll(() => { redis = new Redis(redisUrl()); });
afterEach(async () => {
  if (run) await endRun(run);
  run = null;
  rmSync(dir, { recursive: true, force: true });
});
afterAll(() => redis.disconnect());

const rowText = (r: { partition: number; offset: number; line: string }): string => `${r.partition}/${r.offset}/${r.line}`;

function filesUnder(root: string, at = root): string[] {
  return readdirSync(at, { withFileTypes: true }).flatMap((d) => {
    if (d.name.startsWith('_') || d.name.startsWith('.')) return [];
    const full = join(at, d.name);
    return d.isDirectory() ? filesUnder(root, full) : [relative(root, full)];
  });
}

it('20 random SIGKILLs of 2 workers: the file sink\'s manifest lists every epoch\'s rows once, as the crash-free run', async () => {
  const seed = Number(process.env['SPATE_KILL_SEED'] ?? Date.now() % 1_000_000);
  process.stdout.write(`cluster-kills-files seed ${seed} (SPATE_KILL_SEED=${seed} repeats it)\n`);
  dir = mkdtempSync(join(tmpdir(), 'spate-cluster-files-'));
  const out = join(dir, 'out');
  const r = run = await newSinkRun('lines', linesOf(1400, seed), 30, { sink: 'json', output: out });
  const kills = await killRounds(r, ['a', 'b'], 20, seed);
  expect(kills).toHaveLength(20);
  const epochs = await untilInputCommitted(r, redis);
  const records = await inputRecords(r);

  // The manifest, epoch by epoch: the rows of the files it lists.
  const manifest = new ManifestLog(out);
  const written = new Map<number, string[]>();
  const listed = new Set<string>();
  for (const id of await manifest.batchIds()) {
    const rows: string[] = [];
    for (const e of await manifest.entries(id)) {
      expect(e.batchId).toBe(id);
      listed.add(e.path);
      for (const l of readFileSync(join(out, e.path), 'utf8').split('\n')) if (l !== '') rows.push(rowText(JSON.parse(l) as never));
    }
    written.set(id, rows.sort());
  }
  const expected = new Map(epochs.map((p) => [p.epoch, epochInput(records, p).flatMap(([part, o, line]) => (line === '' ? [] : [`${part}/${o}/${line.toUpperCase()}`])).sort()]));
  expect(nonEmpty(written)).toEqual(nonEmpty(expected));

  // A reader sees the committed files only: every input line once.
  const spark = Session.builder().appName('cluster-files-reader').create();
  const read = (await spark.read.format('json').schema('partition INT, offset BIGINT, line STRING').load(out).collect()).map((x) => rowText(x as never)).sort();
  expect(read).toEqual([...expected.values()].flat().sort());
  expect(read.length).toBe(r.lines.filter((l) => l !== '').length);

  expect((await stopWorkers(r)).every((code) => code === 0)).toBe(true);
  const orphans = filesUnder(out).filter((f) => !listed.has(f));
  process.stdout.write(`cluster-kills-files: ${epochs.length} epochs, ${listed.size} files listed, ${orphans.length} written by killed tasks and listed nowhere, ` +
    `${printed(r, 'REFUSED')} refused writes; kills ${kills.join(' ')}\n`);
});
