import { MemoryStream, Session, types as T } from '../../src/index.js';
import type { LogFields, QueryRestartedEvent, StreamingQueryProgress } from '../../src/index.js';

describe('in-process restarts are visible', () => {
  it('a restarted event with the cause and the attempt, a log line, and numRestarts in progress', async () => {
    const warnings: { fields: LogFields; message: string }[] = [];
    const spark = Session.builder().appName('restarts').config('spate.sql.shuffle.partitions', 2)
      .logger({ info: () => undefined, warn: (fields, message) => warnings.push({ fields, message }) })
      .create();
    const restarts: QueryRestartedEvent[] = [];
    spark.streams.addListener({ onQueryRestarted: (e) => restarts.push(e) });
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    let failuresLeft = 2;
    const q = input.toDF().writeStream.queryName('flaky')
      .restartPolicy({ type: 'onFailure', retries: 3, intervalMs: 1, backoff: 2 })
      .foreachBatch(() => { if (failuresLeft-- > 0) throw new Error(`sink down (${2 - failuresLeft})`); })
      .start();
    input.addData([{ value: 'x' }]);
    await q.processAllAvailable();
    const progress: StreamingQueryProgress = q.lastProgress!;
    await q.stop();

    expect(restarts.map((r) => [r.attempt, r.delayMs, r.name, r.id])).toEqual([[1, 1, 'flaky', q.id], [2, 2, 'flaky', q.id]]);
    expect(restarts[0]!.cause).toMatch(/sink down \(1\)/);
    expect(restarts[1]!.cause).toMatch(/sink down \(2\)/);
    expect(restarts[0]!.error).toBeInstanceOf(Error);
    expect(warnings.map((w) => [w.message, w.fields['attempt'], w.fields['query']])).toEqual([
      ['query restarting after failure (attempt 1)', 1, 'flaky'],
      ['query restarting after failure (attempt 2)', 2, 'flaky'],
    ]);
    expect(progress.numRestarts).toBe(2);
    expect(q.numRestarts).toBe(2);
  });

  it('a query that never fails reports no restarts', async () => {
    const spark = Session.builder().appName('steady').config('spate.sql.shuffle.partitions', 2).create();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const q = input.toDF().writeStream.foreachBatch(() => undefined).start();
    input.addData([{ value: 'x' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(q.lastProgress!.numRestarts).toBe(0);
  });
});
