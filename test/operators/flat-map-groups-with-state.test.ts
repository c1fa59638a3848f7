// (flat)mapGroupsWithState end to end (SEMANTICS §10): one call per key per batch, timeouts on a
// controlled processing-time clock and on the watermark, the GroupState contract, and state
// that survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from 'xstate';
import { GroupStateTimeout, MemoryStream, Trigger, types as T } from 'spate';
import type { DataFrame, GroupState, QueryClock, Row, StreamingQuery } from 'spate';
import { purchaseSchema, trackCustomers } from '../../examples/customer-activity.js';
import { record } from '../support/batches.js';
import { eventually, testSession } from '../support/helpers.js';

const at = (hhmmss: string): number => Date.parse(`2024-03-01T${hhmmss}Z`);
const purchase = (customerId: string, amount: number) => ({ customerId, amount, purchasedAt: new Date(at('09:00:00')) });

const eventSchema = T.struct([T.field('user', T.string()), T.field('ts', T.timestamp()), T.field('n', T.integer())]);
const countSchema = T.struct([T.field('user', T.string()), T.field('rows', T.integer()), T.field('total', T.integer()), T.field('timedOut', T.boolean())]);

/** A simulated clock at `hhmmss`: triggers and timeouts wait for the test to move it. */
function clockAt(hhmmss: string): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(at(hhmmss));
  return clock;
}

/** Moves the clock to a trigger slot and waits for the batch that trigger runs to commit. */
async function triggerAt(q: StreamingQuery, clock: SimulatedClock, hhmmss: string): Promise<void> {
  clock.set(at(hhmmss));
  const iso = new Date(at(hhmmss)).toISOString();
  await eventually(() => q.recentProgress.some((p) => p.timestamp === iso), `the batch of the trigger at ${hhmmss}`);
}

/** Records a query with a ProcessingTime trigger on `clock` (idle triggers add no progress). */
function recordOnClock(df: DataFrame, clock: SimulatedClock, interval: string) {
  return record(df, 'update', (w) => w.trigger(Trigger.ProcessingTime(interval)).clock(clock));
}

