import { CheckpointError } from '../../src/errors.js';
import { CheckpointLog } from '../../src/state/checkpoint-log.js';
import { MemoryBackend } from '../../src/state/memory-backend.js';
import { recoveryPoint } from '../../src/state/recovery.js';

async function logWith(planned: number[], committed: number[]): Promise<CheckpointLog> {
  const log = new CheckpointLog(new MemoryBackend());
  for (const epoch of planned) {
    await log.writeOffsets({ epoch, batchWatermarkMs: epoch * 1000, batchTimestampMs: 5000 + epoch, conf: {}, sources: [(epoch + 1) * 10] });
  }
  for (const epoch of committed) await log.backend.writeAll([log.commitBlob({ epoch, nextBatchWatermarkMs: epoch * 1000 + 500 })]);
  return log;
}

const initial = async (): Promise<number[]> => [0];
const noState = async (): Promise<boolean> => false;

describe('where a run starts (SEMANTICS §6 recovery)', () => {
  it('starts at epoch 0 from the initial offsets when nothing was planned', async () => {
    expect(await recoveryPoint(await logWith([], []), initial, noState)).toEqual({
      nextEpoch: 0, committedOffsets: [0], watermarkMs: 0, replay: [], stateVersion: 0, lateWatermarkMs: 0,
    });
  });

  it('continues after the last epoch when it was committed, with the higher of the two watermarks', async () => {
    expect(await recoveryPoint(await logWith([0, 1, 2], [0, 1, 2]), initial, noState)).toEqual({
      nextEpoch: 3, committedOffsets: [30], watermarkMs: 2500, replay: [], stateVersion: 3, lateWatermarkMs: 2000,
    });
  });

  it('re-runs an uncommitted epoch with exactly its recorded offsets, watermark and timestamp', async () => {
    expect(await recoveryPoint(await logWith([0, 1, 2], [0, 1]), initial, noState)).toEqual({
      nextEpoch: 2, committedOffsets: [20], watermarkMs: 2000, stateVersion: 2, lateWatermarkMs: 1000,
      replay: [{ epoch: 2, start: [20], end: [30], watermarkMs: 2000, batchTimestampMs: 5002 }],
    });
  });

  it('re-runs both epochs an asynchronous commit left uncommitted, in order', async () => {
    const from = await recoveryPoint(await logWith([0, 1, 2, 3], [0, 1]), initial, noState);
    expect(from.stateVersion).toBe(2);
    expect(from.replay.map((r) => [r.epoch, r.start, r.end])).toEqual([[2, [20], [30]], [3, [30], [40]]]);
  });

  it('re-runs epoch 0 from the recorded initial offsets when nothing was committed', async () => {
    const from = await recoveryPoint(await logWith([0], []), initial, noState);
    expect(from.replay).toEqual([{ epoch: 0, start: [0], end: [10], watermarkMs: 0, batchTimestampMs: 5000 }]);
    expect(from.stateVersion).toBe(0);
  });

  it("fails with Spark's phrase when the entry before an uncommitted epoch is missing", async () => {
    const log = await logWith([0, 1, 2], [0, 1]);
    await log.backend.delete(['offsets/1']);
    await expect(recoveryPoint(log, initial, noState)).rejects.toThrow(CheckpointError);
    await expect(recoveryPoint(log, initial, noState)).rejects.toThrow(/missing offsets\/1: batch 1 doesn't exist, so batch 2 cannot be re-run/);
  });

  it('refuses a checkpoint with commits or state but no offset log instead of starting again from epoch 0', async () => {
    await expect(recoveryPoint(await logWith([], [0, 1]), initial, noState)).rejects.toThrow(
      /checkpoint \(in memory\) is corrupt: it has commits up to commits\/1 but no offset log \(offsets\/ is missing or empty\)/);
    await expect(recoveryPoint(await logWith([], []), initial, async () => true)).rejects.toThrow(/it has state files but no offset log/);
  });
});
