// Trigger.Continuous: no micro-batches. Every source's rows go into the graph as they arrive;
// every checkpoint interval the run cuts an epoch: it holds the readers between two segments,
// writes the epoch's end offsets to the offset log (write-ahead, as a micro-batch does), and
// sends Barrier(epoch) after the epoch's rows. When the sink has committed at that barrier the
// engine writes commits/N. The logs are the same as a micro-batch query's, so either kind of
// query can continue from the other's checkpoint. Rows read after the last barrier are read
// again after a restart: continuous processing is at-least-once (SEMANTICS §2).
import type { EpochCommitted } from '../actors/sink-actor.js';
import { barrier } from '../actors/messages.js';
import type { ContinuousSegment, Offset } from '../connectors/contract.js';
import type { PlannedSource } from '../plan/physical.js';
import type { QueryClock } from './clock.js';
import { pollingReader, sameOffset } from './continuous-reader.js';
import { nextSlot } from './lifecycle-machine.js';

/** An epoch the run cut: its offsets were in the offset log before its barrier was sent. */
export interface ContinuousEpoch {
  readonly epoch: number;
  readonly start: readonly Offset[];
  readonly end: readonly Offset[];
  /** Rows each source sent in the epoch. */
  readonly rows: readonly number[];
  /** Clock time the epoch began (the previous cut, or the start of the run). */
  readonly startedAtMs: number;
  /** Clock time of the cut; the epoch's batch timestamp. */
  readonly batchTimestampMs: number;
  readonly walCommitMs: number;
  /** performance.now() when the barrier was sent. */
  readonly barrierSentAt: number;
}

export interface ContinuousRunInput {
  readonly sources: readonly PlannedSource[];
  readonly firstEpoch: number;
  /** Where each source resumes: the end offsets of the last committed epoch. */
  readonly startOffsets: readonly Offset[];
  readonly intervalMs: number;
  readonly clock: QueryClock;
  readonly pollingDelayMs: number;
  /** Writes offsets/N before the epoch's barrier is sent. */
  writeOffsets(epoch: number, ends: readonly Offset[], batchTimestampMs: number): Promise<void>;
  /** The sink committed the epoch: write commits/N, tell the sources, report progress. Called in epoch order. */
  commitEpoch(epoch: ContinuousEpoch, committed: EpochCommitted): Promise<void>;
}

type Waiter = { readonly resolve: () => void; readonly reject: (e: unknown) => void };

export class ContinuousRun {
  private epoch: number;
  private readonly positions: Offset[];
  private epochStart: readonly Offset[];
  private rows: number[];
  private epochStartedAt = 0;
  /** Readers in the middle of a segment; a cut waits for none. */
  private inSegment = 0;
  private gateClosed = false;
  private gateWaiters: Array<() => void> = [];
  private segmentWaiters: Array<() => void> = [];
  /** Per reader: it had read everything available after its last segment. */
  private readonly caughtUp: boolean[];
  private caughtUpWaiters: Array<() => void> = [];
  private readonly wakers: Array<(() => void) | null>;
  /** Wakes sent to each polled reader; its caught-up segment counts only if it saw them all. */
  private readonly wakes: number[];
  /** No more rows go out (a final epoch was cut, or the run halted). */
  private closed = false;
  private halted = false;
  private failure: unknown = null;
  private finishing = false;
  private readonly readersAbort = new AbortController();
  private readonly cutEpochs = new Map<number, ContinuousEpoch>();
  private lastCut: number;
  private lastCommitted: number;
  private commitWaiters: Array<{ readonly epoch: number } & Waiter> = [];
  private cutting: Promise<unknown> = Promise.resolve();
  private commitChain: Promise<unknown> = Promise.resolve();
  private readers: Promise<void>[] = [];
  private timer: unknown = null;
  private outcome: Waiter | null = null;

  constructor(private readonly input: ContinuousRunInput) {
    this.epoch = input.firstEpoch;
    this.lastCut = input.firstEpoch - 1;
    this.lastCommitted = input.firstEpoch - 1;
    this.positions = [...input.startOffsets];
    this.epochStart = [...input.startOffsets];
    this.rows = input.sources.map(() => 0);
    this.caughtUp = input.sources.map(() => false);
    this.wakers = input.sources.map(() => null);
    this.wakes = input.sources.map(() => 0);
  }