describe('flatMapGroupsWithState with a processing-time timeout', () => {
  it("removes customers inactive for an hour, running a batch on every trigger as Spark does: the notes' unmanaged-state example", async () => {
    const clock = clockAt('10:00:00');
    const spark = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 86_400_000 });
    const input = new MemoryStream(spark, purchaseSchema);
    input.addData([purchase('c1', 10), purchase('c1', 5), purchase('c2', 7)]);
    const run = recordOnClock(trackCustomers(input.toDF(), '1 hour'), clock, '15 minutes');
    const statusOf = (id: number) => run.rowsOf(id).map((r) => [r.customerId, r.status, r.purchases]);

    await triggerAt(run.query, clock, '10:00:00');
    expect(statusOf(0)).toEqual([['c1', 'active', 2], ['c2', 'active', 1]]);
    // No new data, yet the trigger runs a batch (Spark's "always run batches to process timeouts").
    await triggerAt(run.query, clock, '10:15:00');
    expect(run.batches.map((b) => [b.batchId, b.rows.length])).toEqual([[0, 2], [1, 0]]);

    input.addData([purchase('c1', 1)]);
    await triggerAt(run.query, clock, '10:30:00');
    expect(statusOf(2)).toEqual([['c1', 'active', 3]]);

    // c2's timeout is 11:00:00; a key times out only when timeout < batch time, so not at 11:00.
    await triggerAt(run.query, clock, '10:45:00');
    await triggerAt(run.query, clock, '11:00:00');
    expect([statusOf(3), statusOf(4)]).toEqual([[], []]);

    await triggerAt(run.query, clock, '11:15:00');
    expect(statusOf(5)).toEqual([['c2', 'inactive', 1]]);
    expect(run.query.lastProgress!.numInputRows).toBe(0);
    expect(run.query.lastProgress!.stateOperators[0]).toMatchObject({ operatorName: 'flatMapGroupsWithState', numRowsTotal: 1, numRowsRemoved: 1 });

    await triggerAt(run.query, clock, '11:30:00');
    await triggerAt(run.query, clock, '11:45:00');
    expect(statusOf(7)).toEqual([['c1', 'inactive', 3]]);
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(0);

    // Nothing left to time out: every trigger still runs a batch, as in Spark.
    await triggerAt(run.query, clock, '12:00:00');
    await run.query.stop();
    expect(run.query.recentProgress.map((p) => [p.batchId, p.numInputRows])).toEqual([[0, 3], [1, 0], [2, 1], [3, 0], [4, 0], [5, 0], [6, 0], [7, 0], [8, 0]]);
  });

  it('runs no batch on the first trigger of a run without new data, as Spark asks only the last batch whether another is needed', async () => {
    const clock = clockAt('10:00:00');
    const spark = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 86_400_000 });
    const input = new MemoryStream(spark, purchaseSchema);
    const run = recordOnClock(trackCustomers(input.toDF(), '1 hour'), clock, '15 minutes');
    await eventually(() => run.query.status.message === 'Waiting for next trigger', 'the first (idle) trigger');
    input.addData([purchase('c1', 10)]);
    await triggerAt(run.query, clock, '10:45:00');
    await run.query.stop();
    expect(run.batches.map((b) => b.batchId)).toEqual([0]);
  });

  it('processAllAvailable() returns once the data is in and due timeouts fired, though every trigger runs a batch', async () => {
    let now = at('10:00:00');
    const clock: QueryClock = { now: () => now, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout) };
    const spark = testSession();
    const input = new MemoryStream(spark, purchaseSchema);
    const run = record(trackCustomers(input.toDF(), '1 hour'), 'update', (w) => w.clock(clock));
    const emitted = () => run.batches.flatMap((b) => b.rows.map((r) => `${String(r.customerId)}:${String(r.status)}`));
    input.addData([purchase('c1', 10)]);
    await run.query.processAllAvailable();
    expect(emitted()).toEqual(['c1:active']);
    now = at('11:00:01');
    await run.query.processAllAvailable();
    expect(emitted()).toEqual(['c1:active', 'c1:inactive']);
    await run.query.stop();
  });

  it('ends a Trigger.AvailableNow run once the data is in (Spark would run batches for the timeouts forever)', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, purchaseSchema);
    input.addData([purchase('c1', 10), purchase('c2', 5)]);
    const run = record(trackCustomers(input.toDF(), '1 hour'), 'update', (w) => w.trigger(Trigger.AvailableNow()));
    await run.query.awaitTermination();
    expect(run.batches.map((b) => [b.batchId, b.rows.length])).toEqual([[0, 2]]);
  });

  it('resets the timeout on every call: a key whose function does not set it again never times out', async () => {
    const clock = clockAt('10:00:00');
    const spark = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 86_400_000 });
    const input = new MemoryStream(spark, eventSchema);
    const calls: string[] = [];
    const df = input.toDF().groupByKey((r) => r.user).flatMapGroupsWithState(
      { outputMode: 'update', timeout: GroupStateTimeout.ProcessingTimeTimeout, outputSchema: countSchema },
      (user, rows, state: GroupState<number>) => {
        calls.push(`${user}:${rows.length}:${state.hasTimedOut}`);
        if (state.hasTimedOut) { state.remove(); return []; }
        if (!state.exists) state.setTimeoutDuration(60_000); // only on the first call
        state.update((state.getOption() ?? 0) + rows.length);
        return [];
      },
    );
    input.addData([{ user: 'a', ts: null, n: 1 }, { user: 'b', ts: null, n: 1 }]);
    const run = recordOnClock(df, clock, '30 seconds');
    await triggerAt(run.query, clock, '10:00:00');
    input.addData([{ user: 'b', ts: null, n: 1 }]);
    await triggerAt(run.query, clock, '10:00:30');
    await triggerAt(run.query, clock, '10:05:00');
    await run.query.stop();
    expect(calls).toEqual(['a:1:false', 'b:1:false', 'b:1:false', 'a:0:true']);
  });
});

