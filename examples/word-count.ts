// The notes' word count: lines from a socket (start `nc -lk 9999` first), counted per word,
// printed to the console in complete mode after every micro-batch.
import { Session, col, explode, split } from 'spate';

const spark = Session.builder()
  .appName('Getting Started')
  .config('spate.streaming.stopGracefullyOnShutdown', true)
  .config('spate.sql.shuffle.partitions', 3)
  .getOrCreate();

const lines = spark.readStream.format('socket').option('host', 'localhost').option('port', 9999).load();
const words = lines.select(explode(split(col('value'), ' ')).alias('word'));
const wordCounts = words.groupBy('word').count();
const query = wordCounts.writeStream
  .format('console')
  .option('checkpointLocation', 'checkpoints/getting_started')
  .outputMode('complete')
  .start();
await query.awaitTermination();
