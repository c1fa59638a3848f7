// MemoryStream: a replayable in-memory stream for tests and demos, as Spark's.
import type { Row } from '../data/row.js';
import { MemoryStreamData } from '../connectors/memory/memory-source.js';
import type { StructType } from '../expr/types.js';
import { DataFrame } from './dataframe.js';
import { argumentError } from './arguments.js';
import type { SessionContext } from './session-context.js';

let counter = 0;

/**
 * A replayable in-memory stream for tests and demos, as Spark's `MemoryStream`: rows are added with
 * {@link MemoryStream.addData}, and {@link MemoryStream.toDF} is a streaming frame over them. Offsets
 * are row counts; every row added is kept (in this process), so any batch can be read again and
 * several queries may read the same stream. A query that is idle wakes up when rows are added.
 *
 * @example
 * ```ts
 * const input = new MemoryStream(spark, T.struct([T.field('word', T.string())]));
 * const q = input.toDF().groupBy('word').count()
 *   .writeStream.format('memory').queryName('counts').outputMode('complete').start();
 * input.addData([{ word: 'a' }, { word: 'b' }, { word: 'a' }]);
 * await q.processAllAvailable();
 * console.log(await spark.table('counts').collect()); // [{ word: 'a', count: 2 }, { word: 'b', count: 1 }]
 * await q.stop();
 * ```
 */
export class MemoryStream<R extends Row = Row> {
  private readonly data: MemoryStreamData;

  /**
   * @param session The session whose queries read the stream.
   * @param schema The rows' schema; it types the rows of {@link MemoryStream.toDF}.
   * @param name How progress names the source (`MemoryStream[name]`); unique by default.
   */
  constructor(private readonly session: SessionContext, schema: StructType<R>, name = `memory-${counter++}`) {
    this.data = new MemoryStreamData(schema as StructType, name);
  }

  /**
   * Appends rows; returns the offset after them. Missing fields become null. The row objects are
   * kept as given, not copied (queries read them in place): do not change a row after adding it,
   * or a batch read again after a failure would not see what it saw the first time.
   */
  addData(rows: R | readonly R[]): number {
    const list: readonly unknown[] = Array.isArray(rows) ? rows : [rows];
    const bad = list.find((r) => r === null || typeof r !== 'object' || Array.isArray(r));
    if (bad !== undefined) throw argumentError('addData()', 'each row', 'an object of column values, such as { word: \'hello\' }', bad);
    return this.data.append(Array.isArray(rows) ? (rows as readonly R[]) : [rows as R]);
  }

  /** The offset after the last row added. */
  get latestOffset(): number {
    return this.data.latestOffset;
  }

  /**
   * A streaming frame over the stream's rows (Spark's `toDF`); call it once per query, or several
   * times for several queries.
   */
  toDF(): DataFrame<R> {
    return new DataFrame<R>(this.session, { k: 'source', format: 'memory', options: {}, instance: this.data, schema: this.data.schema });
  }
}