describe('mapGroupsWithState', () => {
  it('calls the function once per key present in a batch, with all its rows, however the batch is chunked', async () => {
    const spark = testSession({ 'spate.link.chunkRows': 2 });
    const input = new MemoryStream(spark, eventSchema);
    const df = input.toDF().groupByKey((r) => r.user).mapGroupsWithState(
      { outputSchema: countSchema },
      (user, rows, state: GroupState<{ rows: number; total: number }>) => {
        const s = state.getOption() ?? { rows: 0, total: 0 };
        s.rows += rows.length;
        for (const r of rows) s.total += r.n ?? 0;
        state.update(s);
        return { user, rows: s.rows, total: s.total, timedOut: state.hasTimedOut };
      },
    );
    const run = record(df, 'update');
    input.addData([1, 2, 3, 4, 5].map((n) => ({ user: n % 2 ? 'odd' : 'even', ts: null, n })));
    await run.query.processAllAvailable();
    input.addData([{ user: 'odd', ts: null, n: 7 }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0)).toEqual([
      { user: 'even', rows: 2, total: 6, timedOut: false },
      { user: 'odd', rows: 3, total: 9, timedOut: false },
    ]);
    expect(run.rowsOf(1)).toEqual([{ user: 'odd', rows: 4, total: 16, timedOut: false }]);
  });

  it('keeps its state across a restart from the checkpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spate-gs-'));
    try {
      const spark = testSession();
      const input = new MemoryStream(spark, eventSchema);
      const counting = () => input.toDF().groupByKey((r) => r.user).mapGroupsWithState(
        { outputSchema: countSchema },
        (user, rows, state: GroupState<number>) => {
          state.update((state.getOption() ?? 0) + rows.length);
          return { user, rows: state.get(), total: null, timedOut: false };
        },
      );
      const first = record(counting(), 'update', (w) => w.option('checkpointLocation', dir));
      input.addData([{ user: 'a', ts: null, n: 1 }, { user: 'a', ts: null, n: 1 }]);
      await first.query.processAllAvailable();
      await first.query.stop();

      const second = record(counting(), 'update', (w) => w.option('checkpointLocation', dir));
      input.addData([{ user: 'a', ts: null, n: 1 }]);
      await second.query.processAllAvailable();
      await second.query.stop();
      expect(second.batches).toEqual([{ batchId: 1, rows: [{ user: 'a', rows: 3, total: null, timedOut: false }] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives each call a copy of the state, so a change made without update() is not kept', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, eventSchema);
    const seen: number[] = [];
    const df = input.toDF().groupByKey((r) => r.user).mapGroupsWithState(
      { outputSchema: countSchema },
      (user, _rows, state: GroupState<{ n: number }>) => {
        if (!state.exists) state.update({ n: 1 });
        else state.get().n += 100; // not kept: no update()
        seen.push(state.get().n);
        return { user, rows: null, total: null, timedOut: false };
      },
    );
    const run = record(df, 'update');
    for (let i = 0; i < 3; i++) {
      input.addData([{ user: 'a', ts: null, n: 1 }]);
      await run.query.processAllAvailable();
    }
    await run.query.stop();
    expect(seen).toEqual([1, 101, 101]);
  });
});

describe('flatMapGroupsWithState with an event-time timeout', () => {
  it('times keys out when the watermark passes their timeout, and drops late rows first', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, eventSchema);
    const events: string[] = [];
    const df = input.toDF().withWatermark('ts', '10 minutes').groupByKey((r) => r.user).flatMapGroupsWithState(
      { outputMode: 'update', timeout: GroupStateTimeout.EventTimeTimeout, outputSchema: countSchema },
      (user, rows, state: GroupState<number>): Row[] => {
        events.push(`${user}:${rows.length}:${state.hasTimedOut}:wm=${new Date(state.getCurrentWatermarkMs()).toISOString().slice(11, 16)}`);
        if (state.hasTimedOut) {
          const total = state.get();
          state.remove();
          return [{ user, rows: 0, total, timedOut: true }];
        }
        const last = Math.max(...rows.map((r) => r.ts!.getTime()));
        state.update((state.getOption() ?? 0) + rows.length);
        // Time the session out 5 minutes (event time) after its last event.
        state.setTimeoutTimestamp(last, '5 minutes');
        return [];
      },
    );
    const run = record(df, 'update');
    const ev = (user: string, hhmm: string) => ({ user, ts: new Date(`2024-03-01T${hhmm}:00Z`), n: 1 });
    input.addData([ev('a', '10:00'), ev('b', '10:02')]);
    await run.query.processAllAvailable(); // batch 0, wm 0 → next wm 09:52
    input.addData([ev('b', '10:20')]);
    await run.query.processAllAvailable(); // batch 1 (no-data, wm 09:52), batch 2 with b → next wm 10:10: a (10:05) and b? b reset to 10:25
    input.addData([ev('a', '09:59'), ev('c', '10:30')]);
    await run.query.processAllAvailable();
    await run.query.stop();

    const timedOut = run.batches.flatMap((b) => b.rows.map((r) => [b.batchId, r.user, r.total]));
    // a timed out in the no-data batch 3 (watermark 10:10 > 10:05); a's 09:59 row later is late and dropped.
    expect(timedOut).toEqual([[3, 'a', 1]]);
    expect(events).toEqual([
      'a:1:false:wm=00:00', 'b:1:false:wm=00:00',
      'b:1:false:wm=09:52',
      'a:0:true:wm=10:10',
      'c:1:false:wm=10:10',
    ]);
    const dropped = run.query.recentProgress.map((p) => p.stateOperators[0]!.numRowsDroppedByWatermark);
    expect(dropped.reduce((x, y) => x + y, 0)).toBe(1);
  });
});

