// Where a run starts, read from the checkpoint's logs (SEMANTICS.md §6). With L the newest
// offsets entry and C the newest commit: no L → a fresh start at epoch 0; C = L → continue with
// L + 1 from L's end offsets; otherwise every epoch after C up to L is re-run with exactly the
// offsets, watermark and batch timestamp it recorded (one epoch, as Spark; two when an
// asynchronous commit was in flight). State restores to version C + 1.
import { CheckpointError } from '../errors.js';
import type { CheckpointLog, OffsetLogEntry, SourceOffset as Offset } from './checkpoint-log.js';

/** An epoch as the offset log recorded it. */
export interface EpochRecord {
  readonly epoch: number;
  readonly start: readonly Offset[];
  readonly end: readonly Offset[];
  readonly watermarkMs: number;
  readonly batchTimestampMs: number;
}

export interface RecoveryPoint {
  /** The first epoch this run runs (a re-run or a new one). */
  readonly nextEpoch: number;
  /** Source offsets up to which everything is committed. */
  readonly committedOffsets: readonly Offset[];
  /** The watermark the first epoch runs with. */
  readonly watermarkMs: number;
  /** Planned but uncommitted epochs, oldest first, to re-run exactly as recorded. */
  readonly replay: readonly EpochRecord[];
  /** The version the state stores restore to: the number of committed epochs. */
  readonly stateVersion: number;
  /** The watermark of the epoch before the first one (rows at or below it are late). */
  readonly lateWatermarkMs: number;
}

export async function recoveryPoint(log: CheckpointLog, initialOffsets: () => Promise<Offset[]>, hasState: () => Promise<boolean>): Promise<RecoveryPoint> {
  const location = log.backend.location;
  const latest = await log.latestOffsetsEpoch();
  const committed = await log.latestCommitEpoch();
  if (latest === null) {
    // Commits and state are written after offsets: without offsets they mean the log was lost,
    // and starting again from epoch 0 would replace the state and re-emit everything.
    const left = committed !== null ? `commits up to commits/${committed}` : (await hasState()) ? 'state files' : null;
    if (left !== null) {
      throw new CheckpointError(
        `checkpoint ${location} is corrupt: it has ${left} but no offset log (offsets/ is missing or empty), ` +
        'so where the query stopped is unknown. Restore offsets/ from a backup, or start the query with a new checkpointLocation',
      );
    }
    return { nextEpoch: 0, committedOffsets: await initialOffsets(), watermarkMs: 0, replay: [], stateVersion: 0, lateWatermarkMs: 0 };
  }
  if (committed !== null && committed > latest) {
    throw new CheckpointError(
      `checkpoint ${location} has commits/${committed} but its newest offsets entry is offsets/${latest}: the offset log was truncated; ` +
      'restore it from a backup or start the query with a new checkpointLocation',
    );
  }
  const read = async (epoch: number, why: string): Promise<OffsetLogEntry> => {
    const entry = await log.readOffsets(epoch);
    if (!entry) {
      throw new CheckpointError(
        `checkpoint ${location} is missing offsets/${epoch}: batch ${epoch} doesn't exist, so ${why}; ` +
        'restore the offset log from a backup or start the query with a new checkpointLocation',
      );
    }
    return entry;
  };

  if (committed === latest) {
    const entry = await read(latest, `batch ${latest + 1} cannot start`);
    const commit = await log.readCommit(latest);
    return {
      nextEpoch: latest + 1,
      committedOffsets: entry.sources,
      watermarkMs: Math.max(entry.batchWatermarkMs, commit?.nextBatchWatermarkMs ?? 0),
      replay: [],
      stateVersion: latest + 1,
      lateWatermarkMs: entry.batchWatermarkMs,
    };
  }

  const first = committed === null ? 0 : committed + 1;
  const previous = first === 0 ? null : await read(first - 1, `batch ${first} cannot be re-run`);
  const start = previous ? previous.sources : await initialOffsets();
  const replay: EpochRecord[] = [];
  let from = start;
  for (let epoch = first; epoch <= latest; epoch++) {
    const entry = await read(epoch, `batch ${epoch} cannot be re-run`);
    replay.push({ epoch, start: from, end: entry.sources, watermarkMs: entry.batchWatermarkMs, batchTimestampMs: entry.batchTimestampMs });
    from = entry.sources;
  }
  return {
    nextEpoch: first,
    committedOffsets: start,
    watermarkMs: replay[0]!.watermarkMs,
    replay,
    stateVersion: first,
    lateWatermarkMs: previous?.batchWatermarkMs ?? 0,
  };
}
