// The watermark per Kafka partition (withWatermark's perPartition and idleTimeout) against a
// Kafka cluster, on a simulated clock: the source marks each chunk with its partition, the
// stream's watermark is its slowest active partition's, and a partition that went quiet stops
// holding it back.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { col, count, fromJson, lit, window, types as T } from '../../../src/index.js';
import { at, record } from '../../support/batches.js';
import { testSession } from '../../support/helpers.js';
import { brokers, newTopic, produce } from '../../support/kafka.js';

const dir = join(tmpdir(), `spate-kafka-wm-${randomUUID()}`);
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const event = (hhmm: string, partition: number) => ({ value: JSON.stringify({ ts: at(hhmm).toISOString() }), partition });

describe('withWatermark perPartition over Kafka', () => {
  it('holds the stream at its slowest partition, then lets a quiet partition go idle so the window closes', async () => {
    const topic = await newTopic('wm', 2);
    await produce(topic, [event('10:00', 0), event('10:02', 1)]);
    const clock = new SimulatedClock();
    clock.set(Date.parse('2024-01-01T12:00:00Z'));
    const spark = testSession();
    const windows = spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers())
      .option('subscribe', topic).option('startingOffsets', 'earliest').load()
      .select(fromJson(col('value').cast('string'), T.struct([T.field('ts', T.timestamp())])).alias('e')).select('e.ts')
      .withWatermark('ts', '10 minutes', { perPartition: true, idleTimeout: '1 minute' })
      .groupBy(window(col('ts'), '10 minutes')).agg(count(lit(1)).alias('n')).select('window.start', 'n');
    const run = record(windows, 'append', (w) => w.clock(clock).option('checkpointLocation', dir));
    await run.query.processAllAvailable();

    clock.increment(30_000);
    await produce(topic, [event('10:25', 0)]);
    await run.query.processAllAvailable();
    // Partition 0 is at 10:15 but partition 1 at 09:52 holds the stream: [10:00, 10:10) stays open.
    expect(run.batches.flatMap((b) => b.rows)).toEqual([]);
    const partitions = () => run.query.lastProgress!.watermarks![0]!.partitions!.map((p) => [p.partition, p.watermark, p.idle]);
    expect(partitions()).toEqual([[`${topic}-0`, at('10:15').toISOString(), false], [`${topic}-1`, at('09:52').toISOString(), false]]);
    expect(run.query.lastProgress!.watermarks![0]!.partitions![0]!.source).toBe(`KafkaV2[Subscribe[${topic}]]`);

    // A minute after its last record, partition 1 is idle: the window is final.
    clock.increment(31_000);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.batches.flatMap((b) => b.rows)).toEqual([{ start: at('10:00'), n: 2 }]);
    expect(partitions()).toEqual([[`${topic}-0`, at('10:15').toISOString(), false], [`${topic}-1`, at('09:52').toISOString(), true]]);
  });
});
