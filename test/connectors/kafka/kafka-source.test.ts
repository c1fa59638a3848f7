import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Trigger, col, fromAvro, fromJson, types as T } from '../../../src/index.js';
import type { Row, StreamingQuery } from '../../../src/index.js';
import { eventually, sortRows, testSession } from '../../support/helpers.js';
import { brokers, createTopic, kafka, newTopic, produce, uniqueTopic } from '../../support/kafka.js';

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

  it('reads after a restart from exactly the offsets its checkpoint recorded', async () => {
    const topic = await newTopic('restart', 2);
    await produce(topic, [...['a0', 'a1', 'a2', 'a3'].map((value) => ({ value, partition: 0 })), ...['b0', 'b1'].map((value) => ({ value, partition: 1 }))]);
    const spark = testSession();
    const cp = checkpoint();
    const run = (seen: Row[]): StreamingQuery => source(spark, { subscribe: topic, startingOffsets: 'earliest', maxOffsetsPerTrigger: 4 })
      .select(col('value').cast('string').alias('v'), 'partition', 'offset')
      .writeStream.option('checkpointLocation', cp).trigger(Trigger.AvailableNow())
      .foreachBatch(async (b) => { seen.push(...await b.collect()); }).start();
    await run([]).awaitTermination();
    const epochs = readdirSync(join(cp, 'offsets')).map(Number).sort((a, b) => a - b);
    const recorded = JSON.parse(readFileSync(join(cp, 'offsets', String(epochs.at(-1))), 'utf8').split('\n')[2]!) as unknown;
    expect(recorded).toEqual({ [topic]: { 0: 4, 1: 2 } });

    await produce(topic, [{ value: 'a4', partition: 0 }, { value: 'b2', partition: 1 }, { value: 'b3', partition: 1 }]);
    const after: Row[] = [];
    const restarted = run(after);
    await restarted.awaitTermination();
    expect(restarted.recentProgress[0]!.sources[0]!.startOffset).toEqual(recorded);
    expect(sortRows(after)).toEqual(sortRows([
      { v: 'a4', partition: 0, offset: 4 }, { v: 'b2', partition: 1, offset: 2 }, { v: 'b3', partition: 1, offset: 3 },
    ]));
  });

  describe('loses data and follows failOnDataLoss', () => {
    /** The query's rows and the data-loss warnings of one AvailableNow run over `topic`. */
    async function runOnce(topic: string, cp: string, failOnDataLoss: boolean): Promise<{ rows: string[]; warnings: string[]; error: Error | null }> {
      const rows: string[] = [];
      const warnings: string[] = [];
      const warn = jest.spyOn(process, 'emitWarning').mockImplementation((w: string | Error, type?: unknown) => {
        if (type === 'DataLossWarning') warnings.push(String(w));
      });
      try {
        const q = source(testSession(), { subscribe: topic, startingOffsets: 'earliest', failOnDataLoss })
          .select(col('value').cast('string').alias('v'))
          .writeStream.option('checkpointLocation', cp).trigger(Trigger.AvailableNow())
          .foreachBatch(async (b) => { for (const r of await b.collect()) rows.push(r['v'] as string); }).start();
        const error = await q.awaitTermination().then(() => null, (e: Error) => e);
        return { rows, warnings, error };
      } finally {
        warn.mockRestore();
      }
    }

    it('when the topic was deleted, and when it was recreated with fewer records', async () => {
      const topic = await newTopic('recreated', 2);
      await produce(topic, ['a0', 'a1', 'a2', 'a3', 'a4'].map((value) => ({ value, partition: 0 })));
      const [failing, going] = [checkpoint(), checkpoint()];
      expect((await runOnce(topic, failing, true)).rows).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);
      expect((await runOnce(topic, going, false)).rows).toEqual(['a0', 'a1', 'a2', 'a3', 'a4']);

      const admin = kafka().admin();
      await admin.connect();
      try {
        await admin.deleteTopics({ topics: [topic] });
        await eventually(async () => !(await admin.listTopics()).includes(topic), 'the topic to be deleted');
      } finally {
        await admin.disconnect();
      }
      const gone = await runOnce(topic, failing, true);
      expect(gone.error?.message).toContain(`(${topic}-0: the partition is gone (was the topic deleted?): records it had from offset 5 on are lost)`);
      expect(gone.error?.message).toContain('set the source option "failOnDataLoss" to "false"');

      await eventually(async () => createTopic(topic, 2).then(() => true, () => false), 'the topic to be created again');
      await produce(topic, ['b0', 'b1'].map((value) => ({ value, partition: 0 })));
      const wentBack = `${topic}-0: its offsets went back from 5 to 2 (was the topic deleted and recreated?): ` +
        'records the partition had from offset 5 on are lost, and records it has now before offset 2 are skipped';
      expect((await runOnce(topic, failing, true)).error?.message).toContain(wentBack);

      const warned = await runOnce(topic, going, false);
      expect(warned.error).toBeNull();
      expect(warned.rows).toEqual([]);
      expect(warned.warnings).toEqual([expect.stringContaining(wentBack)]);
      await produce(topic, [{ value: 'b2', partition: 0 }]);
      expect(await runOnce(topic, going, false)).toEqual({ rows: ['b2'], warnings: [], error: null });
    });

    it('when retention deleted offsets the query had not read yet', async () => {
      const topic = await newTopic('retention', 1);
      await produce(topic, ['r0', 'r1', 'r2', 'r3'].map((value) => ({ value })));
      const [failing, going] = [checkpoint(), checkpoint()];
      await runOnce(topic, failing, true);
      await runOnce(topic, going, false);
      await produce(topic, ['r4', 'r5', 'r6', 'r7', 'r8', 'r9'].map((value) => ({ value })));
      // What retention does to old segments, done at once: the partition now starts at offset 7.
      const admin = kafka().admin();
      await admin.connect();
      try {
        await admin.fetchTopicMetadata({ topics: [topic] }); // deleteTopicRecords needs the topic's metadata loaded
        await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '7' }] });
      } finally {
        await admin.disconnect();
      }

      const lost = `${topic}-0: offsets 4 to 6 were deleted; the partition now starts at 7`;
      const failed = await runOnce(topic, failing, true);
      expect(failed.error?.message).toContain(lost);
      expect(failed.rows).toEqual([]);
      const warned = await runOnce(topic, going, false);
      expect(warned).toEqual({ rows: ['r7', 'r8', 'r9'], warnings: [expect.stringContaining(lost)], error: null });
    });
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
