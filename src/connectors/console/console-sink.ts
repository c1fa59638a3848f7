// The console sink: Spark's `Batch: N` banner and table for every epoch (numRows, truncate).
import type { Row } from '../../data/row.js';
import type { EpochWriter } from '../../actors/sink-actor.js';
import type { StructType } from '../../expr/types.js';
import { structOf } from '../../expr/types.js';
import type { OutputMode } from '../../plan/logical.js';
import { showString } from './format-table.js';
import type { SinkContext, SinkOptions, StreamSink } from '../contract.js';
import { booleanOption, numberOption, registerSink } from '../contract.js';

const BANNER = '-------------------------------------------';

/** An epoch as the console sink prints it: Spark's banner, then the first `numRows` rows as a table. */
export function consoleBatch(epoch: number, schema: StructType, rows: readonly Row[], numRows: number, truncate: boolean): string {
  return `${BANNER}\nBatch: ${epoch}\n${BANNER}\n${showString(schema, rows, numRows, truncate ? 20 : 0)}\n`;
}

class ConsoleSink implements StreamSink {
  readonly description = 'ConsoleSink';
  readonly supportedModes: readonly OutputMode[] = ['append', 'update', 'complete'];
  readonly guarantee = 'none' as const;
  readonly guaranteeReason = 'console sink: none; each epoch is printed as it runs, and a replayed epoch is printed again';
  readonly needsCheckpointLocation = false;
  readonly supportsContinuous = true;
  private schema: StructType = structOf([]);

  constructor(private readonly numRows: number, private readonly truncate: boolean) {}

  async open(ctx: SinkContext): Promise<void> {
    this.schema = ctx.schema;
  }

  beginEpoch(epoch: number): EpochWriter {
    const rows: Row[] = [];
    return {
      write: (chunk) => { for (const r of chunk) if (rows.length <= this.numRows) rows.push(r); },
      commit: () => {
        process.stdout.write(consoleBatch(epoch, this.schema, rows, this.numRows, this.truncate));
      },
    };
  }

  async close(): Promise<void> {}
}

registerSink('console', {
  options: ['numRows', 'truncate'],
  create(opts: SinkOptions): StreamSink {
    return new ConsoleSink(
      numberOption(opts.options, 'numRows', 20, (n) => Number.isInteger(n) && n > 0),
      booleanOption(opts.options, 'truncate', true),
    );
  },
});
