// What a plain-JavaScript caller gets for an argument of the wrong type, which TypeScript would
// have caught: an error naming the method, the argument and the forms it takes (never a silent
// misreading, such as a trigger string running one batch, nor a TypeError from deep inside).
import { MemoryStream, Trigger, col, window, types as T } from '../../src/index.js';
import type { DataFrame } from '../../src/index.js';
import { AnalysisError } from '../../src/errors.js';
import { testSession } from '../support/helpers.js';

/** Calls `fn` as JavaScript would, with any value. */
const js = <T>(v: unknown): T => v as T;

const schema = T.struct([T.field('word', T.string()), T.field('ts', T.timestamp())]);
function frame(): { df: DataFrame; input: MemoryStream<Record<string, unknown>> } {
  const spark = testSession();
  const input = new MemoryStream(spark, schema as never) as MemoryStream<Record<string, unknown>>;
  return { df: input.toDF(), input };
}

const refuses = (fn: () => unknown, message: string | RegExp): void => {
  expect(fn).toThrow(AnalysisError);
  expect(fn).toThrow(message);
};

describe('arguments of the wrong type', () => {
  it('trigger(): a string or PySpark\'s keyword form, with what to write instead', () => {
    const w = frame().df.writeStream.format('console');
    refuses(() => w.trigger(js('1 minute')),
      "trigger(): the trigger must be a Trigger: Trigger.ProcessingTime('1 minute'), Trigger.AvailableNow(), Trigger.Once() or Trigger.Continuous('1 second'), got the string '1 minute'; write trigger(Trigger.ProcessingTime('1 minute'))");
    refuses(() => w.trigger(js({ processingTime: '5 seconds' })), /got an object \{ processingTime \}; write trigger\(Trigger.ProcessingTime\("5 seconds"\)\)/);
    refuses(() => Trigger.ProcessingTime(js({ minutes: 1 })), "Trigger.ProcessingTime: the trigger interval must be an interval string such as '1 minute', or a number of milliseconds, got an object { minutes }");
    refuses(() => Trigger.Continuous(js(undefined)), /Trigger.Continuous: the checkpoint interval must be .*got nothing \(undefined\)/);
  });

  it('groupBy(), select() and orderBy(): column names or Columns', () => {
    const { df } = frame();
    refuses(() => df.groupBy(js<never>(123)), "groupBy(): each column must be a column name (string) or a Column, e.g. 'word' or col('word'), got the number 123");
    refuses(() => df.select(js<never>(null)), /^select\(\): each column must be a column name \(string\) or a Column.*got null$/);
    refuses(() => df.orderBy(js({ word: 1 })), /orderBy\(\): each column .*got an object \{ word \}/);
    refuses(() => col(js<never>(5)), /col\(\): the column name must be a string such as 'word' or 't\.\*', got the number 5/);
  });

  it('a number where a duration string is expected: an error saying to write the unit', () => {
    const { df } = frame();
    refuses(() => df.withWatermark('ts', js(10)),
      "withWatermark(): the delay must be an interval string such as '10 minutes' or '1 hour 30 minutes', got the number 10; write the unit, e.g. '10 seconds' or '10 milliseconds'");
    refuses(() => window(col('ts'), js(900_000)), /^window\(\): the window duration must be an interval string .*got the number 900000/);
  });

  it('writer and reader arguments', () => {
    const spark = testSession();
    const { df, input } = frame();
    refuses(() => df.writeStream.foreachBatch(js('print')), "foreachBatch(): the function must be a function such as async (batch, batchId) => { ... }, got the string 'print'");
    refuses(() => df.writeStream.foreach(js({ write: () => undefined })), /foreach\(\): the writer must be a function \(row\) => \.\.\., or an object with process\(row\)/);
    refuses(() => df.writeStream.option('numRows', js({ n: 5 })), "writeStream.option(): the value of 'numRows' must be a string, a number or a boolean, got an object { n }");
    refuses(() => df.writeStream.outputMode(js(1)), /outputMode\(\): the mode must be a string such as 'append', 'update' or 'complete', got the number 1/);
    refuses(() => spark.readStream.format('json').schema(js<never>(42)), /schema\(\): the schema must be a struct type .* got the number 42/);
    refuses(() => spark.readStream.format('text').load(js(['/a', '/b'])), /load\(\): the path must be a string such as '\/data\/in', got an array of 2/);
    refuses(() => input.addData(js('hello')), "addData(): each row must be an object of column values, such as { word: 'hello' }, got the string 'hello'");
    refuses(() => spark.createDataFrame(js<never>('rows')), /createDataFrame\(\): the rows must be an array of row objects/);
    refuses(() => df.limit(js('5')), "limit(): the number of rows must be a whole number >= 0, got the string '5'");
    refuses(() => df.withColumn('n', js<never>(1)), /withColumn\(\): the column must be a Column, e.g. col\('a'\)\.plus\(1\) or lit\(0\), got the number 1/);
    refuses(() => df.join(js<never>({}), 'word'), 'join(): the other frame must be a DataFrame, got an empty object');
  });

  it('awaitTermination(): a number of milliseconds', async () => {
    const { df } = frame();
    const q = df.writeStream.format('memory').queryName('js_await').start();
    await expect(q.awaitTermination(js('100'))).rejects.toThrow("awaitTermination(): the timeout must be a number of milliseconds >= 0, got the string '100'");
    await q.stop();
  });
});
