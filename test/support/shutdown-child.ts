// A process running one query with spate.streaming.stopGracefullyOnShutdown, for the graceful
// shutdown tests. Prints READY once started, COMMITTED <batch> per committed batch, and
// TERMINATED when awaitTermination() returns; then it does nothing more, so it exits only if
// the query left no handle open (it never calls process.exit). If it is still alive a while
// later it prints the handles that keep it, to say what leaked.
// argv[2]: JSON ShutdownChildConfig. Kinds:
//   sequence  sequence source (paced) → count and sum per key → one file per epoch (idempotent)
//   rate | socket | file | kafka   that source → memory sink (file: → json file sink)
//   continuous  rate source under Trigger.Continuous → memory sink
// mode 'finish' processes everything available, stops and prints DONE (a restart after a stop).
import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataFrame, Row, StreamingQuery } from '../../src/index.js';
import { Session, Trigger, col, count, lit, sum } from '../../src/index.js';
import './sequence-source.js';

export interface ShutdownChildConfig {
  readonly kind: 'sequence' | 'rate' | 'socket' | 'file' | 'kafka' | 'continuous';
  readonly checkpointLocation: string;
  readonly outDir?: string;
  readonly mode?: 'signal' | 'finish';
  readonly rows?: number;
  readonly rowsPerBatch?: number;
  readonly paceMs?: number;
  readonly port?: number;
  readonly inDir?: string;
  readonly topic?: string;
  readonly brokers?: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ShutdownChildConfig;
const spark = Session.builder().appName('shutdown-child')
  .config('spate.streaming.stopGracefullyOnShutdown', true)
  .config('spate.sql.shuffle.partitions', 2)
  .create();
spark.streams.addListener({ onQueryProgress: ({ progress }) => { process.stdout.write(`COMMITTED ${progress.batchId}\n`); } });

function start(): StreamingQuery {
  const memory = (df: DataFrame): StreamingQuery =>
    df.writeStream.format('memory').queryName('out').option('checkpointLocation', cfg.checkpointLocation).start();
  switch (cfg.kind) {
    case 'sequence': {
      const rowsPerBatch = cfg.rowsPerBatch ?? 100;
      return spark.readStream.format('sequence')
        .option('rows', cfg.rows ?? 1000).option('maxRowsPerTrigger', rowsPerBatch).option('keys', 7)
        .option('paceMs', cfg.mode === 'finish' ? 0 : cfg.paceMs ?? 0).option('chunkRows', Math.max(1, Math.ceil(rowsPerBatch / 10)))
        .load()
        .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'))
        .writeStream.outputMode('update').option('checkpointLocation', cfg.checkpointLocation)
        .foreachBatch(async (batch, batchId) => writeEpochFile(cfg.outDir!, batchId, await batch.collect()))
        .start();
    }
    case 'rate':
      return memory(spark.readStream.format('rate').option('rowsPerSecond', 100).load());
    case 'socket':
      return memory(spark.readStream.format('socket').option('host', '127.0.0.1').option('port', cfg.port!).load());
    case 'file':
      return spark.readStream.format('text').load(cfg.inDir!).writeStream.format('json')
        .option('checkpointLocation', cfg.checkpointLocation).start(cfg.outDir!);
    case 'kafka':
      return memory(spark.readStream.format('kafka').option('kafka.bootstrap.servers', cfg.brokers!)
        .option('subscribe', cfg.topic!).option('startingOffsets', 'earliest').load().select(col('value').cast('string').alias('value')));
    case 'continuous':
      return spark.readStream.format('rate').option('rowsPerSecond', 100).load()
        .writeStream.format('memory').queryName('out').trigger(Trigger.Continuous('100 milliseconds'))
        .option('checkpointLocation', cfg.checkpointLocation).start();
  }
}

/** Writes an epoch's rows to their own file, atomically; a replayed epoch leaves a REPEAT (or MISMATCH) marker. */
async function writeEpochFile(outDir: string, batchId: number, rows: Row[]): Promise<void> {
  const text = JSON.stringify([...rows].sort((a, b) => String(a['key']).localeCompare(String(b['key']))));
  const file = join(outDir, `epoch-${String(batchId).padStart(6, '0')}.json`);
  if (existsSync(file)) {
    const same = (await readFile(file, 'utf8')) === text;
    await writeFile(join(outDir, `${same ? 'REPEAT' : 'MISMATCH'}-${batchId}-${process.pid}.json`), text);
    return;
  }
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

const query = start();
process.stdout.write('READY\n');
try {
  if (cfg.mode === 'finish') {
    await query.processAllAvailable();
    await query.stop();
    process.stdout.write('DONE\n');
  } else {
    await query.awaitTermination();
    process.stdout.write(`TERMINATED ${query.lastProgress?.batchId ?? -1}\n`);
  }
} catch (e) {
  process.stdout.write(`FAILED ${(e as Error).message.replace(/\n/g, ' ')}\n`);
  process.exitCode = 1;
}
setTimeout(() => {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles().map((h) => h.constructor.name);
  process.stdout.write(`STILL ALIVE with handles: ${handles.join(', ')}\n`);
}, 5000).unref();
