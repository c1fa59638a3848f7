import { MemoryStream, col, explode, split, types as T } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { decideRestart } from '../../src/actors/restart-policy.js';
import { sortRows, testSession } from '../support/helpers.js';

describe('restart policies', () => {
  it('onFailure restarts with a growing delay until the retries are used up', () => {
    const p = { type: 'onFailure', retries: 3, intervalMs: 100, backoff: 2 } as const;
    expect([1, 2, 3, 4].map((a) => decideRestart(p, a))).toEqual([
      { restart: true, delayMs: 100 }, { restart: true, delayMs: 200 }, { restart: true, delayMs: 400 }, { restart: false, delayMs: 0 },
    ]);
    expect(decideRestart({ type: 'never' }, 1).restart).toBe(false);
    expect(decideRestart({ type: 'always', intervalMs: 5 }, 99)).toEqual({ restart: true, delayMs: 5 });
  });

  it('a query whose sink fails twice restarts from its checkpoint and its output is exactly once', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    const seen: { batchId: number; rows: Row[] }[] = [];
    let failuresLeft = 2;
    const q = input.toDF().select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count()
      .writeStream.outputMode('update')
      .restartPolicy({ type: 'onFailure', retries: 3, intervalMs: 10 })
      .foreachBatch(async (batch, batchId) => {
        const rows = await batch.collect();
        if (failuresLeft-- > 0) throw new Error('transient sink failure');
        seen.push({ batchId, rows });
      })
      .start();
    input.addData([{ value: 'a b a' }]);
    await q.processAllAvailable();
    input.addData([{ value: 'b' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(q.exception()).toBeNull();
    expect(seen.map((s) => s.batchId)).toEqual([0, 1]);
    expect(sortRows(seen[0]!.rows)).toEqual(sortRows([{ word: 'a', count: 2 }, { word: 'b', count: 1 }]));
    expect(seen[1]!.rows).toEqual([{ word: 'b', count: 2 }]);
  });

  it('a query that keeps failing gives up after its retries and reports the last error', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    let attempts = 0;
    const q = input.toDF().writeStream
      .restartPolicy({ type: 'onFailure', retries: 2, intervalMs: 5 })
      .foreachBatch(() => { attempts++; throw new Error(`attempt ${attempts} failed`); })
      .start();
    input.addData([{ value: 'x' }]);
    await expect(q.awaitTermination()).rejects.toThrow(/attempt 3 failed/);
    expect(attempts).toBe(3);
  });
});
