// foreachBatch: the user's function gets each epoch as a static DataFrame and its batch id.
// A replayed epoch gets the same id, so the function can make its writes idempotent. An error
// it throws fails the query, with that error as the cause. The function is called only while
// the run still holds the checkpoint (its fence), so a run that froze past its lock timeout
// while another run took over never delivers an epoch again.
import type { Row } from '../../data/row.js';
import type { EpochWriter } from '../../actors/sink-actor.js';
import { AnalysisError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import type { OutputMode } from '../../plan/logical.js';
import type { CheckpointBackend } from '../../state/backend.js';
import type { SinkContext, SinkOptions, StreamSink } from '../contract.js';
import { registerSink } from '../contract.js';

export type BatchFunction = (rows: Row[], schema: StructType, batchId: number) => Promise<void>;

class ForeachBatchSink implements StreamSink {
  readonly description = 'ForeachBatchSink';
  readonly supportedModes: readonly OutputMode[] = ['append', 'update', 'complete'];
  readonly guarantee = 'at-least-once' as const;
  readonly guaranteeReason = 'foreachBatch sink: at-least-once; a replayed epoch calls the function again with the same batchId, so writes keyed by batchId are exactly-once';
  readonly needsCheckpointLocation = false;
  readonly reportsOutputRows = false;
  private schema: StructType | null = null;
  private checkpoint: CheckpointBackend | null = null;

  constructor(private readonly fn: BatchFunction) {}

  async open(ctx: SinkContext): Promise<void> {
    this.schema = ctx.schema;
    this.checkpoint = ctx.checkpoint;
  }

  beginEpoch(epoch: number): EpochWriter {
    const rows: Row[] = [];
    return {
      write: (chunk) => { for (const r of chunk) rows.push(r); },
      commit: async () => {
        await this.checkpoint!.checkFence();
        await this.fn(rows, this.schema!, epoch);
      },
    };
  }

  async close(): Promise<void> {}
}

registerSink('foreachBatch', {
  options: [],
  create(opts: SinkOptions): StreamSink {
    if (typeof opts.instance !== 'function') throw new AnalysisError('foreachBatch needs a function (batch, batchId) => ...');
    return new ForeachBatchSink(opts.instance as BatchFunction);
  },
});
