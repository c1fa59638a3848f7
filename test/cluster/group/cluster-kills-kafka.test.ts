// Cluster mode, the Kafka sink written from every worker (issue 13): three worker processes run
// the word count (update mode) while one of them, chosen at random, is SIGKILLed at a random
// step of the query 20 times and restarted each time. Read with read_committed, the output
// topic holds exactly what a crash-free run writes: epoch by epoch (each message carries its
// epoch), the counts of the words of that epoch's planned input, each once; and the last count
// of every word equals the single-process run's. The kill points follow from a seed, printed.
import { Redis } from 'ioredis';
import type { Row } from '../../../src/index.js';
import { Session, Trigger } from '../../../src/index.js';
import { brokers, readAll } from '../../support/kafka.js';
import { wordCount } from './queries.js';
import type { SinkRun } from './sink-runs.js';
import {
  KEY_GROUPS, byEpoch, endRun, inputRecords, killRounds, linesOf, newSinkRun, nonEmpty, printed, redisUrl, stopWorkers,
  untilInputCommitted, untilOutputStable, wordCountEpochs,
} from './sink-runs.js';

jest.setTimeout(900_000);

const PER_TRIGGER = 30;
let redis: Redis;
let run: SinkRun | null = null;

beforeAll(() => { redis = new Redis(redisUrl()); });
afterEach(async () => { if (run) await endRun(run); run = null; });
afterAll(() => redis.disconnect());

/** The word count in one process over the same input (Trigger.AvailableNow): the last value written for each word. */
async function singleProcessCounts(input: string): Promise<Map<string, string>> {
  const spark = Session.builder().appName('cluster-reference').config('spate.sql.shuffle.partitions', KEY_GROUPS).create();
  const last = new Map<string, string>();
  const q = wordCount(spark, { brokers: brokers(), input, maxOffsetsPerTrigger: PER_TRIGGER }).writeStream
    .outputMode('update').trigger(Trigger.AvailableNow())
    .foreachBatch(async (batch) => { for (const r of (await batch.collect()) as Row[]) last.set(String(r['key']), String(r['value'])); })
    .start();
  await q.awaitTermination();
  return last;
}

it('20 random SIGKILLs of 3 workers: the Kafka output, read_committed, equals the crash-free run epoch by epoch', async () => {
  const seed = Number(process.env['SPATE_KILL_SEED'] ?? Date.now() % 1_000_000);
  process.stdout.write(`cluster-kills-kafka seed ${seed} (SPATE_KILL_SEED=${seed} repeats it)\n`);
  const r = run = await newSinkRun('words', linesOf(1400, seed), PER_TRIGGER);
  const kills = await killRounds(r, ['a', 'b', 'c'], 20, seed);
  expect(kills).toHaveLength(20);
  const epochs = await untilInputCommitted(r, redis);
  await untilOutputStable(r.output);
  const records = await inputRecords(r);

  const written = byEpoch(await readAll(r.output, true));
  expect(nonEmpty(written)).toEqual(nonEmpty(wordCountEpochs(records, epochs)));
  // Nothing beyond the committed epochs reached readers.
  expect(Math.max(...written.keys())).toBeLessThanOrEqual(epochs.length - 1);

  const last = new Map<string, string>();
  for (const [, rows] of nonEmpty(written)) for (const kv of rows) { const [k, v] = kv.split('='); last.set(k!, v!); }
  const single = await singleProcessCounts(r.input);
  expect([...last].sort()).toEqual([...single].sort());
  expect((await stopWorkers(r)).every((code) => code === 0)).toBe(true);
  process.stdout.write(`cluster-kills-kafka: ${epochs.length} epochs, ${printed(r, 'CLAIMED ')} key-group claims, ${printed(r, 'REFUSED')} refused writes, ` +
    `${r.lives.filter((l) => l.lines('SINK ').length > 0).length} worker lives wrote to the sink; kills ${kills.join(' ')}\n`);
});