  /**
   * Runs until finish() has committed the last epoch (resolves), a failure (rejects), or
   * `signal` aborts (stop at once: resolves; rows after the last barrier are read again later).
   */
  run(signal: AbortSignal): Promise<void> {
    const outcome = new Promise<void>((resolve, reject) => { this.outcome = { resolve, reject }; });
    if (signal.aborted) this.halt();
    else signal.addEventListener('abort', () => { this.halt(); this.outcome?.resolve(); }, { once: true });
    this.epochStartedAt = this.input.clock.now();
    this.readers = this.input.sources.map((s, i) => this.pump(i, this.readerFor(s, i)).catch((e: unknown) => this.fail(e)));
    this.schedule();
    return outcome;
  }

  /** Graceful stop: cuts the epoch in flight, waits for its commit, then ends the run. */
  finish(): void {
    if (this.finishing || this.halted) return;
    this.finishing = true;
    this.clearTimer();
    void (async () => {
      const last = await this.cut(true);
      await this.committed(last?.epoch ?? this.lastCut);
      this.halt();
      this.outcome?.resolve();
    })().catch((e: unknown) => this.fail(e));
  }

  /**
   * processAllAvailable: waits until every reader has read what was available when called,
   * cuts an epoch, and resolves once it is committed.
   */
  async flush(): Promise<void> {
    this.throwIfStopped();
    this.wake();
    await this.until(() => this.caughtUp.every(Boolean), this.caughtUpWaiters);
    const cut = await this.cut(false);
    await this.committed(cut?.epoch ?? this.lastCut);
  }

  /** A source has new data (SourceContext.wake): polled readers look at once. */
  wake(): void {
    this.wakers.forEach((w, i) => {
      if (!w) return;
      this.caughtUp[i] = false;
      this.wakes[i]!++;
      w();
    });
  }

  /** The sink committed an epoch at its barrier. */
  onSinkCommitted(c: EpochCommitted): void {
    const e = this.cutEpochs.get(c.epoch);
    if (!e) return;
    this.cutEpochs.delete(c.epoch);
    this.commitChain = this.commitChain
      .then(() => this.input.commitEpoch(e, c))
      .then(() => {
        this.lastCommitted = c.epoch;
        const ready = this.commitWaiters.filter((w) => w.epoch <= c.epoch);
        this.commitWaiters = this.commitWaiters.filter((w) => w.epoch > c.epoch);
        for (const w of ready) w.resolve();
      })
      .catch((err: unknown) => this.fail(err));
  }

  /** A failure anywhere in the run (an actor, a reader, the checkpoint) ends it. */
  fail(error: unknown): void {
    if (this.halted) return;
    this.failure = error;
    this.halt();
    this.outcome?.reject(error);
  }

  /** Stops at once: no more rows, cuts or commits start (the query is stopping). */
  abort(): void {
    this.halt();
  }

  /**
   * Resolves once nothing the run started is still running, to be awaited before the
   * checkpoint closes (and after the graph stopped, which releases a reader held by a full link).
   */
  async settled(): Promise<void> {
    this.halt();
    await Promise.allSettled([...this.readers, this.cutting, this.commitChain]);
  }

  private readerFor(s: PlannedSource, i: number): AsyncIterable<ContinuousSegment & { readonly wakesSeen?: number }> {
    const own = s.source.readContinuous?.(this.positions[i], this.readersAbort.signal);
    if (own) return own;
    return pollingReader(s.source, this.positions[i], this.readersAbort.signal, {
      clock: this.input.clock,
      pollingDelayMs: this.input.pollingDelayMs,
      onWake: (w) => { this.wakers[i] = w; },
    });
  }

