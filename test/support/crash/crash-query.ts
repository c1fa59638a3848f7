// The query of the exactly-once crash harness: a replayable sequence source → a keyed
// aggregation (count and sum per key, update mode) → an idempotent sink that writes each epoch
// to its own file, atomically, and skips an epoch it already has (after checking that the
// replay produced the same rows: a different replay is recorded as a MISMATCH file).
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Row, StreamingQuery } from '../../../src/index.js';
import { Session, col, count, lit, sum } from '../../../src/index.js';
import '../sequence-source.js';

export interface CrashQueryConfig {
  readonly checkpointLocation: string;
  readonly outDir: string;
  readonly rows: number;
  readonly rowsPerBatch: number;
  readonly keys: number;
  /** Sleep between source chunks, so that epochs take time. */
  readonly paceMs: number;
  readonly asyncCheckpoint: boolean;
  readonly shufflePartitions: number;
}

export function startCrashQuery(cfg: CrashQueryConfig): { spark: Session; query: StreamingQuery } {
  const spark = Session.builder().appName('crash-harness')
    .config('spate.sql.shuffle.partitions', cfg.shufflePartitions)
    // Small retention and frequent maintenance, so that kills also land in compaction and purging.
    .config('spate.sql.streaming.minBatchesToRetain', 5)
    .config('spate.sql.streaming.stateStore.minDeltasForSnapshot', 3)
    .config('spate.sql.streaming.stateStore.maintenanceInterval', 0)
    .config('spate.sql.streaming.asyncCheckpoint.enabled', cfg.asyncCheckpoint)
    .create();
  const query = spark.readStream.format('sequence')
    .option('rows', cfg.rows).option('maxRowsPerTrigger', cfg.rowsPerBatch).option('keys', cfg.keys)
    .option('paceMs', cfg.paceMs).option('chunkRows', Math.max(1, Math.ceil(cfg.rowsPerBatch / 5)))
    .load()
    .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'))
    .writeStream.outputMode('update')
    .option('checkpointLocation', cfg.checkpointLocation)
    .foreachBatch(async (batch, batchId) => writeEpochFile(cfg.outDir, batchId, await batch.collect()))
    .start();
  return { spark, query };
}

export function epochFileName(batchId: number): string {
  return `epoch-${String(batchId).padStart(6, '0')}.json`;
}

async function writeEpochFile(outDir: string, batchId: number, rows: Row[]): Promise<void> {
  const text = JSON.stringify([...rows].sort((a, b) => String(a['key']).localeCompare(String(b['key']))));
  const file = join(outDir, epochFileName(batchId));
  if (existsSync(file)) {
    const previous = await readFile(file, 'utf8');
    if (previous !== text) await writeFile(join(outDir, `MISMATCH-${batchId}-${process.pid}.json`), JSON.stringify({ previous, replay: text }));
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
