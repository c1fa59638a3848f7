// readAll (test/support/kafka.ts), the reader the Kafka tests check spate's output with: under read_committed it must hide
// every aborted record, also where two transactions interleave on a partition and the one that
// began first is aborted last (two threads' key-group transactions killed together, then fenced
// one after the other by the next run). kafkajs' consumer handed such records out as committed;
// spate's Kafka source must not either.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { endOffsets, kafka, newTopic, readAll, readTopic } from '../../support/kafka.js';

/** Waits until the partition's high watermark reaches `offset` (a transaction marker is written after EndTxn returns). */
async function highWatermarkReaches(topic: string, offset: number): Promise<void> {
  while ((await endOffsets(topic, false)).get(0)! < offset) await sleep(20);
}

describe('readAll', () => {
  const producers: Producer[] = [];
  afterAll(async () => { await Promise.all(producers.map((p) => p.disconnect())); });

  const producer = async (transactionalId?: string): Promise<Producer> => {
    const p = kafka().producer(transactionalId ? { transactionalId, idempotent: true, maxInFlightRequests: 1 } : {});
    await p.connect();
    producers.push(p);
    return p;
  };

  it('read_committed hides a transaction that began first and was aborted last; read_uncommitted shows every record', async () => {
    const topic = await newTopic('read-all', 1);
    const [first, second, third, plain] = await Promise.all([
      producer(`read-all-first-${topic}`), producer(`read-all-second-${topic}`), producer(`read-all-third-${topic}`), producer(),
    ]);
    const txFirst = await first.transaction();
    await txFirst.send({ topic, messages: [{ partition: 0, value: 'aborted, began first' }] }); // offset 0
    const txSecond = await second.transaction();
    await txSecond.send({ topic, messages: [{ partition: 0, value: 'aborted, began second' }] }); // offset 1
    await txSecond.abort();
    await highWatermarkReaches(topic, 3); // its abort marker at 2, before the first one's
    await txFirst.abort();
    await highWatermarkReaches(topic, 4);
    const txThird = await third.transaction();
    await txThird.send({ topic, messages: [{ partition: 0, value: 'committed' }] });
    await txThird.commit();
    await plain.send({ topic, messages: [{ partition: 0, value: 'no transaction' }] });

    expect((await readAll(topic)).map((m) => m.value)).toEqual(['committed', 'no transaction']);
    expect((await readAll(topic, false)).map((m) => m.value)).toEqual(['aborted, began first', 'aborted, began second', 'committed', 'no transaction']);
    // spate's own Kafka source, reading with kafka.isolation.level read_committed, sees the same.
    expect((await readTopic(topic, true)).map((m) => m.value)).toEqual(['committed', 'no transaction']);
  });
});
