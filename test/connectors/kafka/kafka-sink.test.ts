import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, Trigger, array, col, lit, struct, toJson, types as T } from '../../../src/index.js';
import type { DataFrame } from '../../../src/index.js';
import { testSession } from '../../support/helpers.js';
import { brokers, kafka, readAll, readTopic, newTopic } from '../../support/kafka.js';
import { keyGroupMarkerTopic } from '../../../src/connectors/kafka/kafka-key-group-sink.js';

const checkpoints: string[] = [];
const checkpoint = (): string => {
  const p = join(tmpdir(), `spate-kafka-sink-${randomUUID()}`);
  checkpoints.push(p);
  return p;
};
afterAll(async () => { await Promise.all(checkpoints.map((p) => rm(p, { recursive: true, force: true }))); });

/** headers: array<struct<key:string,value:binary>> */
const headersColumn = array(struct(lit('source').alias('key'), lit('spate').cast('binary').alias('value'))).alias('headers');

/** Under local[N] (the jest projects set SPATE_MASTER) the transactional sink writes per key group from the threads. */
const onThreads = /^local\[([2-9]|\d\d+|\*)\]$/.test(process.env.SPATE_MASTER ?? '');

/**
 * The epochs Kafka holds as committed by a query's transactional sink: one thread records the
 * newest in its marker group's offset; threads record each epoch per key group in a marker topic.
 */
async function markedEpochs(queryId: string): Promise<number[]> {
  if (onThreads) return [...new Set((await readTopic(keyGroupMarkerTopic(`spate-${queryId}`), true)).map((m) => Number(m.value)))].sort();
  const admin = kafka().admin();
  await admin.connect();
  const offsets = await admin.fetchOffsets({ groupId: `spate-${queryId}-epochs` });
  await admin.disconnect();
  return offsets.flatMap((t) => t.partitions.map((p) => Number(p.offset) - 1));
}

/**
 * The sink's default is at least once, as Spark's: a produce request kafkajs retries after a
 * partial failure (one topic's partition not ready on a loaded broker) writes its other rows
 * again. These tests check what is written, so they compare the distinct records.
 */
const distinct = <T>(xs: readonly T[]): T[] => [...new Map(xs.map((x) => [JSON.stringify(x), x])).values()];

const schema = T.struct([T.field('code', T.string()), T.field('qty', T.integer()), T.field('part', T.integer())]);

