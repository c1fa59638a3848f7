// The lifecycle of one query as an XState v5 machine: starting → recovering → running
// { waitingForTrigger, planning, executing, committing | continuous } → stopping → stopped |
// failed, with restarts by policy. The machine is logic only: the steps it invokes (start,
// recover, plan, execute, commit, runContinuous, stop) and what it reports are provided by the
// StreamingQuery that runs it. The trigger is a parameter: it decides when waitingForTrigger
// ends (SEMANTICS §2), and the plan step says when Once / AvailableNow have finished.
import type { SnapshotFrom } from 'xstate';
import { assign, fromPromise, setup } from 'xstate';
import type { StreamingQueryProgress } from './progress.js';
import type { TriggerMode } from './trigger.js';

/**
 * What a trigger's planning decided: a batch with new data, a no-data batch (a stateful
 * operator asked for one), nothing to do yet, nothing left to do (Once / AvailableNow), or
 * hand over to continuous processing (Trigger.Continuous, once recovery re-ran what it must).
 */
export type PlanOutcome = 'batch' | 'noDataBatch' | 'idle' | 'finished' | 'continuous';

export interface LifecycleContext {
  readonly trigger: TriggerMode;
  readonly pollingDelayMs: number;
  /** Failures in a row since the last committed batch. */
  readonly attempt: number;
  readonly error: unknown;
  /** A graceful stop was asked while a step was in flight: stop once it (and its batch) is done. */
  readonly stopRequested: boolean;
  readonly lastOutcome: PlanOutcome | 'committed' | null;
  /** The clock time the current (or last) trigger started. */
  readonly triggerStartMs: number;
  /** A source said data arrived (WAKE) during a trigger: the default trigger plans again at once. */
  readonly wakePending: boolean;
  readonly restartDelayMs: number;
}

export type LifecycleEvent =
  | { readonly type: 'STOP' }
  | { readonly type: 'STOP_NOW' }
  | { readonly type: 'WAKE' };

export interface LifecycleInput {
  readonly trigger: TriggerMode;
  readonly pollingDelayMs: number;
}

/**
 * How long after `now` the next trigger fires, given when the last one started and what it
 * did (SEMANTICS §2). ProcessingTime: the next epoch-aligned slot after the trigger's start; a
 * batch that overran its slot is followed at once, without a burst to catch up the slots it
 * missed. Default trigger: at once after a batch, after the polling delay when idle.
 */
export function nextTriggerDelay(trigger: TriggerMode, lastOutcome: LifecycleContext['lastOutcome'], triggerStartMs: number, pollingDelayMs: number, now: number, wakePending = false): number {
  if (trigger.kind === 'processingTime' && trigger.intervalMs > 0) {
    return Math.max(0, nextSlot(triggerStartMs, trigger.intervalMs) - now);
  }
  return lastOutcome === 'idle' && !(wakePending && isWakeable({ trigger })) ? pollingDelayMs : 0;
}

/** Spark's ProcessingTimeExecutor.nextBatchTime: the first interval boundary after `t`. */
export function nextSlot(t: number, intervalMs: number): number {
  return Math.floor(t / intervalMs) * intervalMs + intervalMs;
}

const delayOf = (context: LifecycleContext, now: number): number =>
  nextTriggerDelay(context.trigger, context.lastOutcome, context.triggerStartMs, context.pollingDelayMs, now, context.wakePending);

/** Only the default trigger (ProcessingTime 0) plans early when a source says data arrived. */
function isWakeable(context: { readonly trigger: TriggerMode }): boolean {
  return context.trigger.kind === 'processingTime' && context.trigger.intervalMs === 0;
}

/** How long the last trigger took when it overran its ProcessingTime interval, else 0. */
function overrunMs(context: LifecycleContext, now: number): number {
  const t = context.trigger;
  const elapsed = now - context.triggerStartMs;
  return t.kind === 'processingTime' && t.intervalMs > 0 && elapsed > t.intervalMs ? elapsed : 0;
}

