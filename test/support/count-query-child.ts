// Runs a small keyed count over argv[3] rows (default 300) of the sequence source with the
// checkpoint given as argv[2] and prints the result as JSON, or FAILED and the message (for tests that need a separate process,
// e.g. one whose environment trusts a test certificate authority).
import { Session, col, count, lit, sum } from '../../src/index.js';
import './sequence-source.js';

const location = process.argv[2]!;
const rows = Number(process.argv[3] ?? '300');
const spark = Session.builder().appName('count-query-child').config('spate.sql.shuffle.partitions', 3)
  .config('spate.checkpoint.redis.retryTimeout', 500).create();
const q = spark.readStream.format('sequence').option('rows', rows).option('keys', 5).option('maxRowsPerTrigger', 100).load()
  .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'))
  .writeStream.format('memory').queryName('counts').outputMode('complete').option('checkpointLocation', location).start();
try {
  await q.processAllAvailable();
  await q.stop();
  const rows = await spark.table('counts').collect();
  process.stdout.write(`${JSON.stringify({ rows, lastBatch: q.lastProgress?.batchId })}\n`);
  process.exit(0);
} catch (e) {
  process.stdout.write(`FAILED ${(e as Error).message}\n`);
  process.exit(1);
}
