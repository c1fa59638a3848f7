// Runs an OperatorLogic: the runtime half of the operator contract. It aligns barriers across
// inputs, tracks watermarks (min over inputs), gives the operator its stores, and at every
// aligned barrier lets the operator finish the epoch, snapshots its state, then forwards.
import { BarrierAligner } from '../state/barrier-aligner.js';
import type { DeadLetterBuffer } from './dead-letters.js';
import type { KeyValueStore } from '../state/keyed-store.js';
import { InMemoryKeyedStore } from '../state/keyed-store.js';
import type { OperatorState } from '../state/operator-state.js';
import type { ActorParent } from './actor.js';
import { Actor } from './actor.js';
import type { Barrier, Message, Row } from './messages.js';
import { END, watermark } from './messages.js';
import type { OperatorContext, OperatorLogic } from './operator.js';
import { RowFailure } from './operator.js';
import { atRecord } from '../errors.js';

export class OperatorActor extends Actor implements OperatorContext {
  lateWatermarkMs = 0;
  evictionWatermarkMs = 0;
  split: string | null = null;
  readonly counters: Record<string, number> = {};
  /** Where late rows go when the query has a dead-letter sink (set by the physical planner). */
  deadLetters: DeadLetterBuffer | null = null;
  /** Time spent in the operator's processing of rows, and in its evictions (watermark, epoch end), since reset. */
  readonly timings = { updatesMs: 0, removalsMs: 0 };
  private pending: Row[] = [];
  private aligner: BarrierAligner | null = null;
  private inputWatermarks: number[] = [];
  private ended = 0;
  private opened = false;

  constructor(
    name: string,
    parent: ActorParent,
    chunkRows: number,
    readonly logic: OperatorLogic,
    readonly state: OperatorState | null,
  ) {
    super(name, parent, chunkRows);
  }

  /**
   * This operator's input watermark for a query watermark: the query's, lowered by the upstream
   * operators that lower theirs (see OperatorLogic.outputWatermark). Set by the physical planner.
   */
  inputWatermarkOf: (queryWatermarkMs: number) => number = (ms) => ms;

  /** Recovery: the query watermark the epoch before the first one of this run used. */
  startAt(watermarkMs: number): void {
    this.lateWatermarkMs = this.inputWatermarkOf(watermarkMs);
    this.evictionWatermarkMs = this.lateWatermarkMs;
    this.logic.restored?.(this);
  }

  emit(rows: Row[]): void {
    if (this.pending.length === 0) this.pending = rows;
    else for (const r of rows) this.pending.push(r);
  }

  dropLate(row: Row): void {
    this.deadLetters?.add({ operator: this.name, reason: 'late', watermarkMs: this.lateWatermarkMs, row });
  }

  ownsKey(storeKey: string): boolean {
    return this.state?.owns(storeKey) ?? true;
  }

  store<V>(name: string): KeyValueStore<V> {
    const s = this.state?.stores.get(name);
    if (!s) {
      throw new Error(`operator ${this.logic.name} asked for store '${name}' but declared only [${this.logic.stores.join(', ')}]`);
    }
    if (!(s instanceof InMemoryKeyedStore)) {
      throw new Error(`internal: operator ${this.logic.name} keeps store '${name}' itself (createStore), so it has no key-value view`);
    }
    return s as KeyValueStore<V>;
  }

  protected async receive(msg: Message, input: number): Promise<void> {
    if (!this.opened) {
      this.opened = true;
      this.aligner = new BarrierAligner(this.inputs);
      this.inputWatermarks = new Array<number>(this.inputs).fill(this.evictionWatermarkMs);
      await this.logic.open?.(this);
    }
    switch (msg.type) {
      case 'chunk': {
        const t0 = performance.now();
        this.split = msg.split ?? null;
        try {
          await this.logic.process(msg.rows, input, this);
        } catch (e) {
          if (!(e instanceof RowFailure)) throw e;
          throw msg.origin ? atRecord(e.error, msg.origin(e.rowIndex)) : e.error;
        }
        this.timings.updatesMs += performance.now() - t0;
        // What the chunk's processing emitted keeps its split (a chain's output rows).
        const split = this.split ?? undefined;
        this.split = null;
        return this.flush(split);
      }
      case 'watermark':
        return this.onWatermark(msg.ms, input);
      case 'barrier':
        return this.onBarrier(msg, input);
      case 'end':
        if (++this.ended < this.inputs) return;
        this.opened = false;
        await this.logic.close?.();
        return this.send(END);
    }
  }

  private async onWatermark(ms: number, input: number): Promise<void> {
    this.inputWatermarks[input] = Math.max(this.inputWatermarks[input]!, ms);
    const aligned = Math.min(...this.inputWatermarks);
    if (aligned <= this.evictionWatermarkMs) return;
    this.evictionWatermarkMs = aligned;
    const t0 = performance.now();
    this.logic.onWatermark?.(this);
    this.timings.removalsMs += performance.now() - t0;
    await this.flush();
    await this.send(watermark(this.logic.outputWatermark?.(aligned) ?? aligned));
  }

  private async onBarrier(b: Barrier, input: number): Promise<void> {
    if (!this.aligner!.arrive(input, b.epoch)) {
      this.pauseInput(input);
      return;
    }
    const t0 = performance.now();
    await this.logic.onEpochEnd?.(b, this);
    this.timings.removalsMs += performance.now() - t0;
    await this.flush();
    this.state?.snapshot(b.epoch);
    // Rows of the next epoch are late against the watermark this epoch evicted with.
    this.lateWatermarkMs = this.evictionWatermarkMs;
    await this.send(b);
    for (let i = 0; i < this.inputs; i++) this.resumeInput(i);
  }

  private async flush(split?: string): Promise<void> {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    await this.sendRows(rows, split);
  }

  protected override async dispose(): Promise<void> {
    if (this.opened) await this.logic.close?.();
    this.opened = false;
  }
}
