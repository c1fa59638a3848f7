// DESIGN.md section 1's trades example, as written (only the broker address and topic name come
// from the test cluster), reading JSON trades from Kafka into 15-minute windows with a watermark.
import { Session, col, expr, fromJson, sum, toTimestamp, window, types as T } from 'spate';
import type { Row } from 'spate';
import { brokers, newTopic, produce } from '../support/kafka.js';


describe('the trades example of DESIGN.md section 1', () => {
  it('sums BUY and SELL per 15-minute window from Kafka, updating windows as trades arrive', async () => {
    const topic = await newTopic('trades');
    const spark = Session.builder().appName('trades').config('spate.sql.shuffle.partitions', 3).create();

    const schema = T.struct([
      T.field('CreatedTime', T.string()), T.field('Type', T.string()),
      T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
    ]);
    const trades = spark.readStream.format('kafka')
      .option('kafka.bootstrap.servers', brokers()).option('subscribe', topic).load()
      .select(fromJson(col('value').cast('string'), schema).alias('t')).select('t.*')
      .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'));

    const windows = trades
      .withWatermark('CreatedTime', '30 minutes')
      .groupBy(window(col('CreatedTime'), '15 minutes'))
      .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
           sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
      .select('window.*', 'BUY', 'SELL');

    const updates: Row[][] = [];
    const q = windows.writeStream.outputMode('update')
      .foreachBatch(async (batch) => { updates.push(await batch.collect()); }).start();
    await q.processAllAvailable();
    const trade = (time: string, type: string, amount: number) =>
      ({ value: JSON.stringify({ CreatedTime: `2019-02-05 ${time}:00`, Type: type, Amount: amount, BrokerCode: 'ABX' }), partition: 0 });
    for (const t of [trade('10:05', 'BUY', 500), trade('10:40', 'BUY', 900), trade('10:20', 'BUY', 800), trade('10:48', 'SELL', 600)]) {
      await produce(topic, [t]);
      await q.processAllAvailable();
    }
    await q.stop();

    const at = (hm: string): Date => new Date(`2019-02-05T${hm}:00Z`);
    const emitted = updates.filter((u) => u.length > 0);
    expect(emitted).toEqual([
      [{ start: at('10:00'), end: at('10:15'), BUY: 500, SELL: null }],
      [{ start: at('10:30'), end: at('10:45'), BUY: 900, SELL: null }],
      [{ start: at('10:15'), end: at('10:30'), BUY: 800, SELL: null }],
      [{ start: at('10:45'), end: at('11:00'), BUY: null, SELL: 600 }],
    ]);
  });
});