describe('the GroupState contract', () => {
  const failing = async (fn: (state: GroupState<number>) => void, timeout: GroupStateTimeout = GroupStateTimeout.NoTimeout) => {
    const spark = testSession();
    const input = new MemoryStream(spark, eventSchema);
    const df = input.toDF().groupByKey((r) => r.user).flatMapGroupsWithState(
      { outputMode: 'update', timeout, outputSchema: countSchema }, (_u, _r, state: GroupState<number>) => { fn(state); return []; },
    );
    const q = df.writeStream.format('memory').queryName('gs_contract').outputMode('update').start();
    input.addData([{ user: 'a', ts: null, n: 1 }]);
    await expect(q.processAllAvailable()).rejects.toThrow();
    return q.exception()!.cause as Error;
  };

  it("refuses null as a state value, like Spark's 'null' is not a valid state value", async () => {
    expect((await failing((s) => s.update(null as unknown as number))).message).toMatch(/'null' is not a valid state value: .*state\.remove\(\)/);
  });

  it('throws from get() on a key without state, and says to check exists', async () => {
    const e = await failing((s) => s.get());
    expect(e.message).toMatch(/State is either not defined or has already been removed: check state\.exists/);
  });

  it('refuses a timeout duration without ProcessingTimeTimeout and a timeout timestamp without EventTimeTimeout', async () => {
    expect((await failing((s) => s.setTimeoutDuration('1 hour'))).message)
      .toMatch(/Cannot set timeout duration without enabling processing time timeout in flatMapGroupsWithState: pass timeout: GroupStateTimeout.ProcessingTimeTimeout/);
    expect((await failing((s) => s.setTimeoutTimestamp(5))).message)
      .toMatch(/Cannot set timeout timestamp without enabling event time timeout in flatMapGroupsWithState/);
  });

  it('refuses a non-positive timeout duration', async () => {
    expect((await failing((s) => s.setTimeoutDuration(0), GroupStateTimeout.ProcessingTimeTimeout)).message).toMatch(/Timeout duration must be positive/);
  });

  it('refuses the watermark when the input has none', async () => {
    expect((await failing((s) => s.getCurrentWatermarkMs())).message)
      .toMatch(/Cannot get event time watermark timestamp without setting watermark before flatMapGroupsWithState: call withWatermark/);
  });

  it('reports the processing time of the batch and keeps a removed state with a timeout until it times out', async () => {
    const clock = clockAt('10:00:00');
    const spark = testSession({ 'spate.sql.streaming.noDataProgressEventInterval': 86_400_000 });
    const input = new MemoryStream(spark, eventSchema);
    const seen: string[] = [];
    const df = input.toDF().groupByKey((r) => r.user).flatMapGroupsWithState(
      { outputMode: 'update', timeout: GroupStateTimeout.ProcessingTimeTimeout, outputSchema: countSchema },
      (user, _rows, state: GroupState<number>) => {
        seen.push(`${user} t=${new Date(state.getCurrentProcessingTimeMs()).toISOString().slice(11, 19)} exists=${state.exists} timedOut=${state.hasTimedOut}`);
        if (!state.hasTimedOut) {
          state.remove();
          state.setTimeoutDuration('1 minute');
        }
        return [];
      },
    );
    input.addData([{ user: 'a', ts: null, n: 1 }]);
    const run = recordOnClock(df, clock, '2 minutes');
    await triggerAt(run.query, clock, '10:00:00');
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(1);
    await triggerAt(run.query, clock, '10:02:00');
    await run.query.stop();
    expect(seen).toEqual(['a t=10:00:00 exists=false timedOut=false', 'a t=10:02:00 exists=false timedOut=true']);
    expect(run.query.lastProgress!.stateOperators[0]!.numRowsTotal).toBe(0);
  });
});
