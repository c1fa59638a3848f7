// foreach: Spark's ForeachWriter per epoch: open(partitionId, epochId) → process(row) for
// each row if open returned true → close(error), called whenever open returned normally. An
// epoch is opened only while the run holds the checkpoint (its fence).
import type { Row } from '../../data/row.js';
import type { EpochWriter } from '../../actors/sink-actor.js';
import { AnalysisError } from '../../errors.js';
import type { OutputMode } from '../../plan/logical.js';
import type { CheckpointBackend } from '../../state/backend.js';
import type { SinkContext, SinkOptions, StreamSink } from '../contract.js';
import { registerSink } from '../contract.js';

/**
 * Writes a query's rows one at a time, for {@link DataStreamWriter.foreach} (Spark's
 * `ForeachWriter`). Per epoch: `open(partitionId, epochId)`, then `process(row)` for each of its
 * rows if open returned true (or there is no open), then `close(error)`. At-least-once: after a
 * failure the epoch is replayed and open is called again with the same epoch id, so a writer that
 * returns false for epochs it has already written is exactly-once. Works under Trigger.Continuous.
 *
 * @example
 * ```ts
 * events.writeStream.foreach({
 *   open: (partitionId, epochId) => !written.has(epochId),
 *   process: async (row) => { await db.insert(row); },
 *   close: (error) => { if (error) console.error(error); },
 * }).start();
 * ```
 */
export interface ForeachWriter<R extends Row = Row> {
  /**
   * Called when an epoch starts: `partitionId` is always 0 (spate runs one partition per sink),
   * `epochId` is the batch id. Return false to skip the epoch's rows (already written). Optional.
   */
  open?(partitionId: number, epochId: number): boolean | Promise<boolean>;
  /** Called for each row of the epoch, in order; the next row waits for a returned promise. A throw fails the query. */
  process(row: R): void | Promise<void>;
  /**
   * Called when the epoch ends: with null once all its rows were processed (or skipped), or with
   * the error process() threw, which then fails the query. Optional.
   */
  close?(error: unknown): void | Promise<void>;
}

class ForeachSink implements StreamSink {
  readonly description = 'ForeachSink';
  readonly supportedModes: readonly OutputMode[] = ['append', 'update', 'complete'];
  readonly guarantee = 'at-least-once' as const;
  readonly guaranteeReason = 'foreach sink: at-least-once; a replayed epoch calls open(partitionId, epochId) again, so a writer that skips epochs it has seen is exactly-once';
  readonly needsCheckpointLocation = false;
  readonly supportsContinuous = true;

  private checkpoint: CheckpointBackend | null = null;

  constructor(private readonly writer: ForeachWriter) {}

  async open(ctx: SinkContext): Promise<void> {
    this.checkpoint = ctx.checkpoint;
  }

  async beginEpoch(epoch: number): Promise<EpochWriter> {
    await this.checkpoint?.checkFence();
    const w = this.writer;
    const accepted = w.open ? await w.open(0, epoch) : true;
    return {
      write: async (rows) => {
        if (!accepted) return;
        try {
          for (const r of rows) await w.process(r);
        } catch (e) {
          await w.close?.(e);
          throw e;
        }
      },
      commit: async () => { await w.close?.(null); },
    };
  }

  async close(): Promise<void> {}
}

registerSink('foreach', {
  options: [],
  create(opts: SinkOptions): StreamSink {
    const w = opts.instance as ForeachWriter | undefined;
    if (!w || typeof w.process !== 'function') throw new AnalysisError('foreach needs a writer with process(row) (and optional open, close) or a function');
    return new ForeachSink(w);
  },
});
