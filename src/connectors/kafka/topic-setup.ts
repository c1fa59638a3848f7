// Creating a topic spate needs (a cluster query's repartition topic, a sink's marker topic) and
// waiting until the broker serves every partition of it. kafkajs' own wait (waitForLeaders)
// gives up when the broker's metadata does not know the new topic yet, which happens on a
// loaded machine or when several workers start at once (one creates, the others find it
// existing but not served yet); a worker must not die of that at start.
import type { Admin } from 'kafkajs';
import { ConnectorError } from '../../errors.js';

/** How long a topic may take to be served after its creation before we give up. */
const SERVED_WITHIN_MS = 120_000;
const POLL_MS = 100;

const retriable = (e: unknown): boolean => (e as { retriable?: boolean }).retriable === true ||
  /does not host this topic-partition|leader|not available/i.test(String(e));

/** kafkajs reports a failed creation as "Topic creation errors" with the broker's answers inside. */
const reasons = (e: unknown): string => {
  const inner = (e as { errors?: readonly { message?: string }[] }).errors;
  return inner?.length ? inner.map((x) => x.message ?? String(x)).join('; ') : (e as Error).message;
};

/** Creates `topic` with `partitions` partitions unless it exists, then waits until each of its partitions has a leader. */
export async function createServedTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + SERVED_WITHIN_MS;
  let last: unknown = null;
  for (let created = false; Date.now() < deadline; await new Promise((r) => setTimeout(r, POLL_MS))) {
    try {
      if (!created) {
        await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
        created = true;
      }
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const served = topics[0]?.partitions ?? [];
      if (served.length > 0 && served.every((p) => p.leader >= 0)) return;
    } catch (e) {
      if (!retriable(e)) {
        throw new ConnectorError(`cannot create the Kafka topic ${topic} (${partitions} partitions): ${reasons(e)}`, { cause: e });
      }
      last = e;
    }
  }
  throw new ConnectorError(`the Kafka topic ${topic} was not served by the brokers within ${SERVED_WITHIN_MS / 1000} s of its creation` +
    `${last ? ` (last answer: ${(last as Error).message})` : ''}; check that the brokers are up and can create topics`, { retriable: true });
}