export function createLifecycleMachine(now: () => number) {
  return setup({
    types: {
      context: {} as LifecycleContext,
      events: {} as LifecycleEvent,
      input: {} as LifecycleInput,
    },
    actors: {
      start: fromPromise<void>(async () => { throw new Error('start not provided'); }),
      recover: fromPromise<void>(async () => { throw new Error('recover not provided'); }),
      plan: fromPromise<PlanOutcome>(async () => { throw new Error('plan not provided'); }),
      execute: fromPromise<void>(async () => { throw new Error('execute not provided'); }),
      commit: fromPromise<StreamingQueryProgress>(async () => { throw new Error('commit not provided'); }),
      runContinuous: fromPromise<void>(async () => { throw new Error('runContinuous not provided'); }),
      stop: fromPromise<void>(async () => undefined),
      decideRestart: fromPromise<{ restart: boolean; delayMs: number }, { attempt: number; error: unknown }>(async () => ({ restart: false, delayMs: 0 })),
    },
    actions: {
      reportStarted: () => undefined,
      reportPlanned: (_, _outcome: PlanOutcome) => undefined,
      reportProgress: (_, _progress: StreamingQueryProgress) => undefined,
      /** A ProcessingTime trigger overran its interval by this long (0: it did not). */
      reportFallingBehind: (_, _elapsedMs: number) => undefined,
      reportTerminated: (_, _error: unknown) => undefined,
      /** The policy restarts the query after its `attempt`-th failure in a row, in `delayMs`. */
      reportRestarting: (_, _restart: { attempt: number; error: unknown; delayMs: number }) => undefined,
      /** Trigger.Continuous: end the current epoch, commit it, then let runContinuous finish. */
      finishContinuous: () => undefined,
      requestStop: assign({ stopRequested: true }),
    },
    delays: {
      nextTrigger: ({ context }) => delayOf(context, now()),
      restartDelay: ({ context }) => context.restartDelayMs,
    },
    guards: {
      runsBatch: (_, outcome: PlanOutcome) => outcome === 'batch' || outcome === 'noDataBatch',
      isFinished: (_, outcome: PlanOutcome) => outcome === 'finished',
      isContinuous: (_, outcome: PlanOutcome) => outcome === 'continuous',
      stopRequested: ({ context }) => context.stopRequested,
      wakeable: ({ context }) => isWakeable(context),
    },
  }).createMachine({
    id: 'query',
    context: ({ input }) => ({
      trigger: input.trigger,
      pollingDelayMs: input.pollingDelayMs,
      attempt: 0,
      error: null,
      stopRequested: false,
      lastOutcome: null,
      triggerStartMs: 0,
      wakePending: false,
      restartDelayMs: 0,
    }),
    initial: 'starting',
    states: {
      // Steps that open or build things run to their end even when a stop is asked, so that
      // the stop step closes everything they opened.
      starting: {
        invoke: {
          src: 'start',
          onDone: [
            { guard: 'stopRequested', target: 'stopping', actions: 'reportStarted' },
            { target: 'recovering', actions: 'reportStarted' },
          ],
          onError: { target: 'failing', actions: assign({ error: ({ event }) => event.error }) },
        },
        on: { STOP: { actions: 'requestStop' }, STOP_NOW: { actions: 'requestStop' } },
      },
      recovering: {
        invoke: {
          src: 'recover',
          onDone: [{ guard: 'stopRequested', target: 'stopping' }, { target: 'running' }],
          onError: [
            { guard: 'stopRequested', target: 'failing', actions: assign({ error: ({ event }) => event.error }) },
            { target: 'restarting', actions: assign({ error: ({ event }) => event.error }) },
          ],
        },
        on: { STOP: { actions: 'requestStop' }, STOP_NOW: { actions: 'requestStop' } },
      },
      running: {
        initial: 'planning',
        states: {
          waitingForTrigger: {
            entry: { type: 'reportFallingBehind', params: ({ context }) => overrunMs(context, now()) },
            // A zero delay still yields one turn of the event loop (see the clock the query gives the machine).
            after: { nextTrigger: 'planning' },
            on: { WAKE: { guard: 'wakeable', target: 'planning' } },
          },
          planning: {
            entry: assign({ triggerStartMs: () => now(), wakePending: false }),
            invoke: {
              src: 'plan',
              onDone: [
                {
                  guard: { type: 'runsBatch', params: ({ event }) => event.output },
                  target: 'executing',
                  actions: [assign({ lastOutcome: ({ event }) => event.output }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
                {
                  guard: { type: 'isFinished', params: ({ event }) => event.output },
                  target: '#query.stopping',
                  actions: [assign({ lastOutcome: 'finished' }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
                {
                  guard: 'stopRequested',
                  target: '#query.stopping',
                  actions: [assign({ lastOutcome: 'idle' }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
                {
                  guard: { type: 'isContinuous', params: ({ event }) => event.output },
                  target: 'continuous',
                  actions: [assign({ lastOutcome: 'continuous' }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
                {
                  target: 'waitingForTrigger',
                  actions: [assign({ lastOutcome: 'idle' }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
              ],
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
            // A batch whose offsets are being written is in flight: it runs and commits first.
            on: { STOP: { actions: 'requestStop' } },
          },
          executing: {
            invoke: {
              src: 'execute',
              onDone: 'committing',
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
            on: { STOP: { actions: 'requestStop' } },
          },
          committing: {
            invoke: {
              src: 'commit',
              onDone: [
                {
                  guard: 'stopRequested',
                  target: '#query.stopping',
                  actions: [assign({ lastOutcome: 'committed', attempt: 0 }), { type: 'reportProgress', params: ({ event }) => event.output }],
                },
                {
                  target: 'waitingForTrigger',
                  actions: [assign({ lastOutcome: 'committed', attempt: 0 }), { type: 'reportProgress', params: ({ event }) => event.output }],
                },
              ],
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
            on: { STOP: { actions: 'requestStop' } },
          },
          continuous: {
            invoke: {
              src: 'runContinuous',
              onDone: '#query.stopping',
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
            on: { STOP: { actions: ['requestStop', 'finishContinuous'] } },
          },
        },
        on: {
          STOP: '#query.stopping',
          STOP_NOW: '#query.stopping',
          // Data arrived while a trigger ran: not to be slept through afterwards.
          WAKE: { actions: assign({ wakePending: true }) },
        },
      },
      restarting: {
        entry: assign({ attempt: ({ context }) => context.attempt + 1 }),
        invoke: {
          src: 'decideRestart',
          input: ({ context }) => ({ attempt: context.attempt, error: context.error }),
          onDone: [
            { guard: 'stopRequested', target: 'failing' },
            {
              guard: ({ event }) => event.output.restart,
              target: 'waitingToRestart',
              actions: [
                assign({ restartDelayMs: ({ event }) => event.output.delayMs }),
                {
                  type: 'reportRestarting',
                  params: ({ context, event }) => ({ attempt: context.attempt, error: context.error, delayMs: event.output.delayMs }),
                },
              ],
            },
            { target: 'failing' },
          ],
          onError: 'failing',
        },
        on: { STOP: { actions: 'requestStop' }, STOP_NOW: { actions: 'requestStop' } },
      },
      waitingToRestart: {
        after: { restartDelay: 'recovering' },
        on: { STOP: 'stopping', STOP_NOW: 'stopping' },
      },
      stopping: {
        invoke: { src: 'stop', onDone: 'stopped', onError: 'stopped' },
      },
      failing: {
        invoke: { src: 'stop', onDone: 'failed', onError: 'failed' },
      },
      stopped: {
        type: 'final',
        entry: { type: 'reportTerminated', params: () => null },
      },
      failed: {
        type: 'final',
        entry: { type: 'reportTerminated', params: ({ context }: { context: LifecycleContext }) => context.error },
      },
    },
  });
}

export type LifecycleMachine = ReturnType<typeof createLifecycleMachine>;
export type LifecycleSnapshot = SnapshotFrom<LifecycleMachine>;

/** What the engine adds to the machine's state for query.status. */
export interface EngineStatus {
  /** While planning: whether the offsets are being written (else the sources are asked for theirs). */
  readonly writingOffsets: boolean;
  /** The sources, as progress names them. */
  readonly sourceNames: readonly string[];
  /** Whether the sources had data beyond what was committed when last asked. */
  readonly isDataAvailable: boolean;
}

export interface QueryStatus {
  readonly message: string;
  readonly isDataAvailable: boolean;
  readonly isTriggerActive: boolean;
}

/**
 * query.status from the machine's state, with Spark's messages (MicroBatchExecution): a
 * trigger is active from planning to the end of its commit; a batch's commit is part of
 * running it, as in Spark, so it keeps the batch's message.
 */
export function statusOf(s: LifecycleSnapshot, engine: EngineStatus, describeError: (e: unknown) => string): QueryStatus {
  const { context } = s;
  const batch = context.lastOutcome === 'noDataBatch' ? 'No new data but cleaning up state' : 'Processing new data';
  const inTrigger = (message: string): QueryStatus => ({ message, isDataAvailable: engine.isDataAvailable, isTriggerActive: true });
  const between = (message: string): QueryStatus => ({ message, isDataAvailable: engine.isDataAvailable, isTriggerActive: false });
  if (s.matches('starting') || s.matches('recovering')) return { message: 'Initializing sources', isDataAvailable: false, isTriggerActive: false };
  if (s.matches({ running: 'planning' })) {
    return inTrigger(engine.writingOffsets ? 'Writing offsets to log' : `Getting offsets from ${engine.sourceNames.join(', ')}`);
  }
  if (s.matches({ running: 'executing' }) || s.matches({ running: 'committing' })) return inTrigger(batch);
  if (s.matches({ running: 'continuous' })) return { message: 'Running', isDataAvailable: true, isTriggerActive: true };
  if (s.matches({ running: 'waitingForTrigger' })) {
    const polling = context.lastOutcome === 'idle' && !(context.trigger.kind === 'processingTime' && context.trigger.intervalMs > 0);
    return between(polling ? 'Waiting for data to arrive' : 'Waiting for next trigger');
  }
  if (s.matches('restarting') || s.matches('waitingToRestart')) return between(`Restarting after failure: ${describeError(context.error)}`);
  if (s.matches('stopping') || s.matches('failing')) return between('Stopping');
  if (s.matches('failed')) return { message: `Terminated with exception: ${describeError(context.error)}`, isDataAvailable: false, isTriggerActive: false };
  return { message: 'Stopped', isDataAvailable: false, isTriggerActive: false };
}
