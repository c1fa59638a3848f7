// The receiving ends of a region's inputs on a worker thread. An inlet passes on the rows the
// driver dealt it; a split reader reads each split it is sent with the source provider's
// split reader, on this thread, and sends its rows on in chunks with backpressure.
import type { ActorParent } from '../../actors/actor.js';
import { Actor } from '../../actors/actor.js';
import type { Message } from '../../actors/messages.js';
import type { SplitReader } from '../../connectors/contract.js';
import { originOf, splitOf } from '../../actors/messages.js';
import { splitOfRow } from './messages.js';

export class InletActor extends Actor {
  rowsIn = 0;

  protected async receive(msg: Message): Promise<void> {
    if (msg.type === 'chunk') this.rowsIn += msg.rows.length;
    await this.send(msg);
  }
}

export class SplitReaderActor extends Actor {
  /** Rows read since the last take. */
  rows = 0;
  malformed = 0;

  constructor(name: string, parent: ActorParent, chunkRows: number, private readonly reader: SplitReader) {
    super(name, parent, chunkRows);
  }

  protected async receive(msg: Message): Promise<void> {
    if (msg.type !== 'chunk') return this.send(msg);
    // `msg.split` is the source's number: the rows of a partition are tagged `<source>/<partition>`, as the driver's source actor does.
    const source = msg.split;
    for (const row of msg.rows) {
      const rows = this.reader.read(splitOfRow(row), { countMalformed: (n) => { this.malformed += n; } });
      for await (const chunk of rows) {
        if (this.status !== 'active') return;
        this.rows += chunk.length;
        const partition = splitOf(chunk);
        // The records' positions travel with the chunk, so that a failure names the record.
        await this.sendRows(chunk, partition === undefined ? source : `${source ?? ''}/${partition}`, originOf(chunk));
      }
    }
  }

  protected override async dispose(): Promise<void> {
    await this.reader.close().catch(() => undefined);
  }
}
