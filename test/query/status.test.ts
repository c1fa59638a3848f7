// query.status reflects the lifecycle machine's state with Spark's messages: what the query is
// doing (planning, running a batch, waiting), whether data is available, whether a trigger is
// active; and the machine's schedule arithmetic.
import { SimulatedClock, createActor, fromPromise } from 'xstate';
import { MemoryStream, Trigger, col, window, types as T } from '../../src/index.js';
import type { StreamingQuery } from '../../src/index.js';
import { createLifecycleMachine, nextSlot, nextTriggerDelay, statusOf } from '../../src/query/lifecycle-machine.js';
import type { PlanOutcome } from '../../src/query/lifecycle-machine.js';
import { eventually, testSession } from '../support/helpers.js';
import { newProbe } from '../support/probe-source.js';

const at = (hms: string): number => Date.parse(`2024-01-01T${hms}Z`);

function clockAt(hms: string): SimulatedClock {
  const clock = new SimulatedClock();
  clock.set(at(hms));
  return clock;
}

const statusBecomes = (q: StreamingQuery, message: string | RegExp): Promise<void> =>
  eventually(() => (typeof message === 'string' ? q.status.message === message : message.test(q.status.message)), `status '${String(message)}'`);

describe('the trigger schedule', () => {
  it('puts ProcessingTime triggers on epoch-aligned slots', () => {
    expect(nextSlot(at('12:00:03'), 10_000)).toBe(at('12:00:10'));
    expect(nextSlot(at('12:00:10'), 10_000)).toBe(at('12:00:20'));
    expect(nextSlot(at('12:00:17'), 10_000)).toBe(at('12:00:20'));
    const every10s = Trigger.ProcessingTime('10 seconds');
    // Started at 12:00:03, done at 12:00:05: wait for 12:00:10.
    expect(nextTriggerDelay(every10s, 'committed', at('12:00:03'), 10, at('12:00:05'))).toBe(5000);
    // Started at 12:00:03, done at 12:00:17 (overran): at once.
    expect(nextTriggerDelay(every10s, 'committed', at('12:00:03'), 10, at('12:00:17'))).toBe(0);
    expect(nextTriggerDelay(every10s, 'idle', at('12:00:17'), 10, at('12:00:17'))).toBe(3000);
  });

  it('runs the default trigger back to back, polling after an idle one', () => {
    const dflt = Trigger.ProcessingTime(0);
    expect(nextTriggerDelay(dflt, 'committed', 0, 10, 5)).toBe(0);
    expect(nextTriggerDelay(dflt, 'idle', 0, 10, 5)).toBe(10);
  });
});

describe('query.status', () => {
  it('follows a micro-batch query through its states', async () => {
    const clock = clockAt('12:00:00');
    const spark = testSession();
    const { name, probe } = newProbe();
    let release = (): void => undefined;
    const q = spark.readStream.format('probe').option('name', name).load()
      .writeStream.clock(clock)
      .foreachBatch(() => new Promise<void>((r) => { release = r; }))
      .start();
    expect(q.status).toEqual({ message: 'Initializing sources', isDataAvailable: false, isTriggerActive: false });
    await statusBecomes(q, 'Waiting for data to arrive');
    expect(q.status).toEqual({ message: 'Waiting for data to arrive', isDataAvailable: false, isTriggerActive: false });
    const releasePlanning = probe.hold();
    probe.add(2);
    await statusBecomes(q, /^Getting offsets from/);
    expect(q.status).toEqual({ message: `Getting offsets from Probe[${name}]`, isDataAvailable: false, isTriggerActive: true });
    releasePlanning();
    await statusBecomes(q, 'Processing new data');
    expect(q.status).toEqual({ message: 'Processing new data', isDataAvailable: true, isTriggerActive: true });
    release();
    await statusBecomes(q, 'Waiting for data to arrive');
    await q.stop();
    expect(q.status).toEqual({ message: 'Stopped', isDataAvailable: false, isTriggerActive: false });
  });

  it('says when a batch only cleans up state, and when a ProcessingTime query waits for its slot', async () => {
    const clock = clockAt('12:00:00');
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('ts', T.timestamp())]));
    const hold: Array<() => void> = [];
    const q = input.toDF().withWatermark('ts', '0 seconds').groupBy(window(col('ts'), '10 seconds')).count()
      .writeStream.outputMode('append').trigger(Trigger.ProcessingTime('1 minute')).clock(clock)
      .foreachBatch((_b, id) => (id === 1 ? new Promise<void>((r) => hold.push(r)) : undefined))
      .start();
    input.addData([{ ts: new Date(at('10:00:05')) }, { ts: new Date(at('10:00:25')) }]);
    await statusBecomes(q, 'Waiting for next trigger');
    clock.set(at('12:01:00'));
    await statusBecomes(q, 'No new data but cleaning up state');
    expect(q.status).toEqual({ message: 'No new data but cleaning up state', isDataAvailable: false, isTriggerActive: true });
    hold[0]!();
    await statusBecomes(q, 'Waiting for next trigger');
    expect(q.status.isTriggerActive).toBe(false);
    await q.stop();
  });

  it('says a failed query terminated with its exception, and a restarting one why it restarts', async () => {
    const clock = clockAt('12:00:00');
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const q = input.toDF().writeStream.clock(clock).restartPolicy({ type: 'onFailure', retries: 1, intervalMs: 60_000 })
      .foreachBatch(() => { throw new Error('disk full'); })
      .start();
    input.addData([{ n: 1 }]);
    await statusBecomes(q, /^Restarting after failure/);
    expect(q.status).toEqual({ message: 'Restarting after failure: disk full', isDataAvailable: true, isTriggerActive: false });
    clock.increment(60_000);
    await expect(q.awaitTermination()).rejects.toThrow(/disk full/);
    expect(q.status).toEqual({ message: 'Terminated with exception: disk full', isDataAvailable: false, isTriggerActive: false });
  });

  it('says a continuous query is running', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('n', T.long())]));
    const q = input.toDF().writeStream.format('memory').queryName('cont_status').trigger(Trigger.Continuous('1 hour')).start();
    await statusBecomes(q, 'Running');
    expect(q.status).toEqual({ message: 'Running', isDataAvailable: true, isTriggerActive: true });
    await q.stop();
  });

  it('says the offsets are being written while the plan step writes them', () => {
    let now = 0;
    const machine = createLifecycleMachine(() => now).provide({
      actors: {
        start: fromPromise(async (): Promise<void> => {}),
        recover: fromPromise(async (): Promise<void> => {}),
        plan: fromPromise(() => new Promise<PlanOutcome>(() => undefined)),
      },
    });
    const actor = createActor(machine, { input: { trigger: Trigger.ProcessingTime(0), pollingDelayMs: 10 } });
    actor.start();
    return eventually(() => actor.getSnapshot().matches({ running: 'planning' }), 'planning').then(() => {
      now = 5;
      const status = statusOf(actor.getSnapshot(), { writingOffsets: true, sourceNames: ['S'], isDataAvailable: true }, String);
      expect(status).toEqual({ message: 'Writing offsets to log', isDataAvailable: true, isTriggerActive: true });
      actor.stop();
    });
  });
});
