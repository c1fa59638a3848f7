// Cluster mode's other sinks (issue 13), on two worker processes against the test run's Kafka
// and Redis: complete mode, whose every epoch is the whole result table, gathered from the key
// groups by the coordinator and written as one transaction; foreachBatch, called on every
// worker, per key-group task, with that task's rows and the batch id; the console, printed by
// the coordinator.
import { Redis } from 'ioredis';
import { readAll } from '../../support/kafka.js';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import type { WorkerLife } from './cluster-life.js';
import type { SinkRun } from './sink-runs.js';
import {
  KEY_GROUPS, byEpoch, endRun, inputRecords, linesOf, newSinkRun, nonEmpty, produceLines, redisUrl, startWorker, stopWorkers,
  untilInputCommitted, untilOutputStable, wordCountEpochs,
} from './sink-runs.js';

jest.setTimeout(900_000);

let redis: Redis;
let run: SinkRun | null = null;

beforeAll(() => { redis = new Redis(redisUrl()); });
afterEach(async () => { if (run) await endRun(run); run = null; });
afterAll(() => redis.disconnect());

/** The key groups a worker's newest assignment gives it (its last REBALANCED line), each claimed. */
function holdsKeyGroups(life: WorkerLife): number {
  const line = life.lines('REBALANCED ').at(-1);
  if (!line) return 0;
  const assignment = JSON.parse(line.split(' ').slice(3).join(' ')) as Record<string, number[]>;
  const groups = Object.entries(assignment).find(([t]) => t.endsWith('-repartition'))?.[1] ?? [];
  return groups.every((g) => life.lines(`CLAIMED ${g}`).length > 0) ? groups.length : 0;
}

async function twoSettledWorkers(r: SinkRun): Promise<WorkerLife[]> {
  const lives = [startWorker(r, 'a'), startWorker(r, 'b')];
  await eventually(() => lives.every((l) => holdsKeyGroups(l) > 0) && lives.reduce((n, l) => n + holdsKeyGroups(l), 0) === KEY_GROUPS,
    'both workers holding key groups', PATIENCE_MS);
  return lives;
}

it('complete mode: the coordinator writes each epoch\'s whole result table, gathered from every key group, once', async () => {
  const r = run = await newSinkRun('words', linesOf(600, 31), 50, { outputMode: 'complete' });
  await twoSettledWorkers(r);
  await produceLines(r, 0, r.lines.length);
  const epochs = await untilInputCommitted(r, redis);
  await untilOutputStable(r.output);
  const written = byEpoch(await readAll(r.output, true));
  expect(nonEmpty(written)).toEqual(nonEmpty(wordCountEpochs(await inputRecords(r), epochs, true)));
  expect(written.size).toBeGreaterThan(5);
  // Gathered: no task wrote to the sink itself.
  expect(r.lives.every((l) => l.lines('SINK ').length === 0)).toBe(true);
  expect((await stopWorkers(r)).every((code) => code === 0)).toBe(true);
});

it('foreachBatch runs per key-group task, on every worker, with the task\'s rows and the batch id', async () => {
  const r = run = await newSinkRun('words', linesOf(600, 32), 50, { sink: 'foreachBatch' });
  const lives = await twoSettledWorkers(r);
  await produceLines(r, 0, r.lines.length);
  const epochs = await untilInputCommitted(r, redis);
  // Each call, as its worker printed it; a call repeated after a key group moved (at-least-once) repeats the same rows.
  const calls = new Set(lives.flatMap((l) => l.lines('BATCH ')));
  const byBatch = new Map<number, string[]>();
  for (const call of calls) {
    const [, id, json] = /^BATCH (\d+) (.*)$/.exec(call)!;
    const rows = JSON.parse(json!) as { key: string; value: string }[];
    expect(rows.length).toBeGreaterThan(0);
    byBatch.set(Number(id), [...(byBatch.get(Number(id)) ?? []), ...rows.map((x) => `${x.key}=${x.value}`)]);
  }
  for (const list of byBatch.values()) list.sort();
  expect(nonEmpty(byBatch)).toEqual(nonEmpty(wordCountEpochs(await inputRecords(r), epochs)));
  // Per task: more calls than batches, from both workers.
  expect(calls.size).toBeGreaterThan(byBatch.size);
  expect(lives.every((l) => l.lines('BATCH ').length > 0)).toBe(true);
  expect((await stopWorkers(r)).every((code) => code === 0)).toBe(true);
});

it('console: the coordinator prints each epoch gathered from every key group', async () => {
  const r = run = await newSinkRun('words', linesOf(300, 33), 50, { sink: 'console' });
  const lives = await twoSettledWorkers(r);
  await produceLines(r, 0, r.lines.length);
  const epochs = await untilInputCommitted(r, redis);
  const expected = wordCountEpochs(await inputRecords(r), epochs);
  // Each process prints whole epochs while it coordinates (a replay prints one again: the console's guarantee is none).
  const printedEpochs = new Map<number, string[]>();
  for (const l of lives) {
    for (const block of l.output.split('-------------------------------------------\nBatch: ').slice(1)) {
      const [id, ...table] = block.split('\n');
      // The table's lines after its header line: |word|count|.
      const rows = table.filter((t) => t.startsWith('|')).slice(1).map((t) => t.split('|').map((c) => c.trim()).filter((c) => c !== '').join('='));
      printedEpochs.set(Number(id), rows.sort());
    }
  }
  expect(nonEmpty(printedEpochs)).toEqual(nonEmpty(expected));
  expect((await stopWorkers(r)).every((code) => code === 0)).toBe(true);
});
