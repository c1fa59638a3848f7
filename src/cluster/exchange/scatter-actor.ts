// Deals the rows of a driver-side input out to the worker threads of a region (Spark's
// RoundRobinPartitioning for a source that cannot be split): each chunk is encoded once and
// sent whole to the next thread in turn. For a source whose splits the threads read, the
// "rows" are split descriptors, sent one each to thread (split index mod N). Watermarks,
// barriers and End go to every thread, after the rows before them.
import type { ActorParent } from '../../actors/actor.js';
import { Actor } from '../../actors/actor.js';
import type { Message } from '../../actors/messages.js';
import type { ChunkCodec } from '../../data/chunk-codec.js';
import type { ChannelMessage, ChannelSender } from './channel.js';
import { controlMessage, splitOfRow } from './messages.js';

export class ScatterActor extends Actor {
  private nextThread = 0;
  private splitIndex = 0;

  constructor(
    name: string,
    parent: ActorParent,
    chunkRows: number,
    /** Null when the input carries split descriptors. */
    private readonly codec: ChunkCodec | null,
    private readonly senders: readonly ChannelSender[],
  ) {
    super(name, parent, chunkRows);
  }

  protected async receive(msg: Message): Promise<void> {
    if (msg.type === 'chunk') {
      if (this.codec === null) {
        for (const row of msg.rows) {
          const index = this.splitIndex++;
          await this.senders[index % this.senders.length]!.send({ t: 'split', split: splitOfRow(row), index, ...(msg.split !== undefined ? { tag: msg.split } : {}) });
        }
        return;
      }
      if (msg.rows.length === 0) return;
      const t0 = performance.now();
      const e = this.codec.encode(msg.rows);
      const to = this.nextThread;
      this.nextThread = (to + 1) % this.senders.length;
      this.senders[to]!.stats.ms += performance.now() - t0;
      await this.senders[to]!.send({ t: 'rows', buf: e.buffer, len: e.byteLength, n: e.rows, ...(msg.split !== undefined ? { split: msg.split } : {}) });
      return;
    }
    if (msg.type === 'barrier') this.splitIndex = 0;
    const control = controlMessage(msg);
    for (const s of this.senders) await s.send(control);
  }

  /** Tells every thread an epoch starts, ahead of its rows (the scatter has sent nothing of it yet). */
  beginEpoch(m: Extract<ChannelMessage, { t: 'epoch' }>): void {
    for (const s of this.senders) void s.send(m);
  }
}
