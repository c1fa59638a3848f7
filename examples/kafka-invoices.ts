// The notes' Kafka example: invoices as JSON from topic `invoices`, exploded into line items,
// written as JSON to topic `notifications` keyed by ItemCode.
//   KAFKA_BROKERS=localhost:9092 npx tsx examples/kafka-invoices.ts [--available-now]
// (--available-now processes what is in the topic, then stops.) Topics and checkpoint can be
// changed with INVOICES_TOPIC, NOTIFICATIONS_TOPIC and CHECKPOINT_DIR.
import { Session, Trigger, col, explode, fromJson, struct, toJson, types as T } from 'spate';

const brokers = process.env['KAFKA_BROKERS'] ?? 'localhost:9092';
const invoicesTopic = process.env['INVOICES_TOPIC'] ?? 'invoices';
const notificationsTopic = process.env['NOTIFICATIONS_TOPIC'] ?? 'notifications';

const spark = Session.builder().appName('Kafka Demo').getOrCreate();

const schema = T.struct([
  T.field('InvoiceLineItems', T.array(T.struct([
    T.field('ItemCode', T.string()),
    T.field('ItemDescription', T.string()),
    T.field('ItemPrice', T.double()),
    T.field('ItemQty', T.integer()),
    T.field('TotalValue', T.double()),
  ]))),
]);

const records = spark.readStream
  .format('kafka')
  .option('kafka.bootstrap.servers', brokers)
  .option('subscribe', invoicesTopic)
  .option('startingOffsets', 'earliest')
  .load();

const invoices = records
  .select(fromJson(col('value').cast('string'), schema).alias('invoices'))
  .select(explode('invoices.InvoiceLineItems').alias('InvoiceLineItems'))
  .select('InvoiceLineItems.*');

const invoiceRecords = invoices.select(col('ItemCode').alias('key'), toJson(struct('*')).alias('value'));

const writer = invoiceRecords.writeStream
  .queryName('Kafka Demo')
  .format('kafka')
  .option('kafka.bootstrap.servers', brokers)
  .outputMode('append')
  .option('topic', notificationsTopic)
  .option('checkpointLocation', process.env['CHECKPOINT_DIR'] ?? 'checkpoints/kafka_demo');
if (process.argv.includes('--available-now')) writer.trigger(Trigger.AvailableNow());
const query = writer.start();
await query.awaitTermination();
process.stdout.write(`Kafka Demo stopped after ${query.recentProgress.length} micro-batches, ${query.recentProgress.reduce((n, p) => n + p.sink.numOutputRows, 0)} notifications\n`);
