// Takes an epoch's rows off the data plane into a sink and commits the epoch at its barrier.
// A sink that already committed an epoch (a replay after a crash) returns no writer and the
// epoch's rows are skipped, so output is never duplicated.
import type { ActorParent } from './actor.js';
import { Actor } from './actor.js';
import type { Message, Row } from './messages.js';

export interface EpochWriter {
  write(rows: Row[]): void | Promise<void>;
  /** Makes the epoch's rows visible; must be idempotent for a given epoch. */
  commit(): void | Promise<void>;
  /** Rows the epoch wrote, read after commit, when the writer did not get them all itself (worker threads wrote some). */
  readonly outputRows?: number;
}

export interface EpochSink {
  /** A writer for `epoch`, or null when the epoch was already committed. */
  beginEpoch(epoch: number): EpochWriter | null | Promise<EpochWriter | null>;
}

export interface EpochCommitted {
  readonly epoch: number;
  readonly numOutputRows: number;
}

export class SinkActor extends Actor {
  private writer: EpochWriter | null | undefined;
  private rows = 0;

  constructor(
    name: string,
    parent: ActorParent,
    chunkRows: number,
    private readonly sink: EpochSink,
    /** The epoch the first rows belong to. */
    private nextEpoch: number,
    private readonly onCommitted: (c: EpochCommitted) => void,
    private readonly onEnd: () => void = () => undefined,
  ) {
    super(name, parent, chunkRows);
  }

  /** Recovery and continuous mode: the epoch the next rows belong to. */
  expectEpoch(epoch: number): void {
    this.nextEpoch = epoch;
  }

  protected async receive(msg: Message): Promise<void> {
    switch (msg.type) {
      case 'chunk': {
        const writer = await this.currentWriter();
        if (writer) {
          this.rows += msg.rows.length;
          await writer.write(msg.rows);
        }
        return;
      }
      case 'barrier': {
        const writer = await this.currentWriter();
        if (msg.epoch !== this.nextEpoch) {
          throw new Error(`sink ${this.name} expected the barrier of epoch ${this.nextEpoch} but got epoch ${msg.epoch}`);
        }
        if (writer) await writer.commit();
        const committed = { epoch: msg.epoch, numOutputRows: writer ? writer.outputRows ?? this.rows : 0 };
        this.writer = undefined;
        this.rows = 0;
        this.nextEpoch = msg.epoch + 1;
        this.onCommitted(committed);
        return;
      }
      case 'watermark': return;
      case 'end': this.onEnd(); return;
    }
  }

  private async currentWriter(): Promise<EpochWriter | null> {
    if (this.writer === undefined) this.writer = await this.sink.beginEpoch(this.nextEpoch);
    return this.writer;
  }
}