describe('the Kafka sink', () => {
  it('writes key, value, partition and headers columns, at least once', async () => {
    const topic = await newTopic('out');
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const q = input.toDF()
      .select(col('code').alias('key'), toJson(struct('code', 'qty')).alias('value'), col('part').alias('partition'),
        headersColumn)
      .writeStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('topic', topic)
      .option('checkpointLocation', checkpoint()).start();
    input.addData([{ code: 'A', qty: 1, part: 2 }, { code: 'B', qty: 2, part: 3 }]);
    await q.processAllAvailable();
    await q.stop();
    const out = await readAll(topic);
    expect(distinct(out.map((m) => [m.key, m.value, m.partition, m.headers['source']])).sort()).toEqual([
      ['A', '{"code":"A","qty":1}', 2, 'spate'], ['B', '{"code":"B","qty":2}', 3, 'spate'],
    ]);
    expect(q.lastProgress?.sink.description).toBe(`KafkaSink[${topic}]`);
  });

  it('takes the topic from a topic column unless the topic option overrides it', async () => {
    const a = await newTopic('a');
    const b = await newTopic('b');
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('t', T.string()), T.field('v', T.string())]));
    const q = input.toDF().select(col('t').alias('topic'), col('v').alias('value'))
      .writeStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('checkpointLocation', checkpoint()).start();
    input.addData([{ t: a, v: 'to a' }, { t: b, v: 'to b' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(distinct((await readTopic(a)).map((m) => m.value))).toEqual(['to a']);
    expect(distinct((await readTopic(b)).map((m) => m.value))).toEqual(['to b']);
  });

  it('refuses rows it cannot write, at start, with Spark\'s messages', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF();
    const sink = (d: DataFrame) => d.writeStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('checkpointLocation', checkpoint());
    expect(() => sink(df.select('code')).option('topic', 't').start()).toThrow(/Required attribute 'value' not found/);
    expect(() => sink(df.select(col('qty').alias('value'))).option('topic', 't').start()).toThrow(/value attribute type must be a string or binary/);
    expect(() => sink(df.select(col('code').alias('value'))).start())
      .toThrow("topic option required when no 'topic' attribute is present. Use the topic option for setting a topic.");
    expect(() => sink(df.select(col('code').alias('value'), col('code').alias('partition'))).option('topic', 't').start())
      .toThrow(/partition attribute type must be an int/);
    expect(() => df.select(col('code').alias('value')).writeStream.format('kafka').option('topic', 't').option('kafka.bootstrap.servers', brokers()).start())
      .toThrow(/checkpointLocation must be specified/);
    expect(() => sink(df.select(col('code').alias('value'))).option('topic', 't').option('kafka.key.serializer', 'x').start())
      .toThrow(/Kafka option 'key.serializer' is not supported/);
  });

  it('with transactional=true writes each epoch once in a transaction, across a clean restart', async () => {
    const topic = await newTopic('tx');
    const spark = testSession();
    const cp = checkpoint();
    const input = new MemoryStream(spark, schema);
    const start = () => input.toDF().select(col('code').alias('key'), col('code').alias('value'))
      .writeStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('topic', topic)
      .option('transactional', true).option('checkpointLocation', cp).start();
    let q = start();
    input.addData([{ code: 'A', qty: 1, part: 0 }]);
    await q.processAllAvailable();
    input.addData([{ code: 'B', qty: 1, part: 0 }]);
    await q.processAllAvailable();
    await q.stop();
    q = start();
    await q.processAllAvailable();
    await q.stop();
    expect((await readAll(topic)).map((m) => m.value).sort()).toEqual(['A', 'B']);
    expect(q.lastProgress).toBeNull(); // the restarted run had nothing to replay
  });

  it('skips an epoch Kafka committed when the checkpoint lost its commit', async () => {
    const topic = await newTopic('tx-skip');
    const spark = testSession();
    const cp = checkpoint();
    const input = new MemoryStream(spark, schema);
    const start = () => input.toDF().select(col('code').alias('value'))
      .writeStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('topic', topic)
      .option('transactional', true).option('checkpointLocation', cp).trigger(Trigger.ProcessingTime(0)).start();
    let q = start();
    input.addData([{ code: 'A', qty: 1, part: 0 }]);
    await q.processAllAvailable();
    await q.stop();
    await rm(join(cp, 'commits', '0'));
    q = start();
    await q.processAllAvailable();
    await q.stop();
    expect(q.lastProgress?.batchId).toBe(0);
    expect(q.lastProgress?.sink.numOutputRows).toBe(0);
    expect((await readAll(topic)).map((m) => m.value)).toEqual(['A']);
    expect(await markedEpochs(q.id)).toContain(0);
  });

  it('with transactional=true and a topic column, keeps its epoch marker on the first topic written, named in the checkpoint', async () => {
    const a = await newTopic('tx-a');
    const b = await newTopic('tx-b');
    const spark = testSession();
    const cp = checkpoint();
    const input = new MemoryStream(spark, T.struct([T.field('t', T.string()), T.field('v', T.string())]));
    const start = () => input.toDF().select(col('t').alias('topic'), col('v').alias('value'))
      .writeStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('transactional', true)
      .option('checkpointLocation', cp).trigger(Trigger.ProcessingTime(0)).start();
    let q = start();
    input.addData([{ t: a, v: 'to a' }, { t: b, v: 'to b' }]);
    await q.processAllAvailable();
    await q.stop();
    if (onThreads) expect(await markedEpochs(q.id)).toEqual([0]); // per key group, in the marker topic of its own
    else expect(readFileSync(join(cp, 'sink', 'kafka-epoch-marker-topic'), 'utf8')).toBe(a);
    await rm(join(cp, 'commits', '0'));
    q = start();
    await q.processAllAvailable();
    await q.stop();
    expect(q.lastProgress?.sink.numOutputRows).toBe(0); // epoch 0 re-ran, and the sink knew Kafka had it
    expect((await readAll(a)).map((m) => m.value)).toEqual(['to a']);
    expect((await readAll(b)).map((m) => m.value)).toEqual(['to b']);
  });
});
