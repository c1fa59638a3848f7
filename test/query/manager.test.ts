// spark.streams (SEMANTICS §9): active queries, get(id), awaitAnyTermination and
// resetTerminated as Spark's StreamingQueryManager, listeners with their events in order, and
// query names unique among active queries. Timeouts run on a simulated clock.
import { SimulatedClock } from 'xstate';
import { AnalysisError, MemoryStream, Session, StreamingQueryError, types as T } from '../../src/index.js';
import type { StreamingQuery, StreamingQueryListener } from '../../src/index.js';
import { eventually } from '../support/helpers.js';

const SCHEMA = T.struct([T.field('n', T.long())]);

function session(conf: Record<string, number> = {}): { spark: Session; clock: SimulatedClock } {
  const clock = new SimulatedClock();
  clock.set(Date.UTC(2024, 0, 1, 12));
  const b = Session.builder().appName('manager').config('spate.sql.shuffle.partitions', 2).clock(clock);
  for (const [k, v] of Object.entries(conf)) b.config(k, v);
  return { spark: b.create(), clock };
}

/** Records every listener event as a short line. */
function recorder(): { lines: string[]; listener: StreamingQueryListener } {
  const lines: string[] = [];
  return {
    lines,
    listener: {
      onQueryStarted: (e) => lines.push(`started ${e.name}`),
      onQueryProgress: (e) => lines.push(`progress ${e.progress.name} ${e.progress.batchId} ${e.progress.numInputRows}`),
      onQueryIdle: (e) => lines.push(`idle ${e.timestamp}`),
      onQueryTerminated: (e) => lines.push(`terminated ${e.exception ?? 'ok'}`),
    },
  };
}

describe('listeners', () => {
  it('hear started, then each progress, then terminated', async () => {
    const { spark } = session();
    const rec = recorder();
    spark.streams.addListener(rec.listener);
    const input = new MemoryStream(spark, SCHEMA);
    const q = input.toDF().writeStream.format('memory').queryName('heard').start();
    input.addData([{ n: 1 }, { n: 2 }]);
    await q.processAllAvailable();
    input.addData([{ n: 3 }]);
    await q.processAllAvailable();
    await q.stop();
    expect(rec.lines).toEqual(['started heard', 'progress heard 0 2', 'progress heard 1 1', 'terminated ok']);
  });

  it('hear the exception of a failed query, and the progress object that lastProgress holds', async () => {
    const { spark } = session();
    const events: Array<{ exception: string | null; error: StreamingQueryError | null }> = [];
    const progress: unknown[] = [];
    spark.streams.addListener({ onQueryTerminated: (e) => events.push(e), onQueryProgress: (e) => progress.push(e.progress) });
    const input = new MemoryStream(spark, SCHEMA);
    let calls = 0;
    const q = input.toDF().writeStream.foreachBatch(() => { if (++calls === 2) throw new Error('sink exploded'); }).start();
    input.addData([{ n: 1 }]);
    await q.processAllAvailable();
    expect(progress).toEqual([q.lastProgress]);
    expect(progress[0]).toBe(q.lastProgress);
    input.addData([{ n: 2 }]);
    await expect(q.awaitTermination()).rejects.toThrow(/sink exploded/);
    expect(events).toHaveLength(1);
    expect(events[0]!.exception).toMatch(/terminated with exception: sink exploded/);
    expect(events[0]!.error).toBe(q.exception());
    expect((events[0]!.error!.cause as Error).message).toBe('sink exploded');
  });

  it('hear that a query is idle at most every noDataProgressEventInterval, with an idle progress', async () => {
    const { spark, clock } = session({ 'spate.sql.streaming.noDataProgressEventInterval': 10_000 });
    const rec = recorder();
    spark.streams.addListener(rec.listener);
    const input = new MemoryStream(spark, SCHEMA);
    const t0 = clock.now();
    const q = input.toDF().writeStream.format('memory').queryName('idler').start();
    input.addData([{ n: 1 }]);
    await q.processAllAvailable();
    // Each step fires the idle query's polling timer (pollingDelay 10 ms after its last poll), which
    // starts a trigger at once; the step ends when that trigger has (however long it takes).
    const poll = async (ms: number): Promise<void> => {
      clock.set(t0 + ms);
      expect(q.status.isTriggerActive).toBe(true);
      await eventually(() => !q.status.isTriggerActive, `the idle trigger at +${ms} ms`);
    };
    await poll(9_990); // not yet a whole interval since the last progress
    await poll(10_000);
    await poll(15_000);
    await poll(19_990);
    await poll(20_000);
    await q.stop();
    const iso = (ms: number): string => new Date(t0 + ms).toISOString();
    expect(rec.lines).toEqual(['started idler', 'progress idler 0 1', `idle ${iso(10_000)}`, `idle ${iso(20_000)}`, 'terminated ok']);
    expect(q.recentProgress.map((p) => [p.batchId, p.numInputRows, p.timestamp])).toEqual([[0, 1, iso(0)], [0, 0, iso(10_000)], [0, 0, iso(20_000)]]);
  });

  it('are removed by removeListener, and one that throws disturbs neither the query nor the others', async () => {
    const { spark } = session();
    const rec = recorder();
    spark.streams.addListener({ onQueryProgress: () => { throw new Error('bad listener'); } });
    spark.streams.addListener(rec.listener);
    const input = new MemoryStream(spark, SCHEMA);
    const q = input.toDF().writeStream.format('memory').queryName('removed').start();
    input.addData([{ n: 1 }]);
    await q.processAllAvailable();
    spark.streams.removeListener(rec.listener);
    expect(spark.streams.listListeners()).toHaveLength(1);
    input.addData([{ n: 2 }]);
    await q.processAllAvailable();
    await q.stop();
    expect(q.exception()).toBeNull();
    expect(q.recentProgress).toHaveLength(2);
    expect(rec.lines).toEqual(['started removed', 'progress removed 0 1']);
  });
});

