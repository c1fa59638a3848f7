// Sends a region's output rows from a worker thread to the driver, encoded, with credit; at
// each barrier it first sends the thread's end-of-epoch report (its figures and staged state),
// then the barrier, so that the driver has every thread's report once it has aligned their
// barriers. With a sink that writes from the threads (a file sink's part files), the rows go to
// this thread's share of the sink instead, and what it wrote goes in the report. An owner's
// aggregation hands its output over as columns (RowColumns), written without a row object.
import type { ActorParent } from '../../actors/actor.js';
import { Actor } from '../../actors/actor.js';
import type { Message } from '../../actors/messages.js';
import type { TaskEpochWriter, TaskSink, TaskSinkResult } from '../../connectors/contract.js';
import { ByteWriter } from '../../data/bytes.js';
import type { ChunkCodec } from '../../data/chunk-codec.js';
import { RowColumns } from '../../data/chunk-codec.js';
import type { ChannelSender } from './channel.js';
import { controlMessage } from './messages.js';

export class OutletActor extends Actor {
  rowsOut = 0;

  private writer: TaskEpochWriter | null = null;

  constructor(
    name: string,
    parent: ActorParent,
    chunkRows: number,
    private readonly codec: ChunkCodec,
    private readonly sender: ChannelSender,
    /** The thread's report for an epoch, taken when its barrier reaches the outlet, with what its sink share wrote. */
    private readonly report: (epoch: number, sink: TaskSinkResult | null) => unknown,
    private readonly sink: TaskSink | null = null,
  ) {
    super(name, parent, chunkRows);
  }

  protected async receive(msg: Message): Promise<void> {
    if (msg.type === 'chunk') {
      if (msg.rows.length === 0) return;
      if (msg.rows[0] instanceof RowColumns) {
        // An owner's aggregation output as columns, each RowColumns a chunk's worth (never with a
        // sink here: the region task asks for them only without one).
        for (const columns of msg.rows as unknown as RowColumns[]) {
          if (columns.n === 0) continue;
          this.rowsOut += columns.n;
          const t0 = performance.now();
          const w = new ByteWriter(64 + columns.n * this.codec.columns.length * 10);
          this.codec.writeColumns(w, columns.n, columns.cols);
          this.sender.stats.ms += performance.now() - t0;
          await this.sender.send({ t: 'rows', buf: w.buffer, len: w.length, n: columns.n });
        }
        return;
      }
      this.rowsOut += msg.rows.length;
      if (this.sink) {
        this.writer ??= this.sink.writer();
        await this.writer.write(msg.rows);
        return;
      }
      const t0 = performance.now();
      const e = this.codec.encode(msg.rows);
      this.sender.stats.ms += performance.now() - t0;
      await this.sender.send({ t: 'rows', buf: e.buffer, len: e.byteLength, n: e.rows });
      return;
    }
    if (msg.type === 'barrier') {
      let wrote: TaskSinkResult | null = null;
      if (this.sink) {
        wrote = this.writer ? await this.writer.finish(msg.epoch) : { rows: 0 };
        this.writer = null;
      }
      await this.sender.send({ t: 'report', report: this.report(msg.epoch, wrote) });
    }
    await this.sender.send(controlMessage(msg));
  }

  protected override async dispose(): Promise<void> {
    await this.sink?.close().catch(() => undefined);
  }
}
