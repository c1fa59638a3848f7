import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Trigger, col, fromAvro, fromJson, types as T } from '../../../src/index.js';
import type { Row, StreamingQuery } from '../../../src/index.js';
import { eventually, sortRows, testSession } from '../../support/helpers.js';
import { brokers, createTopic, newTopic, produce, uniqueTopic } from '../../support/kafka.js';

const checkpoints: string[] = [];
const checkpoint = (): string => {
  const p = join(tmpdir(), `spate-kafka-${randomUUID()}`);
  checkpoints.push(p);
  return p;
};
afterAll(async () => { await Promise.all(checkpoints.map((p) => rm(p, { recursive: true, force: true }))); });

function source(spark: ReturnType<typeof testSession>, options: Record<string, string | number | boolean>) {
  return spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers()).options(options).load();
}

const text = (b: unknown): string | null => (b === null ? null : (b as Buffer).toString('utf8'));

describe('the Kafka source', () => {
  it('reads every record from earliest with its key, value, coordinates, timestamp and headers', async () => {
    const topic = await newTopic();
    await produce(topic, [
      { key: 'k1', value: 'v1', partition: 0, headers: { h: 'x' } },
      { key: null, value: 'v2', partition: 0 },
      { key: 'k3', value: null, partition: 2 },
    ]);
    const spark = testSession();
    const q = source(spark, { subscribe: topic, startingOffsets: 'earliest', includeHeaders: true })
      .writeStream.format('memory').queryName('kafka_rows').option('checkpointLocation', checkpoint()).start();
    await q.processAllAvailable();
    await q.stop();
    const rows = await spark.table('kafka_rows').collect();
    expect(rows.map((r) => ({ key: text(r['key']), value: text(r['value']), topic: r['topic'], partition: r['partition'], offset: r['offset'], timestampType: r['timestampType'], headers: (r['headers'] as { key: string; value: Buffer }[]).map((h) => `${h.key}=${text(h.value)}`) })))
      .toEqual([
        { key: 'k1', value: 'v1', topic, partition: 0, offset: 0, timestampType: 0, headers: ['h=x'] },
        { key: null, value: 'v2', topic, partition: 0, offset: 1, timestampType: 0, headers: [] },
        { key: 'k3', value: null, topic, partition: 2, offset: 0, timestampType: 0, headers: [] },
      ]);
    expect(rows.every((r) => r['timestamp'] instanceof Date)).toBe(true);
    expect(q.lastProgress?.sources[0]?.endOffset).toEqual({ [topic]: { 0: 2, 1: 0, 2: 1, 3: 0 } });
    expect(q.lastProgress?.sources[0]?.description).toBe(`KafkaV2[Subscribe[${topic}]]`);
  });

  it('starts at the latest offsets by default, and at per-partition offsets given as JSON (-2 earliest, -1 latest)', async () => {
    const topic = await newTopic();
    await produce(topic, [{ value: 'old0', partition: 0 }, { value: 'old1', partition: 1 }, { value: 'old1b', partition: 1 }]);
    const spark = testSession();
    const latest = source(spark, { subscribe: topic }).select(col('value').cast('string').alias('v'))
      .writeStream.format('memory').queryName('from_latest').option('checkpointLocation', checkpoint()).start();
    const given = source(spark, { subscribe: topic, startingOffsets: JSON.stringify({ [topic]: { 0: -2, 1: 1, 2: -1, 3: -1 } }) })
      .select(col('value').cast('string').alias('v'))
      .writeStream.format('memory').queryName('from_given').option('checkpointLocation', checkpoint()).start();
    await latest.processAllAvailable();
    await given.processAllAvailable();
    await produce(topic, [{ value: 'new', partition: 3 }]);
    await latest.processAllAvailable();
    await given.processAllAvailable();
    await latest.stop();
    await given.stop();
    expect(await spark.table('from_latest').collect()).toEqual([{ v: 'new' }]);
    expect(sortRows(await spark.table('from_given').collect())).toEqual(sortRows([{ v: 'old0' }, { v: 'old1b' }, { v: 'new' }]));
  });

  it('splits maxOffsetsPerTrigger across partitions by lag, and AvailableNow ends once the records present at start are read', async () => {
    const topic = await newTopic();
    await produce(topic, [
      ...Array.from({ length: 30 }, (_, i) => ({ value: `a${i}`, partition: 0 })),
      ...Array.from({ length: 10 }, (_, i) => ({ value: `b${i}`, partition: 1 })),
    ]);
    const spark = testSession();
    const q = source(spark, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 8 })
      .writeStream.format('memory').queryName('limited').trigger(Trigger.AvailableNow()).option('checkpointLocation', checkpoint()).start();
    await q.awaitTermination();
    const ends = q.recentProgress.map((p) => p.sources[0]!.endOffset as Record<string, Record<string, number>>);
    expect(ends[0]).toEqual({ [topic]: { 0: 6, 1: 2, 2: 0, 3: 0 } });
    expect(q.recentProgress.map((p) => p.numInputRows).reduce((a, b) => a + b, 0)).toBe(40);
    expect(q.recentProgress.every((p) => p.numInputRows <= 8)).toBe(true);
    expect((await spark.table('limited').collect()).length).toBe(40);
  });

  it('waits for minOffsetsPerTrigger records, or until maxTriggerDelay has passed', async () => {
    const topic = await newTopic();
    await produce(topic, [{ value: 'x', partition: 0 }]);
    const spark = testSession();
    const q = source(spark, { subscribe: topic, startingOffsets: 'earliest', minOffsetsPerTrigger: 3, maxTriggerDelay: '1 hour' })
      .writeStream.format('memory').queryName('min_offsets').option('checkpointLocation', checkpoint()).start();
    await q.processAllAvailable();
    expect(q.recentProgress.length).toBe(0);
    await produce(topic, [{ value: 'y', partition: 1 }, { value: 'z', partition: 2 }]);
    await q.processAllAvailable();
    await q.stop();
    expect(q.recentProgress.map((p) => p.numInputRows)).toEqual([3]);

    const delayed = source(spark, { subscribe: topic, startingOffsets: 'earliest', minOffsetsPerTrigger: 100, maxTriggerDelay: '300 milliseconds' })
      .writeStream.format('memory').queryName('min_offsets_delayed').option('checkpointLocation', checkpoint()).start();
    await eventually(() => delayed.recentProgress.length > 0, 'the batch after maxTriggerDelay');
    await delayed.stop();
    expect(delayed.recentProgress[0]!.numInputRows).toBe(3);
  });

  it('re-reads exactly the recorded ranges when a batch is replayed after its commit was lost', async () => {
    const topic = await newTopic();
    await produce(topic, Array.from({ length: 20 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })));
    const spark = testSession();
    const cp = checkpoint();
    const seen: { id: number; rows: Row[] }[] = [];
    const run = (): StreamingQuery => source(spark, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 12 })
      .select(col('value').cast('string').alias('v'), 'partition', 'offset')
      .writeStream.option('checkpointLocation', cp).trigger(Trigger.AvailableNow())
      .foreachBatch(async (b, id) => { seen.push({ id, rows: await b.collect() }); }).start();
    await run().awaitTermination();
    expect(seen.map((s) => s.rows.length)).toEqual([12, 8]);
    await produce(topic, [{ value: 'later', partition: 0 }]);
    await rm(join(cp, 'commits', '1'));
    const q = run();
    await q.awaitTermination();
    expect(seen.map((s) => s.id)).toEqual([0, 1, 1, 2]);
    expect(sortRows(seen[2]!.rows)).toEqual(sortRows(seen[1]!.rows));
    expect(seen[3]!.rows.map((r) => r['v'])).toEqual(['later']);
  });

  it('picks up topics that appear later under subscribePattern, from their earliest offset', async () => {
    const prefix = uniqueTopic('orders');
    await createTopic(`${prefix}-a`);
    await produce(`${prefix}-a`, [{ value: 'a1', partition: 0 }]);
    const spark = testSession();
    const q = source(spark, { subscribePattern: `${prefix}-.*`, startingOffsets: 'earliest' }).select(col('topic'), col('value').cast('string').alias('v'))
      .writeStream.format('memory').queryName('by_pattern').option('checkpointLocation', checkpoint()).start();
    await q.processAllAvailable();
    await createTopic(`${prefix}-b`);
    await createTopic(`other-${prefix}`);
    await produce(`${prefix}-b`, [{ value: 'b1', partition: 1 }, { value: 'b2', partition: 1 }]);
    await produce(`other-${prefix}`, [{ value: 'not me', partition: 0 }]);
    await q.processAllAvailable();
    await q.stop();
    expect(sortRows(await spark.table('by_pattern').collect())).toEqual(sortRows([
      { topic: `${prefix}-a`, v: 'a1' }, { topic: `${prefix}-b`, v: 'b1' }, { topic: `${prefix}-b`, v: 'b2' },
    ]));
  });

  it('reads only the assigned partitions, and statically from startingOffsets to endingOffsets', async () => {
    const topic = await newTopic();
    await produce(topic, Array.from({ length: 8 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })));
    const spark = testSession();
    const q = source(spark, { assign: JSON.stringify({ [topic]: [1, 3] }), startingOffsets: 'earliest' })
      .select(col('value').cast('string').alias('v'))
      .writeStream.format('memory').queryName('assigned').option('checkpointLocation', checkpoint()).start();
    await q.processAllAvailable();
    await q.stop();
    expect((await spark.table('assigned').collect()).map((r) => r['v']).sort()).toEqual(['m1', 'm3', 'm5', 'm7']);
    const batch = await spark.read.format('kafka').option('kafka.bootstrap.servers', brokers()).option('subscribe', topic)
      .option('endingOffsets', JSON.stringify({ [topic]: { 0: 1, 1: -1, 2: 0, 3: 0 } })).load().collect();
    expect(batch.map((r) => text(r['value'])).sort()).toEqual(['m0', 'm1', 'm5']);
  });

  it('fails on offsets that are gone unless failOnDataLoss is false', async () => {
    const topic = await newTopic();
    await produce(topic, [{ value: 'x', partition: 0 }]);
    const spark = testSession();
    const q = source(spark, { subscribe: topic, startingOffsets: JSON.stringify({ [topic]: { 0: 50, 1: -1, 2: -1, 3: -1 } }) })
      .writeStream.format('memory').queryName('lost').option('checkpointLocation', checkpoint()).start();
    await expect(q.awaitTermination()).rejects.toThrow(/Some data may have been lost.*failOnDataLoss/s);
  });

  it('refuses Spark\'s rejected options and a missing strategy when the stream is defined', () => {
    const spark = testSession();
    const base = () => spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers());
    expect(() => base().load()).toThrow('One of the following options must be specified for Kafka source: assign, subscribe, subscribePattern. See the docs for more details.');
    expect(() => base().option('subscribe', 'a').option('assign', '{"a":[0]}').load()).toThrow(/Only one of the following options can be specified/);
    expect(() => base().option('subscribe', 'a').option('kafka.auto.offset.reset', 'earliest').load()).toThrow(/Kafka option 'auto.offset.reset' is not supported/);
    expect(() => base().option('subscribe', 'a').option('kafka.value.deserializer', 'x').load()).toThrow(/Kafka option 'value.deserializer' is not supported/);
    expect(() => base().option('subscribe', 'a').option('kafka.enable.auto.commit', 'true').load()).toThrow("Kafka option 'enable.auto.commit' is not supported");
    expect(() => base().option('subscribe', 'a').option('endingOffsets', 'latest').load()).toThrow('ending offset not valid in streaming queries');
    expect(() => spark.readStream.format('kafka').option('subscribe', 'a').load()).toThrow("Option 'kafka.bootstrap.servers' must be specified for configuring Kafka consumer");
  });
});

