// The lifecycle of one query as an XState v5 machine: starting → recovering → running
// { waitingForTrigger, planning, executing, committing } → stopping → stopped | failed, with
// restarts by policy. The machine is logic only; the steps it invokes (start, recover, plan,
// execute, commit, stop) and what it reports are provided by the StreamingQuery that runs it.
import { assign, fromPromise, setup } from 'xstate';
import type { PlanOutcome } from './micro-batch-execution.js';
import type { StreamingQueryProgress } from './progress.js';
import type { TriggerMode } from './trigger.js';

export interface LifecycleContext {
  readonly trigger: TriggerMode;
  readonly pollingDelayMs: number;
  /** Failures in a row since the last committed batch. */
  readonly attempt: number;
  readonly error: unknown;
  /** A graceful stop was asked while a batch was in flight: stop after its commit. */
  readonly stopRequested: boolean;
  readonly lastOutcome: PlanOutcome | 'committed' | null;
  readonly triggerStartMs: number;
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

/** When the next trigger fires, given what the last one did (SEMANTICS §2). */
export function nextTriggerDelay(ctx: LifecycleContext, now: number): number {
  const t = ctx.trigger;
  if (t.kind === 'processingTime' && t.intervalMs > 0) {
    // Epoch-aligned slots; an overrun starts the next batch at once, without a catch-up burst.
    const slot = Math.floor(ctx.triggerStartMs / t.intervalMs) * t.intervalMs + t.intervalMs;
    return Math.max(0, slot - now);
  }
  return ctx.lastOutcome === 'idle' ? ctx.pollingDelayMs : 0;
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
      stop: fromPromise<void>(async () => undefined),
      decideRestart: fromPromise<{ restart: boolean; delayMs: number }, { attempt: number }>(async () => ({ restart: false, delayMs: 0 })),
    },
    actions: {
      reportProgress: (_, _progress: StreamingQueryProgress) => undefined,
      reportPlanned: (_, _outcome: PlanOutcome) => undefined,
      reportStarted: () => undefined,
      reportTerminated: (_, _error: unknown) => undefined,
    },
    delays: {
      nextTrigger: ({ context }) => nextTriggerDelay(context, now()),
      restartDelay: ({ context }) => context.restartDelayMs,
    },
    guards: {
      isBatch: (_, outcome: PlanOutcome) => outcome === 'batch',
      isFinished: (_, outcome: PlanOutcome) => outcome === 'finished',
      stopRequested: ({ context }) => context.stopRequested,
      immediate: ({ context }) => nextTriggerDelay(context, now()) === 0,
      wakeable: ({ context }) => context.trigger.kind !== 'processingTime' || context.trigger.intervalMs === 0,
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
      restartDelayMs: 0,
    }),
    initial: 'starting',
    states: {
      starting: {
        invoke: {
          src: 'start',
          onDone: { target: 'recovering', actions: 'reportStarted' },
          onError: { target: 'failing', actions: assign({ error: ({ event }) => event.error }) },
        },
        on: { STOP: 'stopping', STOP_NOW: 'stopping' },
      },
      recovering: {
        invoke: {
          src: 'recover',
          onDone: 'running',
          onError: { target: 'restarting', actions: assign({ error: ({ event }) => event.error }) },
        },
        on: { STOP: 'stopping', STOP_NOW: 'stopping' },
      },
      running: {
        initial: 'planning',
        states: {
          waitingForTrigger: {
            after: { nextTrigger: 'planning' },
            on: { WAKE: { guard: 'wakeable', target: 'planning' } },
          },
          planning: {
            entry: assign({ triggerStartMs: () => now() }),
            invoke: {
              src: 'plan',
              onDone: [
                {
                  guard: { type: 'isBatch', params: ({ event }) => event.output },
                  target: 'executing',
                  actions: [assign({ lastOutcome: 'batch' }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
                {
                  guard: { type: 'isFinished', params: ({ event }) => event.output },
                  target: '#query.stopping',
                  actions: { type: 'reportPlanned', params: ({ event }) => event.output },
                },
                {
                  target: 'waitingForTrigger',
                  actions: [assign({ lastOutcome: 'idle' }), { type: 'reportPlanned', params: ({ event }) => event.output }],
                },
              ],
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
          },
          executing: {
            invoke: {
              src: 'execute',
              onDone: 'committing',
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
            on: { STOP: { actions: assign({ stopRequested: true }) } },
          },
          committing: {
            invoke: {
              src: 'commit',
              onDone: [
                {
                  guard: 'stopRequested',
                  target: '#query.stopping',
                  actions: [{ type: 'reportProgress', params: ({ event }) => event.output }],
                },
                {
                  target: 'waitingForTrigger',
                  actions: [
                    assign({ lastOutcome: 'committed', attempt: 0 }),
                    { type: 'reportProgress', params: ({ event }) => event.output },
                  ],
                },
              ],
              onError: { target: '#query.restarting', actions: assign({ error: ({ event }) => event.error }) },
            },
            on: { STOP: { actions: assign({ stopRequested: true }) } },
          },
        },
        on: { STOP: '#query.stopping', STOP_NOW: '#query.stopping' },
      },
      restarting: {
        entry: assign({ attempt: ({ context }) => context.attempt + 1 }),
        invoke: {
          src: 'decideRestart',
          input: ({ context }) => ({ attempt: context.attempt }),
          onDone: [
            {
              guard: ({ event }) => event.output.restart,
              target: 'waitingToRestart',
              actions: assign({ restartDelayMs: ({ event }) => event.output.delayMs }),
            },
            { target: 'failing' },
          ],
          onError: 'failing',
        },
        on: { STOP: 'stopping', STOP_NOW: 'stopping' },
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
