// The transactional Kafka sink under master('local[N]'): every worker thread writes the key
// groups it owns, one transaction per key group and epoch, the epoch recorded inside it; the
// output read with read_committed equals the one-thread run's, a replayed epoch is skipped per
// key group, and a checkpoint moves between thread counts (2 -> 1 -> 4) without a duplicate.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session, Trigger, col, count, struct, sum, toJson } from '../../../src/index.js';
import type { StreamingQuery } from '../../../src/index.js';
import { keyGroupMarkerTopic, messageKeyGroup } from '../../../src/connectors/kafka/kafka-key-group-sink.js';
import { brokers, newTopic, produce, readAll, readTopic } from '../../support/kafka.js';

const KEY_GROUPS = 4;
const KEYS = Array.from({ length: 12 }, (_, i) => `k${i}`);
const checkpoints: string[] = [];
const checkpoint = (): string => {
  const p = join(tmpdir(), `spate-kafka-sink-n-${randomUUID()}`);
  checkpoints.push(p);
  return p;
};
afterAll(async () => { await Promise.all(checkpoints.map((p) => rm(p, { recursive: true, force: true }))); });

const text = (m: { key: string | null; value: string | null }): string => `${m.key} ${m.value}`;

/** Per-key count and sum of a Kafka topic, in update mode, to a transactional Kafka sink; AvailableNow, 20 records a trigger. */
function start(master: string, input: string, output: string, cp: string): StreamingQuery {
  const spark = Session.builder().appName('kafka-sink-n').master(master).config('spate.sql.shuffle.partitions', KEY_GROUPS).create();
  return spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('subscribe', input)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', 20).load()
    .select(col('key').cast('string').alias('k'), col('value').cast('string').cast('int').alias('amount'))
    .groupBy('k').agg(count('*').alias('n'), sum('amount').alias('total'))
    .select(col('k').alias('key'), toJson(struct('k', 'n', 'total')).alias('value'))
    .writeStream.format('kafka').outputMode('update').option('kafka.bootstrap.servers', brokers()).option('topic', output)
    .option('transactional', true).option('checkpointLocation', cp).trigger(Trigger.AvailableNow()).start();
}

async function inputTopic(from: number, records: number, topic?: string): Promise<string> {
  const t = topic ?? await newTopic('n-in', 2);
  await produce(t, Array.from({ length: records }, (_, i) => ({ key: KEYS[(from + i) % KEYS.length]!, value: String(from + i), partition: (from + i) % 2 })));
  return t;
}

async function runToEnd(master: string, input: string, output: string, cp: string): Promise<StreamingQuery> {
  const q = start(master, input, output, cp);
  await q.awaitTermination();
  return q;
}

describe('the key group of an output message', () => {
  it('depends on its bytes only, not on how a thread holds them, and spreads messages over the key groups', () => {
    const bytes = new TextEncoder().encode('value-1');
    const asBuffer = messageKeyGroup({ topic: 't', message: { key: 'k', value: Buffer.from(bytes) } }, 16);
    expect(messageKeyGroup({ topic: 't', message: { key: 'k', value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) } }, 16)).toBe(asBuffer);
    expect(messageKeyGroup({ topic: 't', message: { key: Buffer.from('k'), value: Buffer.from(bytes) } }, 16)).toBe(asBuffer);
    const groups = new Set(Array.from({ length: 200 }, (_, i) => messageKeyGroup({ topic: 't', message: { key: `k${i}`, value: `v${i}` } }, 16)));
    expect(groups.size).toBe(16);
  });
});

describe('the transactional Kafka sink under local[N]', () => {
  it('writes from each thread, per key group, what one thread writes, visible under read_committed', async () => {
    const input = await inputTopic(0, 120);
    const one = await newTopic('n-one', 2);
    const two = await newTopic('n-two', 2);
    await runToEnd('local[1]', input, one, checkpoint());
    const q = start('local[2]', input, two, checkpoint());

    await q.awaitTermination();
    const explained = q.explain();
    const expected = (await readAll(one)).map(text).sort();
    expect(expected.length).toBeGreaterThan(KEYS.length);
    expect((await readAll(two)).map(text).sort()).toEqual(expected);
    // Nothing beyond the committed records: every transaction committed, none aborted.
    expect((await readAll(two, false)).map(text).sort()).toEqual(expected);
    expect(explained).toContain('WriteToDataSink *(2 threads, per task: each thread writes the key groups it owns, one transaction per key group and epoch) KafkaSink[');
    expect(q.lastProgress?.parallelism?.sink).toMatch(/^\*\(2 threads, per task/);
    expect(q.lastProgress?.sink.numOutputRows).toBeGreaterThan(0);
    // The epochs are recorded per key group, in the transactions themselves.
    const markers = await readTopic(keyGroupMarkerTopic(`spate-${q.id}`), true);
    expect(new Set(markers.map((m) => m.partition)).size).toBeGreaterThan(1);
    expect(Math.max(...markers.map((m) => Number(m.value)))).toBe(q.lastProgress!.batchId);
  }, 120_000);

  it('moves between thread counts (2 -> 1 -> 4) without a duplicate, also when an epoch written by one count is replayed by another', async () => {
    const input = await inputTopic(0, 120);
    const reference = await newTopic('n-ref', 2);
    const moved = await newTopic('n-moved', 2);
    const refCp = checkpoint();
    const cp = checkpoint();
    const lastEpoch = (q: StreamingQuery): number => q.lastProgress!.batchId;
    const loseCommit = (epoch: number): Promise<void> => rm(join(cp, 'commits', String(epoch)));

    await runToEnd('local[1]', input, reference, refCp);
    const two = await runToEnd('local[2]', input, moved, cp);
    const written = lastEpoch(two);
    // The checkpoint loses the last commit: the epoch is replayed, and every key group skips it, under 4 threads ...
    await loseCommit(written);
    const four = await runToEnd('local[4]', input, moved, cp);
    expect([lastEpoch(four), four.lastProgress!.sink.numOutputRows]).toEqual([written, 0]);
    // ... and under one thread, which writes an epoch the threads may have written key group by key group.
    await loseCommit(written);
    const one = await runToEnd('local[1]', input, moved, cp);
    expect([lastEpoch(one), one.lastProgress!.sink.numOutputRows]).toEqual([written, 0]);

    // New input under one thread (its own transaction per epoch), then under four threads after
    // the one-thread run's last commit is lost: the threads skip the epoch that run committed.
    await inputTopic(120, 60, input);
    await runToEnd('local[1]', input, reference, refCp);
    const oneMore = await runToEnd('local[1]', input, moved, cp);
    expect(lastEpoch(oneMore)).toBeGreaterThan(written);
    await loseCommit(lastEpoch(oneMore));
    await inputTopic(180, 60, input);
    await runToEnd('local[1]', input, reference, refCp);
    const fourMore = await runToEnd('local[4]', input, moved, cp);
    expect(fourMore.recentProgress.find((p) => p.batchId === lastEpoch(oneMore))?.sink.numOutputRows).toBe(0);

    const expected = (await readAll(reference)).map(text).sort();
    expect(expected.length).toBeGreaterThan(3 * KEYS.length);
    expect((await readAll(moved)).map(text).sort()).toEqual(expected);
  }, 180_000);
});
