// TestStream: an input a test writes to step by step (as Beam's TestStream): rows, rows of one
// partition (to test watermarks that follow partitions), and declarations that the stream's
// event time has reached an instant, which move the watermark as a row of that time would,
// without a row.
import type { Row } from '../data/row.js';
import { DataFrame } from '../api/dataframe.js';
import type { SessionContext } from '../api/session-context.js';
import type { StructType } from '../expr/types.js';
import { toMs } from './test-clock.js';
import { TestStreamData } from './test-stream-source.js';

let counter = 0;

/** How {@link TestStream.addData} adds rows. */
export interface AddOptions {
  /** The partition the rows arrive in (a Kafka partition, say): with withWatermark's perPartition, each is followed on its own. */
  readonly partition?: string;
}

/**
 * An input a test writes to step by step (as Beam's `TestStream`): rows, rows of one partition,
 * and declarations that the stream's event time reached an instant, which move the watermark as a
 * row of that time would, without a row. Read it with {@link TestStream.toDF} and drive the query
 * with {@link startTest}. Replayable, so a test with a checkpoint can test a restart.
 *
 * @example
 * ```ts
 * const trades = new TestStream(spark, types.struct([
 *   types.field('time', types.timestamp()), types.field('amount', types.long()),
 * ]));
 * trades.addData({ time: new Date('2024-01-01T10:05:00Z'), amount: 500 });
 * trades.advanceEventTime('2024-01-01T10:48:00Z');
 * ```
 */
export class TestStream<R extends Row = Row> {
  /** Shared with the queries reading this stream. */
  readonly data: TestStreamData;

  /**
   * A new, empty stream of rows of `schema` in `session`; `name` (`test-<n>` by default) is how
   * progress names it.
   */
  constructor(private readonly session: SessionContext, schema: StructType<R>, name = `test-${counter++}`) {
    this.data = new TestStreamData(schema as StructType, name);
  }

  /** Appends rows (missing fields become null). */
  addData(rows: R | readonly R[], options: AddOptions = {}): void {
    this.data.addRows(Array.isArray(rows) ? (rows as readonly R[]) : [rows as R], options.partition ?? null);
  }

  /**
   * Declares that the stream's event time has reached `time` (a Date, ms, or an ISO-8601 time
   * with its zone): every withWatermark over it moves as if a row of that time had passed.
   */
  advanceEventTime(time: Date | number | string): void {
    this.data.advanceEventTime(toMs(time, 'advanceEventTime time'));
  }

  /** A streaming DataFrame over the stream; each query reading it sees every row added, from the first. */
  toDF(): DataFrame<R> {
    return new DataFrame<R>(this.session, { k: 'source', format: 'testStream', options: {}, instance: this.data, schema: this.data.schema });
  }
}
