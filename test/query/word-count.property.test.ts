import fc from 'fast-check';
import { MemoryStream, col, explode, split, types as T } from '../../src/index.js';
import { sortRows, testSession } from '../support/helpers.js';

describe('word count invariants', () => {
  it('the incremental result equals the batch result whatever the micro-batch boundaries', async () => {
    const word = fc.constantFrom('a', 'b', 'c', 'hello', 'spark', '');
    const line = fc.array(word, { minLength: 1, maxLength: 6 }).map((ws) => ws.join(' '));
    await fc.assert(fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 20 }), fc.array(fc.nat(19), { maxLength: 5 }), async (lines, cuts) => {
      const spark = testSession();
      const schema = T.struct([T.field('value', T.string())]);
      const counts = (df: ReturnType<MemoryStream['toDF']>) => df.select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count();
      const input = new MemoryStream(spark, schema);
      const q = counts(input.toDF()).writeStream.format('memory').queryName('prop_wc').outputMode('complete').start();
      const boundaries = [...new Set(cuts.filter((c) => c < lines.length))].sort((a, b) => a - b);
      let from = 0;
      for (const cut of [...boundaries, lines.length]) {
        input.addData(lines.slice(from, cut).map((value) => ({ value })));
        await q.processAllAvailable();
        from = cut;
      }
      await q.stop();
      const incremental = sortRows(await spark.table('prop_wc').collect());
      const batch = sortRows(await counts(spark.createDataFrame(lines.map((value) => ({ value })), schema)).collect());
      expect(incremental).toEqual(batch);
    }), { numRuns: 40 });
  });
});