  /** Moves one reader's segments into its source actor, between cuts. */
  private async pump(i: number, reader: AsyncIterable<ContinuousSegment & { readonly wakesSeen?: number }>): Promise<void> {
    const actor = this.input.sources[i]!.actor;
    for await (const segment of reader) {
      while (this.gateClosed && !this.closed) await new Promise<void>((r) => this.gateWaiters.push(r));
      if (this.closed) return;
      this.inSegment++;
      try {
        for await (const rows of segment.rows) {
          if (rows.length === 0) continue;
          this.rows[i]! += rows.length;
          await actor.emit(rows);
        }
        this.positions[i] = segment.end;
      } finally {
        this.inSegment--;
        if (this.inSegment === 0) for (const w of this.segmentWaiters.splice(0)) w();
      }
      // A polled reader's "caught up" is stale if it was woken after the poll that produced it.
      this.caughtUp[i] = segment.caughtUp === true && (segment.wakesSeen === undefined || segment.wakesSeen === this.wakes[i]);
      if (this.caughtUp[i]) for (const w of this.caughtUpWaiters.splice(0)) w();
    }
  }

  private schedule(): void {
    if (this.closed || this.finishing) return;
    const now = this.input.clock.now();
    this.timer = this.input.clock.setTimeout(() => {
      this.timer = null;
      this.cut(false).then(() => this.schedule(), (e: unknown) => this.fail(e));
    }, nextSlot(now, this.input.intervalMs) - now);
  }

  /** Cuts the current epoch (one cut at a time); null when it has no rows and no moved offsets. */
  private cut(final: boolean): Promise<ContinuousEpoch | null> {
    const next = this.cutting.then(() => this.cutNow(final));
    this.cutting = next.catch(() => undefined);
    return next;
  }

  private async cutNow(final: boolean): Promise<ContinuousEpoch | null> {
    if (this.halted) return null;
    this.gateClosed = true;
    try {
      if (this.inSegment > 0) await new Promise<void>((r) => this.segmentWaiters.push(r));
      if (final) this.closed = true;
      if (this.halted) return null;
      const moved = this.positions.some((o, i) => !sameOffset(o, this.epochStart[i]));
      if (!moved && this.rows.every((n) => n === 0)) return null;
      const epoch = this.epoch;
      const end = [...this.positions];
      const batchTimestampMs = this.input.clock.now();
      const t0 = performance.now();
      await this.input.writeOffsets(epoch, end, batchTimestampMs);
      if (this.halted) return null;
      const cut: ContinuousEpoch = {
        epoch, start: this.epochStart, end, rows: [...this.rows], startedAtMs: this.epochStartedAt,
        batchTimestampMs, walCommitMs: performance.now() - t0, barrierSentAt: performance.now(),
      };
      this.cutEpochs.set(epoch, cut);
      // Enqueued now, behind every row already handed to the actors; sent as credit allows.
      for (const s of this.input.sources) s.actor.post(barrier(epoch, batchTimestampMs)).catch((e: unknown) => this.fail(e));
      this.lastCut = epoch;
      this.epoch = epoch + 1;
      this.epochStart = end;
      this.rows = this.rows.map(() => 0);
      this.epochStartedAt = batchTimestampMs;
      return cut;
    } finally {
      this.gateClosed = false;
      for (const w of this.gateWaiters.splice(0)) w();
    }
  }

  /** Resolves once `epoch` (and every epoch before it) is committed. */
  private committed(epoch: number): Promise<void> {
    this.throwIfStopped();
    if (epoch <= this.lastCommitted || this.halted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.commitWaiters.push({ epoch, resolve, reject }));
  }

  private until(ready: () => boolean, waiters: Array<() => void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failure) reject(this.failure);
        else if (this.halted || ready()) resolve();
        else waiters.push(check);
      };
      check();
    });
  }

  private throwIfStopped(): void {
    if (this.failure) throw this.failure;
  }

  private halt(): void {
    if (this.halted) return;
    this.halted = true;
    this.closed = true;
    this.clearTimer();
    this.readersAbort.abort();
    for (const w of this.gateWaiters.splice(0)) w();
    for (const w of this.segmentWaiters.splice(0)) w();
    for (const w of this.caughtUpWaiters.splice(0)) w();
    // Nothing more will be committed: waiters learn of a failure, or that the run stopped.
    for (const w of this.commitWaiters.splice(0)) {
      if (this.failure) w.reject(this.failure);
      else w.resolve();
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) this.input.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
