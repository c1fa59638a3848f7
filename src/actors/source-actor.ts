// Puts one source's data on the data plane: for each epoch the driver asks it to send, it sends
// the epoch's watermark, the rows in chunks (waiting for credit), then the epoch's barrier.
import type { ActorParent } from './actor.js';
import { Actor } from './actor.js';
import type { Message, Row } from './messages.js';
import { barrier, originOf, splitOf, watermark } from './messages.js';

export interface EpochInput {
  readonly epoch: number;
  readonly watermarkMs: number;
  readonly batchTimestampMs: number;
  /** The epoch's rows, in chunks of any size. */
  readonly rows: AsyncIterable<Row[]> | Iterable<Row[]>;
}

export class SourceActor extends Actor {
  private lastWatermark = 0;

  /** `index`: the source's number in the query, which prefixes the splits its chunks are tagged with. */
  constructor(name: string, parent: ActorParent, chunkRows: number, private readonly index = 0) {
    super(name, parent, chunkRows);
  }

  /** Sends epoch `input.epoch`; resolves with the number of rows sent once its barrier is sent. */
  runEpoch(input: EpochInput): Promise<number> {
    return this.ask(async () => {
      if (input.watermarkMs > this.lastWatermark) {
        this.lastWatermark = input.watermarkMs;
        await this.send(watermark(input.watermarkMs));
      }
      let count = 0;
      for await (const rows of input.rows) {
        // Stopped mid-epoch (a stop at once): leave the source's read instead of draining it.
        if (this.status !== 'active') throw new Error(`source actor ${this.name} stopped during epoch ${input.epoch}`);
        count += rows.length;
        const split = splitOf(rows);
        await this.sendRows(rows, split === undefined ? `${this.index}` : `${this.index}/${split}`, originOf(rows));
      }
      await this.send(barrier(input.epoch, input.batchTimestampMs));
      return count;
    });
  }

  /** Sends rows outside any epoch (continuous mode) or a lone message such as End. */
  emit(rows: Row[]): Promise<void> {
    return this.ask(() => this.sendRows(rows));
  }

  post(msg: Message): Promise<void> {
    return this.ask(() => this.send(msg));
  }

  protected receive(): void {
    throw new Error(`source actor ${this.name} has no inputs`);
  }
}
