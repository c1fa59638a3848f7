// startingBatchLimit on the Kafka source: the backlog a run finds when it first plans is read
// in batches of at most that many offsets (split over partitions by lag, as
// maxOffsetsPerTrigger), then batches are unbounded; a restart catches up the same way.
// Progress shows what is left in records and in seconds of event time (record timestamps).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import type { StreamingQuery } from '../../../src/index.js';
import { testSession } from '../../support/helpers.js';
import { brokers, newTopic, produce } from '../../support/kafka.js';

const dir = join(tmpdir(), `spate-kafka-catchup-${randomUUID()}`);
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const PRODUCED_AT = Date.UTC(2024, 0, 1);
/** `n` records spread over partitions 0 and 1, all stamped PRODUCED_AT. */
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${i}`, partition: i % 2, timestamp: String(PRODUCED_AT) }));

describe('the Kafka source with startingBatchLimit', () => {
  it('reads the backlog at a cold start and after a restart in bounded batches, and new records at once', async () => {
    const topic = await newTopic('catchup', 2);
    await produce(topic, records(10));
    const clock = new SimulatedClock();
    clock.set(PRODUCED_AT + 3_600_000);
    const start = (): StreamingQuery => testSession().readStream.format('kafka').option('kafka.bootstrap.servers', brokers())
      .option('subscribe', topic).option('startingOffsets', 'earliest').option('startingBatchLimit', 4).load()
      .writeStream.format('memory').queryName(`catchup_${randomUUID().slice(0, 8)}`).option('checkpointLocation', dir).clock(clock).start();
    const sizes = (q: StreamingQuery): number[] => q.recentProgress.map((p) => p.numInputRows).filter((n) => n > 0);

    const first = start();
    await first.processAllAvailable();
    expect(sizes(first)).toEqual([4, 4, 2]);
    const data = first.recentProgress.filter((p) => p.numInputRows > 0);
    // An hour behind while a backlog remains (the records were stamped an hour before the clock).
    expect(data.map((p) => p.sources[0]!.backlog)).toEqual([{ records: 6, seconds: 3600 }, { records: 2, seconds: 3600 }, { records: 0, seconds: 0 }]);

    await produce(topic, records(3));
    await first.processAllAvailable();
    await first.stop();
    expect(sizes(first)).toEqual([4, 4, 2, 3]);

    // Down for a while: seven more records wait (four on partition 0, three on 1). The restart
    // catches up in bounded batches again: the first takes floor(4·4/7) + floor(4·3/7) = 3.
    await produce(topic, records(7));
    const second = start();
    await second.processAllAvailable();
    await second.stop();
    expect(sizes(second)).toEqual([3, 4]);
  });
});
