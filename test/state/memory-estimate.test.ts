// memoryUsedBytes: measured from the entries, so it follows both the number of rows and the
// size of what they hold.
import { MemoryStream, col, collectList, count, lit, types as T } from 'spate';
import { estimateEntriesBytes, estimateValueBytes } from '../../src/state/memory-estimate.js';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

describe('state memory estimate', () => {
  it('grows with the size of strings, arrays, objects and collections', () => {
    expect(estimateValueBytes('x'.repeat(1000))).toBeGreaterThan(estimateValueBytes('x'.repeat(10)) + 900);
    expect(estimateValueBytes([1, 2, 3, 4, 5, 6, 7, 8])).toBeGreaterThan(estimateValueBytes([1]));
    expect(estimateValueBytes({ a: 'hello', b: [1.5, 2.5], c: new Date() })).toBeGreaterThan(estimateValueBytes({ a: 1 }));
    expect(estimateValueBytes(new Set(['a', 'b', 'c']))).toBeGreaterThan(estimateValueBytes(new Set()));
    expect(estimateValueBytes(new Map([['k', 'v']]))).toBeGreaterThan(estimateValueBytes(new Map()));
    expect(estimateValueBytes(3)).toBe(0);
    expect(estimateValueBytes(1.5)).toBeGreaterThan(0);
  });

  it('scales the mean of the sample to the whole store, and is zero for an empty one', () => {
    const sample: [string, unknown][] = [['a', 'x'.repeat(100)], ['b', 'y'.repeat(300)]];
    expect(estimateEntriesBytes(1000, sample)).toBe(10 * estimateEntriesBytes(100, sample));
    expect(estimateEntriesBytes(0, [])).toBe(0);
  });

  it('reports memoryUsedBytes in progress that follows the rows and the size of their values', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('k', T.string()), T.field('text', T.string())]));
    const small = record(input.toDF().groupBy('k').agg(count(lit(1)).alias('n')), 'update');
    const large = record(input.toDF().groupBy('k').agg(collectList(col('text')).alias('texts')), 'update');
    const rows = (n: number, from: number) => Array.from({ length: n }, (_, i) => ({ k: `key-${from + i}`, text: 'lorem ipsum '.repeat(20) }));
    input.addData(rows(100, 0));
    await small.query.processAllAvailable();
    await large.query.processAllAvailable();
    const smallFirst = small.query.lastProgress!.stateOperators[0]!.memoryUsedBytes;
    const largeFirst = large.query.lastProgress!.stateOperators[0]!.memoryUsedBytes;
    input.addData(rows(300, 100));
    await small.query.processAllAvailable();
    await large.query.processAllAvailable();
    const smallSecond = small.query.lastProgress!.stateOperators[0]!.memoryUsedBytes;
    await small.query.stop();
    await large.query.stop();

    expect(smallFirst).toBeGreaterThan(100 * 64);
    expect(smallSecond / smallFirst).toBeCloseTo(4, 0);
    expect(largeFirst).toBeGreaterThan(smallFirst + 100 * 240);
  });
});