describe('awaitAnyTermination', () => {
  it('waits for a termination, then returns at once until resetTerminated()', async () => {
    const { spark, clock } = session();
    const a = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('a').start();
    const b = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('b').start();
    const waiting = spark.streams.awaitAnyTermination(1000);
    clock.increment(1000);
    expect(await waiting).toBe(false);
    const forever = spark.streams.awaitAnyTermination();
    await a.stop();
    await expect(forever).resolves.toBeUndefined();
    expect(await spark.streams.awaitAnyTermination(0)).toBe(true);
    await expect(spark.streams.awaitAnyTermination()).resolves.toBeUndefined();
    spark.streams.resetTerminated();
    const again = spark.streams.awaitAnyTermination(500);
    clock.increment(500);
    expect(await again).toBe(false);
    await b.stop();
    expect(await spark.streams.awaitAnyTermination(0)).toBe(true);
  });

  it('throws the latest failure since resetTerminated(), which a later clean stop does not hide', async () => {
    const { spark } = session();
    const failing = (name: string): StreamingQuery => {
      const input = new MemoryStream(spark, SCHEMA);
      const q = input.toDF().writeStream.queryName(name).foreachBatch(() => { throw new Error(`${name} failed`); }).start();
      input.addData([{ n: 1 }]);
      return q;
    };
    const first = failing('first');
    await expect(spark.streams.awaitAnyTermination()).rejects.toThrow(/first failed/);
    const second = failing('second');
    await expect(second.awaitTermination()).rejects.toThrow(/second failed/);
    const clean = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('clean').start();
    await clean.stop();
    const error = await spark.streams.awaitAnyTermination(0).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamingQueryError);
    expect((error as Error).message).toMatch(/second failed/);
    expect(error).toBe(second.exception());
    spark.streams.resetTerminated();
    await clean.stop();
    expect(first.isActive).toBe(false);
    const stopped = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('later').start();
    await stopped.stop();
    await expect(spark.streams.awaitAnyTermination()).resolves.toBeUndefined();
  });
});

describe('the active queries', () => {
  it('are listed by active, found by id with get(), and gone once terminated', async () => {
    const { spark } = session();
    const a = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('first').start();
    const b = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('second').start();
    expect(spark.streams.active).toEqual([a, b]);
    await eventually(() => a.id !== '' && b.id !== '', 'the ids');
    expect(spark.streams.get(a.id)).toBe(a);
    expect(spark.streams.get(b.runId)).toBeNull();
    expect(spark.streams.get('no-such-id')).toBeNull();
    await a.stop();
    expect(spark.streams.active).toEqual([b]);
    expect(spark.streams.get(a.id)).toBeNull();
    await b.stop();
    expect(spark.streams.active).toEqual([]);
  });

  it('have unique names: a name in use is refused until its query stops', async () => {
    const { spark } = session();
    const first = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('unique').start();
    const start = (): StreamingQuery => new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('unique').start();
    expect(start).toThrow(AnalysisError);
    expect(start).toThrow('Cannot start query with name unique as a query with that name is already active');
    await first.stop();
    const second = start();
    expect(second.isActive).toBe(true);
    await second.stop();
  });
});

describe('StreamingQuery.awaitTermination(timeout)', () => {
  it('resolves to false when the timeout passes on the query clock, true once terminated', async () => {
    const { spark, clock } = session();
    const q = new MemoryStream(spark, SCHEMA).toDF().writeStream.format('memory').queryName('waited').start();
    const waiting = q.awaitTermination(2000);
    clock.increment(2000);
    expect(await waiting).toBe(false);
    await q.stop();
    expect(await q.awaitTermination(2000)).toBe(true);
    await expect(q.awaitTermination()).resolves.toBeUndefined();
  });
});
