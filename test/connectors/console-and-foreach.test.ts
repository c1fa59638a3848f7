import { MemoryStream, col, explode, split, types as T } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { captureStdout, testSession } from '../support/helpers.js';

const lines = T.struct([T.field('value', T.string())]);

describe('the console sink', () => {
  it('prints Spark\'s Batch: N banner and table after every batch', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const out = await captureStdout(async () => {
      const q = input.toDF().select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count()
        .writeStream.format('console').outputMode('complete').start();
      input.addData([{ value: 'hello hello' }]);
      await q.processAllAvailable();
      await q.stop();
    });
    expect(out).toBe([
      '-------------------------------------------',
      'Batch: 0',
      '-------------------------------------------',
      '+-----+-----+',
      '| word|count|',
      '+-----+-----+',
      '|hello|    2|',
      '+-----+-----+',
      '',
      '',
    ].join('\n'));
  });

  it('shows numRows rows and truncates long values unless told not to', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const out = await captureStdout(async () => {
      const q = input.toDF().writeStream.format('console').option('numRows', 2).start();
      input.addData([{ value: 'a'.repeat(30) }, { value: 'b' }, { value: 'c' }]);
      await q.processAllAvailable();
      await q.stop();
    });
    expect(out).toContain(`|${'a'.repeat(17)}...|`);
    expect(out).toContain('only showing top 2 rows');
    expect(out).not.toContain('|                   c|');
  });
});

describe('the foreach sink', () => {
  it('calls open, process for each row, and close per epoch', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const calls: string[] = [];
    const q = input.toDF().writeStream.foreach({
      open: (partitionId, epochId) => { calls.push(`open ${partitionId} ${epochId}`); return true; },
      process: (row: Row) => { calls.push(`process ${String(row['value'])}`); },
      close: (error) => { calls.push(`close ${error === null ? 'ok' : 'error'}`); },
    }).start();
    input.addData([{ value: 'x' }, { value: 'y' }]);
    await q.processAllAvailable();
    input.addData([{ value: 'z' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(calls).toEqual(['open 0 0', 'process x', 'process y', 'close ok', 'open 0 1', 'process z', 'close ok']);
  });

  it('skips the rows of an epoch whose open returned false, and still closes it', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, lines);
    const processed: unknown[] = [];
    let closes = 0;
    const q = input.toDF().writeStream.foreach({
      open: (_p, epoch) => epoch !== 0,
      process: (row: Row) => { processed.push(row['value']); },
      close: () => { closes++; },
    }).start();
    input.addData([{ value: 'skipped' }]);
    await q.processAllAvailable();
    input.addData([{ value: 'kept' }]);
    await q.processAllAvailable();
    await q.stop();
    expect(processed).toEqual(['kept']);
    expect(closes).toBe(2);
  });
});
