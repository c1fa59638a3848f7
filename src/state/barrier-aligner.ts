// Barrier alignment for an actor with several inputs: once an input delivered the barrier of
// an epoch, that input is held back until every input has delivered it.

export class BarrierAligner {
  private readonly arrived = new Set<number>();
  private epoch: number | null = null;

  constructor(private readonly inputs: number) {}

  /**
   * Records that `input` delivered the barrier of `epoch`. Returns true when this was the last
   * input to do so (the barrier is aligned and may be processed and forwarded).
   */
  arrive(input: number, epoch: number): boolean {
    if (this.epoch !== null && this.epoch !== epoch) {
      throw new Error(`barrier for epoch ${epoch} arrived on input ${input} while epoch ${this.epoch} is being aligned`);
    }
    this.epoch = epoch;
    this.arrived.add(input);
    if (this.arrived.size < this.inputs) return false;
    this.arrived.clear();
    this.epoch = null;
    return true;
  }

  /** Inputs that delivered the current barrier and must wait. */
  blocked(): number[] {
    return [...this.arrived];
  }
}
