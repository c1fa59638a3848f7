// The notes' trades windows over Kafka as a worker daemon: 15-minute BUY/SELL sums of the trades
// on topic `trades`, with a 30-minute watermark, written to topic `trades-windows` exactly once
// (one Kafka transaction per batch), the checkpoint in Redis so that workers keep no state.
//
//   npx spate run examples/daemon/trades-windows.ts \
//     --set trades.brokers=localhost:9092 --set trades.checkpoint=redis://localhost:6379/0/trades
//
// Settings (--set or --config, else the environment): trades.brokers (KAFKA_BROKERS), trades.topic,
// trades.output, trades.checkpoint (CHECKPOINT_LOCATION; a directory or redis://host:port/db/prefix).
import type { DaemonContext } from 'spate';
import { col, expr, fromJson, struct, sum, toJson, toTimestamp, types as T, window } from 'spate';

const schema = T.struct([
  T.field('CreatedTime', T.string()), T.field('Type', T.string()),
  T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
]);

export default function start({ spark, settings, logger }: DaemonContext): void {
  const brokers = settings['trades.brokers'] ?? process.env['KAFKA_BROKERS'] ?? 'localhost:9092';
  const topic = settings['trades.topic'] ?? 'trades';
  const output = settings['trades.output'] ?? 'trades-windows';
  const checkpoint = settings['trades.checkpoint'] ?? process.env['CHECKPOINT_LOCATION'] ?? 'checkpoints/trades-windows';
  logger.info({ brokers, topic, output }, 'trades windows: starting');

  const trades = spark.readStream.format('kafka')
    .option('kafka.bootstrap.servers', brokers).option('subscribe', topic).option('startingOffsets', 'earliest').load()
    .select(fromJson(col('value').cast('string'), schema).alias('t')).select('t.*')
    .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'));

  const windows = trades
    .withWatermark('CreatedTime', '30 minutes')
    .groupBy(window(col('CreatedTime'), '15 minutes'))
    .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
         sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
    .select('window.*', 'BUY', 'SELL');

  windows
    .select(col('start').cast('string').alias('key'), toJson(struct('*')).alias('value'))
    .writeStream.queryName('trades_windows').format('kafka').outputMode('update')
    .option('kafka.bootstrap.servers', brokers).option('topic', output).option('transactional', 'true')
    .option('checkpointLocation', checkpoint)
    // Failures (a broker restarting) restart the query in this process; if it still cannot
    // commit, `spate run` reports it stalled and exits with code 3 for Kubernetes to restart it.
    .restartPolicy({ type: 'always', intervalMs: 2000 })
    .start();
}
