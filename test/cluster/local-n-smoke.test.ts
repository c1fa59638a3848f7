import { MemoryStream, Session, col, count, lit, types as T } from '../../src/index.js';
import { record } from '../support/batches.js';

describe('local[2] smoke', () => {
  it('counts words on two threads', async () => {
    const spark = Session.builder().master('local[2]').config('spate.sql.shuffle.partitions', 4).create();
    const input = new MemoryStream(spark, T.struct([T.field('word', T.string())]));
    const run = record(input.toDF().groupBy('word').agg(count(lit(1)).alias('n')), 'update');
    input.addData([{ word: 'a' }, { word: 'b' }, { word: 'a' }]);
    await run.query.processAllAvailable();
    input.addData([{ word: 'a' }, { word: 'c' }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.query.exception()).toBeNull();
    expect(run.rowsOf(0)).toEqual([{ word: 'a', n: 2 }, { word: 'b', n: 1 }]);
    expect(run.rowsOf(1)).toEqual([{ word: 'a', n: 3 }, { word: 'c', n: 1 }]);
    void col;
  });
});
