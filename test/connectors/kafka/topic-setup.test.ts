import { createServedTopic } from '../../../src/connectors/kafka/topic-setup.js';
import { kafka, uniqueTopic } from '../../support/kafka.js';

describe('createServedTopic', () => {
  it('lets several workers create the same topic at once: each returns once every partition is served', async () => {
    const topic = uniqueTopic('served');
    const admins = Array.from({ length: 3 }, () => kafka().admin());
    await Promise.all(admins.map((a) => a.connect()));
    try {
      await Promise.all(admins.map((a) => createServedTopic(a, topic, 6)));
      const { topics } = await admins[0]!.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(topics[0]!.partitions.every((p) => p.leader >= 0)).toBe(true);
      // An existing topic is left as it is.
      await createServedTopic(admins[1]!, topic, 6);
    } finally {
      await Promise.all(admins.map((a) => a.disconnect()));
    }
  });

  it('reports an invalid topic at once, with Kafka\'s reason', async () => {
    const admin = kafka().admin();
    await admin.connect();
    try {
      await expect(createServedTopic(admin, 'bad topic name!', 1)).rejects.toThrow(/invalid|illegal/i);
    } finally {
      await admin.disconnect();
    }
  });
});
