// deleteClusterTopics() against the test run's real Kafka broker and Redis: after a cluster
// query ran (one worker in this process, a Kafka sink), the repartition topic, the sink's
// epoch-marker topic and the consumer group exist; deleting them is refused while the worker
// runs, and once it stopped they are gone (and a second call finds nothing to delete).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { DataStreamWriter } from '../../../src/index.js';
import { Session, deleteClusterTopics, startWorker } from '../../../src/index.js';
import { ClusterKeys } from '../../../src/cluster/group/fencing.js';
import { consumerGroupOf, repartitionTopicOf, sinkMarkerTopicsOf } from '../../../src/cluster/group/cluster-topics.js';
import { eventually, PATIENCE_MS } from '../../support/helpers.js';
import { brokers, createTopic, kafka, produce, uniqueTopic } from '../../support/kafka.js';
import { deleteRedisPrefix } from '../../support/redis-keys.js';
import { wordCount } from './queries.js';

jest.setTimeout(900_000);

const redisUrl = (): string => process.env['REDIS_URL']!;

it("deletes a stopped query's repartition topic, marker topic and consumer group, never a running one's", async () => {
  const input = uniqueTopic('topics-in');
  const output = uniqueTopic('topics-out');
  await createTopic(input, 2);
  await createTopic(output, 1);
  const prefix = `cluster-topics-${randomUUID().slice(0, 8)}`;
  const redis = new Redis(redisUrl());
  const admin = kafka().admin();
  await admin.connect();
  try {
    const spark = Session.builder().appName('cluster-topics').config('spate.sql.shuffle.partitions', 4).create();
    const writer = (): DataStreamWriter => wordCount(spark, { brokers: brokers(), input, maxOffsetsPerTrigger: 100 }).writeStream
      .format('kafka').option('kafka.bootstrap.servers', brokers()).option('topic', output)
      .option('checkpointLocation', `${redisUrl()}/0/${prefix}`).outputMode('update');
    const worker = await startWorker(writer(), { workerId: 'only', sessionTimeoutMs: 6000 });
    await produce(input, [{ value: 'a b a', partition: 0 }, { value: 'b c', partition: 1 }]);
    const keys = new ClusterKeys(prefix);
    await eventually(async () => (await redis.get(keys.committed)) !== null, 'an epoch committed', PATIENCE_MS);
    const made = [repartitionTopicOf(prefix), sinkMarkerTopicsOf(prefix).tasks];
    expect((await admin.listTopics()).filter((t) => made.includes(t)).sort()).toEqual([...made].sort());

    await expect(deleteClusterTopics(writer())).rejects.toThrow(/consumer group spate-cluster-cluster-topics-\w+ has 1 member\(s\): stop every worker of the query/);
    expect((await admin.listTopics()).filter((t) => made.includes(t)).length).toBe(2);

    await worker.stop();
    const deleted = await deleteClusterTopics(writer());
    expect([...deleted].sort()).toEqual([consumerGroupOf(prefix), ...made].sort());
    await eventually(async () => (await admin.listTopics()).filter((t) => made.includes(t)).length === 0, 'the topics gone', PATIENCE_MS);
    const { groups } = await admin.describeGroups([consumerGroupOf(prefix)]);
    expect(groups[0]?.state).toBe('Dead');
    // The user's own topics are left alone; nothing is left to delete.
    expect((await admin.listTopics()).filter((t) => t === input || t === output).length).toBe(2);
    expect(await deleteClusterTopics(writer())).toEqual([]);
  } finally {
    await admin.disconnect();
    redis.disconnect();
    await deleteRedisPrefix(redisUrl(), prefix);
  }
});
