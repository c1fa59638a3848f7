import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointLog } from '../../src/state/checkpoint-log.js';
import { LocalDirBackend } from '../../src/state/local-backend.js';

describe('the checkpoint log in a local directory', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'spate-log-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes offsets and commits in Spark\'s text format and reads them back', async () => {
    const backend = new LocalDirBackend(dir);
    const log = new CheckpointLog(backend);
    await log.writeOffsets({ epoch: 0, batchWatermarkMs: 0, batchTimestampMs: 1000, conf: { a: '1' }, sources: [5, null] });
    await backend.writeAll([log.commitBlob({ epoch: 0, nextBatchWatermarkMs: 42 })]);
    expect(readFileSync(join(dir, 'offsets', '0'), 'utf8')).toBe('v1\n{"batchWatermarkMs":0,"batchTimestampMs":1000,"conf":{"a":"1"}}\n5\n-');
    expect(readFileSync(join(dir, 'commits', '0'), 'utf8')).toBe('v1\n{"nextBatchWatermarkMs":42}');
    expect(await log.readOffsets(0)).toEqual({ epoch: 0, batchWatermarkMs: 0, batchTimestampMs: 1000, conf: { a: '1' }, sources: [5, null] });
    expect(await log.readCommit(0)).toEqual({ epoch: 0, nextBatchWatermarkMs: 42 });
    expect(await log.latestOffsetsEpoch()).toBe(0);
    expect(await log.latestCommitEpoch()).toBe(0);
  });

  it('names a truncated file and says how to proceed', async () => {
    const backend = new LocalDirBackend(dir);
    const log = new CheckpointLog(backend);
    await log.writeOffsets({ epoch: 3, batchWatermarkMs: 0, batchTimestampMs: 0, conf: {}, sources: [1] });
    writeFileSync(join(dir, 'offsets', '3'), 'v1\n{"batchWaterm');
    await expect(log.readOffsets(3)).rejects.toThrow(new RegExp(`checkpoint file ${dir}/offsets/3 is corrupt or truncated.*new checkpointLocation`));
  });

  it('refuses a second live run on the same directory, naming the first', async () => {
    const a = new LocalDirBackend(dir);
    const b = new LocalDirBackend(dir);
    await a.acquire('run-a');
    await expect(b.acquire('run-b')).rejects.toThrow(/in use by run run-a .*two live runs cannot share a checkpoint/);
    await a.release('run-a');
    await expect(b.acquire('run-b')).resolves.toBeUndefined();
  });

  it('purges log entries older than the retained epochs', async () => {
    const log = new CheckpointLog(new LocalDirBackend(dir));
    for (let e = 0; e < 5; e++) await log.writeOffsets({ epoch: e, batchWatermarkMs: 0, batchTimestampMs: 0, conf: {}, sources: [e] });
    await log.purgeBefore(3);
    expect(await log.epochs('offsets')).toEqual([3, 4]);
  });
});
