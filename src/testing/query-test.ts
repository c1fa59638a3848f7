// Drives a streaming query step by step in a user's test (as Kafka Streams' TopologyTestDriver):
// add rows, declare event time, move processing time; each step runs every batch it makes due
// and returns those batches' output, so a test asserts batch by batch. The query runs on a
// TestClock with the default trigger (a batch as soon as data arrives, and whenever processing
// time moves), so nothing waits on the wall clock.
import type { Row } from '../data/row.js';
import type { DataFrame } from '../api/dataframe.js';
import type { DataStreamWriter } from '../api/writer.js';
import type { OutputMode } from '../plan/logical.js';
import type { StreamingQueryProgress } from '../query/progress.js';
import type { StreamingQuery } from '../query/streaming-query.js';
import type { AddOptions, TestStream } from './test-stream.js';
import { TestClock } from './test-clock.js';

/** What one micro-batch wrote: its id and its rows, in a stable order (sorted by their JSON form). */
export interface Batch {
  /** The batch's id, from 0; a batch with no output (the watermark moved, a timeout ran) is listed too. */
  readonly batchId: number;
  /** The rows the batch wrote to the sink, as the output mode gives them. */
  readonly rows: Row[];
}

/** How {@link startTest} runs the query; every field is optional. */
export interface QueryTestOptions {
  /** 'append' (default), 'update' or 'complete'. */
  readonly outputMode?: OutputMode;
  /** Processing time; a new TestClock at 1970-01-01 by default. */
  readonly clock?: TestClock;
  /** A checkpoint, to test a restart; none by default. */
  readonly checkpointLocation?: string;
  /** Anything else to set on the writer before it starts (options, a queryName). */
  readonly configure?: (writer: DataStreamWriter) => void;
}

/**
 * A streaming query driven step by step in a test (as Kafka Streams' TopologyTestDriver), made
 * with {@link startTest}: each step (addData, advanceEventTime, advanceProcessingTime, run) runs
 * every batch it makes due and resolves with those batches' output, so a test asserts batch by
 * batch. The query runs on a {@link TestClock} with the default trigger, so nothing waits on the
 * wall clock. A step rejects with the query's `StreamingQueryError` if the query fails.
 *
 * @example
 * ```ts
 * import { TestStream, startTest } from 'spate/testing';
 *
 * const words = new TestStream(spark, types.struct([types.field('word', types.string())]));
 * const t = startTest(words.toDF().groupBy('word').count(), { outputMode: 'update' });
 * expect(await t.addData(words, [{ word: 'a' }, { word: 'a' }]))
 *   .toEqual([{ batchId: 0, rows: [{ word: 'a', count: 2 }] }]);
 * await t.stop();
 * ```
 */
export class QueryTest {
  /** Every batch so far, in order. */
  readonly batches: Batch[] = [];
  /** The running query, for its status, progress and exception. */
  readonly query: StreamingQuery;
  /** The query's processing time: `options.clock`, or a new TestClock at 1970-01-01. */
  readonly clock: TestClock;

  /**
   * Starts `df` writing to a sink that records each batch; prefer {@link startTest}.
   *
   * @throws `AnalysisError` when the query cannot start (e.g. an output mode it does not support).
   */
  constructor(df: DataFrame, options: QueryTestOptions = {}) {
    this.clock = options.clock ?? new TestClock();
    const writer = df.writeStream.outputMode(options.outputMode ?? 'append').clock(this.clock)
      .foreachBatch(async (batch, batchId) => { this.batches.push({ batchId, rows: stableOrder(await batch.collect()) }); });
    if (options.checkpointLocation !== undefined) writer.option('checkpointLocation', options.checkpointLocation);
    options.configure?.(writer);
    this.query = writer.start();
  }

  /** Adds rows to `stream`; resolves with the batches that ran. */
  addData<R extends Row>(stream: TestStream<R>, rows: R | readonly R[], options?: AddOptions): Promise<Batch[]> {
    return this.step(() => stream.addData(rows, options));
  }

  /** Declares that `stream`'s event time reached `time`; resolves with the batches that ran. */
  advanceEventTime(stream: TestStream, time: Date | number | string): Promise<Batch[]> {
    return this.step(() => stream.advanceEventTime(time));
  }

  /** Moves processing time on ('1 minute', or ms); resolves with the batches that ran (timeouts, idle streams). */
  advanceProcessingTime(duration: string | number): Promise<Batch[]> {
    return this.step(() => this.clock.advance(duration));
  }

  /** Runs whatever is due now; resolves with the batches that ran. */
  run(): Promise<Batch[]> {
    return this.step(() => undefined);
  }

  /** The query's progress reports, oldest first. */
  get progress(): StreamingQueryProgress[] {
    return this.query.recentProgress;
  }

  /** Stops the query ({@link StreamingQuery.stop}); call it at the end of every test. */
  stop(): Promise<void> {
    return this.query.stop();
  }

  private async step(action: () => void): Promise<Batch[]> {
    const before = this.batches.length;
    action();
    await this.query.processAllAvailable();
    return this.batches.slice(before);
  }
}

/**
 * Starts `df` as a {@link QueryTest}: on a TestClock, with the default trigger, writing each
 * batch's rows into `batches`. See QueryTest for an example.
 *
 * @throws `AnalysisError` when the query cannot start (e.g. an output mode it does not support).
 */
export function startTest(df: DataFrame, options?: QueryTestOptions): QueryTest {
  return new QueryTest(df, options);
}

function stableOrder(rows: Row[]): Row[] {
  const keyed = rows.map((r) => [JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), r] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, r]) => r);
}