describe('bad Kafka records', () => {
  const schema = T.struct([T.field('id', T.integer()), T.field('name', T.string())]);

  async function topicWithOneBadRecord(): Promise<string> {
    const topic = await newTopic('bad');
    await produce(topic, [
      { value: '{"id":1,"name":"a"}', partition: 0 },
      { value: 'this is not json', partition: 0 },
      { value: '{"id":3,"name":"c"}', partition: 0 },
    ]);
    return topic;
  }

  it('give nulls with PERMISSIVE, are dropped and counted with DROPMALFORMED', async () => {
    const topic = await topicWithOneBadRecord();
    const spark = testSession();
    const parsed = (mode: 'PERMISSIVE' | 'DROPMALFORMED', name: string) => source(spark, { subscribe: topic, startingOffsets: 'earliest' })
      .select(fromJson(col('value').cast('string'), schema, { mode }).alias('r')).select('r.*')
      .writeStream.format('memory').queryName(name).option('checkpointLocation', checkpoint()).start();
    const permissive = parsed('PERMISSIVE', 'bad_permissive');
    const dropped = parsed('DROPMALFORMED', 'bad_dropped');
    await permissive.processAllAvailable();
    await dropped.processAllAvailable();
    await permissive.stop();
    await dropped.stop();
    expect(await spark.table('bad_permissive').collect()).toEqual([{ id: 1, name: 'a' }, { id: null, name: null }, { id: 3, name: 'c' }]);
    expect(await spark.table('bad_dropped').collect()).toEqual([{ id: 1, name: 'a' }, { id: 3, name: 'c' }]);
    expect(dropped.lastProgress?.numMalformedRowsDropped).toBe(1);
  });

  it('fail the query with FAILFAST, naming topic, partition and offset, for JSON and for Avro', async () => {
    const topic = await topicWithOneBadRecord();
    const spark = testSession();
    const json = source(spark, { subscribe: topic, startingOffsets: 'earliest' })
      .select(fromJson(col('value').cast('string'), schema, { mode: 'FAILFAST' }).alias('r'))
      .writeStream.format('memory').queryName('bad_failfast').option('checkpointLocation', checkpoint()).start();
    await expect(json.awaitTermination()).rejects.toThrow(`(record at topic ${topic}, partition 0, offset 1)`);
    await expect(json.awaitTermination()).rejects.toThrow(/from_json\(\) met a malformed record/);

    const avsc = readFileSync(join(__dirname, '../../../examples/schemas/invoice-item.avsc'), 'utf8');
    const avro = source(spark, { subscribe: topic, startingOffsets: 'earliest' })
      .select(fromAvro(col('value'), avsc).alias('r'))
      .writeStream.format('memory').queryName('bad_avro').option('checkpointLocation', checkpoint()).start();
    await expect(avro.awaitTermination()).rejects.toThrow(new RegExp(`Malformed records are detected in record parsing.*\\(record at topic ${topic}, partition 0, offset 0\\)`, 's'));
  });
});
