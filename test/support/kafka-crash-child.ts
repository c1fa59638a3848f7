// The query of the Kafka crash test, run in a child process the test kills with SIGKILL:
// Kafka → per-key count and sum (update mode) → transactional Kafka sink, Trigger.AvailableNow.
// Prints `epoch <id>` after each committed epoch; exits 0 when all input is processed.
import { Session, Trigger, col, count, struct, sum, toJson } from '../../src/index.js';

const [brokers, input, output, checkpoint, perTrigger] = process.argv.slice(2) as [string, string, string, string, string];
const spark = Session.builder().appName('kafka-crash').config('spate.sql.shuffle.partitions', 2).create();
spark.streams.addListener({ onQueryProgress: (e) => { process.stdout.write(`epoch ${e.progress.batchId}\n`); } });
const q = spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers).option('subscribe', input)
  .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', Number(perTrigger)).load()
  .select(col('key').cast('string').alias('k'), col('value').cast('string').cast('int').alias('amount'))
  .groupBy('k').agg(count('*').alias('n'), sum('amount').alias('total'))
  .select(col('k').alias('key'), toJson(struct('k', 'n', 'total')).alias('value'))
  .writeStream.format('kafka').outputMode('update').option('kafka.bootstrap.servers', brokers).option('topic', output)
  .option('transactional', true).option('checkpointLocation', checkpoint).trigger(Trigger.AvailableNow()).start();
await q.awaitTermination();
process.stdout.write('done\n');
process.exit(0);
