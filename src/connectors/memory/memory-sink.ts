// The memory sink: a session table named by queryName, read with spark.table(name). A replayed
// epoch is skipped; complete mode replaces the table each epoch, the other modes append.
import type { Row } from '../../data/row.js';
import type { EpochWriter } from '../../actors/sink-actor.js';
import { AnalysisError } from '../../errors.js';
import type { OutputMode } from '../../plan/logical.js';
import type { MemoryTable, SinkContext, SinkOptions, StreamSink } from '../contract.js';
import { registerSink } from '../contract.js';

class MemorySink implements StreamSink {
  readonly supportedModes: readonly OutputMode[] = ['append', 'update', 'complete'];
  readonly guarantee = 'none' as const;
  readonly guaranteeReason = 'memory sink: none; the table lives in this process only (a replayed epoch is skipped while it lives)';
  readonly needsCheckpointLocation = false;
  readonly supportsContinuous = true;
  private table: MemoryTable | null = null;
  private mode: OutputMode = 'append';

  constructor(private readonly name: string, private readonly tables: Map<string, MemoryTable>) {}

  get description(): string {
    return `MemorySink[${this.name}]`;
  }

  async open(ctx: SinkContext): Promise<void> {
    this.mode = ctx.outputMode;
    let table = this.tables.get(this.name);
    if (!table) {
      table = { rows: [], lastEpoch: -1, schema: ctx.schema };
      this.tables.set(this.name, table);
    }
    this.table = table;
  }

  beginEpoch(epoch: number): EpochWriter | null {
    const table = this.table!;
    if (epoch <= table.lastEpoch) return null;
    const rows: Row[] = [];
    return {
      write: (chunk) => { for (const r of chunk) rows.push(r); },
      commit: () => {
        if (this.mode === 'complete') table.rows = rows;
        else for (const r of rows) table.rows.push(r);
        table.lastEpoch = epoch;
      },
    };
  }

  async close(): Promise<void> {}
}

registerSink('memory', {
  // queryName names the table: the writer's own option.
  options: [],
  create(opts: SinkOptions): StreamSink {
    if (!opts.queryName) {
      throw new AnalysisError('queryName must be specified for memory sink: call writeStream.queryName("name"), then read it with spark.table("name")');
    }
    return new MemorySink(opts.queryName, opts.services.tables);
  },
});
