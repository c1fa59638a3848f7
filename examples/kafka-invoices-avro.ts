// The notes' Kafka example with Avro: invoice line items written to Kafka as Avro (toAvro with
// the schema read from examples/schemas/invoice-item.avsc), and read back with fromAvro and the
// same file, printed to the console.
//   KAFKA_BROKERS=localhost:9092 npx tsx examples/kafka-invoices-avro.ts [--available-now]
// Topics and checkpoints: INVOICES_TOPIC, NOTIFICATIONS_TOPIC (default notifications-avro), CHECKPOINT_DIR.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, Trigger, col, explode, fromAvro, fromJson, struct, toAvro, types as T } from 'spate';

const brokers = process.env['KAFKA_BROKERS'] ?? 'localhost:9092';
const invoicesTopic = process.env['INVOICES_TOPIC'] ?? 'invoices';
const notificationsTopic = process.env['NOTIFICATIONS_TOPIC'] ?? 'notifications-avro';
const checkpoints = process.env['CHECKPOINT_DIR'] ?? 'checkpoints/kafka_avro_demo';
const availableNow = process.argv.includes('--available-now');

// As in the notes: the Avro schema lives in its own file.
const avroSchema = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'schemas', 'invoice-item.avsc'), 'utf8');

const spark = Session.builder().appName('Kafka Avro Demo').getOrCreate();

const schema = T.struct([
  T.field('InvoiceLineItems', T.array(T.struct([
    T.field('ItemCode', T.string()),
    T.field('ItemDescription', T.string()),
    T.field('ItemPrice', T.double()),
    T.field('ItemQty', T.integer()),
    T.field('TotalValue', T.double()),
  ]))),
]);

const kafka = () => spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers).option('startingOffsets', 'earliest');

const items = kafka().option('subscribe', invoicesTopic).load()
  .select(fromJson(col('value').cast('string'), schema).alias('invoices'))
  .select(explode('invoices.InvoiceLineItems').alias('InvoiceLineItems'))
  .select('InvoiceLineItems.*');

const writer = items
  .select(col('ItemCode').alias('key'), toAvro(struct('*'), avroSchema).alias('value'))
  .writeStream.queryName('Kafka Avro Demo').format('kafka')
  .option('kafka.bootstrap.servers', brokers).option('topic', notificationsTopic)
  .option('checkpointLocation', `${checkpoints}/write`);
if (availableNow) {
  // Write everything now in the topic first, so the reader below finds it.
  await writer.trigger(Trigger.AvailableNow()).start().awaitTermination();
} else {
  writer.start();
}

// Reading the notifications back: fromAvro with the same .avsc file.
const reader = kafka().option('subscribe', notificationsTopic).load()
  .select(col('key').cast('string').alias('key'), fromAvro(col('value'), avroSchema).alias('item'))
  .select('key', 'item.ItemDescription', 'item.ItemQty', 'item.TotalValue')
  .writeStream.format('console').option('checkpointLocation', `${checkpoints}/read`);
if (availableNow) reader.trigger(Trigger.AvailableNow());
reader.start();
await spark.streams.awaitAnyTermination();
