// Sends a region's output rows from a worker thread to the driver, encoded, with credit; at
// each barrier it first sends the thread's end-of-epoch report (its figures and staged state),
// then the barrier, so that the driver has every thread's report once it has aligned their
// barriers.
import type { ActorParent } from '../../actors/actor.js';
import { Actor } from '../../actors/actor.js';
import type { Message } from '../../actors/messages.js';
import type { ChunkCodec } from '../../data/chunk-codec.js';
import type { ChannelSender } from './channel.js';
import { controlMessage } from './messages.js';

export class OutletActor extends Actor {
  rowsOut = 0;

  constructor(
    name: string,
    parent: ActorParent,
    chunkRows: number,
    private readonly codec: ChunkCodec,
    private readonly sender: ChannelSender,
    /** The thread's report for an epoch, taken when its barrier reaches the outlet. */
    private readonly report: (epoch: number) => unknown,
  ) {
    super(name, parent, chunkRows);
  }

  protected async receive(msg: Message): Promise<void> {
    if (msg.type === 'chunk') {
      if (msg.rows.length === 0) return;
      this.rowsOut += msg.rows.length;
      const e = this.codec.encode(msg.rows);
      await this.sender.send({ t: 'rows', buf: e.buffer, len: e.byteLength, n: e.rows });
      return;
    }
    if (msg.type === 'barrier') await this.sender.send({ t: 'report', report: this.report(msg.epoch) });
    await this.sender.send(controlMessage(msg));
  }
}
