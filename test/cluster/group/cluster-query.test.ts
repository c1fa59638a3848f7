// What cluster mode refuses at start, with a message naming what is wrong and what to do.
import { GroupStateTimeout, MemoryStream, Session, startWorker, types as T } from '../../../src/index.js';

const spark = Session.builder().appName('cluster-query').config('spate.sql.shuffle.partitions', 4).create();
const kafkaLines = () => spark.readStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('subscribe', 'lines').load()
  .selectExpr('CAST(value AS STRING) AS value');

describe('startWorker refuses', () => {
  it('a query without a Redis checkpoint location', async () => {
    const w = kafkaLines().groupBy('value').count().selectExpr('value', 'CAST(count AS STRING) AS key')
      .writeStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('topic', 'out').outputMode('update');
    await expect(startWorker(w)).rejects.toThrow(/cluster mode needs a checkpointLocation in Redis, e\.g\. option\("checkpointLocation", "redis:\/\//);
    await expect(startWorker(w.option('checkpointLocation', '/tmp/cp'))).rejects.toThrow(/\(got \/tmp\/cp\)/);
  });

  it('a foreach sink, a file sink in update mode, a source other than Kafka, two stateful steps', async () => {
    const cp = 'redis://127.0.0.1:1/0/cp';
    await expect(startWorker(kafkaLines().writeStream.foreach(() => undefined).option('checkpointLocation', cp)))
      .rejects.toThrow(/does not run a 'foreach' sink yet/);
    await expect(startWorker(kafkaLines().groupBy('value').count().writeStream.format('json').option('path', '/tmp/o').outputMode('update').option('checkpointLocation', cp)))
      .rejects.toThrow(/Data source json does not support Update output mode/);
    const mem = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    await expect(startWorker(mem.toDF().writeStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('topic', 'o').option('checkpointLocation', cp)))
      .rejects.toThrow(/does not run a 'memory' source yet/);
    const twice = kafkaLines().dropDuplicates(['value']).groupBy('value').count().selectExpr('value', 'CAST(count AS STRING) AS key');
    await expect(startWorker(twice.writeStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('topic', 'o').option('checkpointLocation', cp).outputMode('update')))
      .rejects.toThrow(/does not run two stateful steps \(an aggregation or join below another\) yet/);
  });
});

describe('startWorker refuses, naming it', () => {
  it('a stream-static join after the keyed step (it runs before it, in stage one)', async () => {
    const cp = 'redis://127.0.0.1:1/0/cp';
    const kinds = spark.createDataFrame([{ kind: 'a', label: 'A' }], T.struct([T.field('kind', T.string()), T.field('label', T.string())]));
    const after = kafkaLines().groupBy('value').count().join(kinds, 'value = kind', 'inner').selectExpr('value AS key', 'label AS value');
    await expect(startWorker(after.writeStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('topic', 'o').option('checkpointLocation', cp).outputMode('update')))
      .rejects.toThrow(/does not run a stream-static join after an aggregation, dropDuplicates or stream-stream join \(join the static side before it\) yet/);
  });

  it('(flat)mapGroupsWithState with a processing-time timeout (no epoch runs without data or a moved watermark)', async () => {
    const cp = 'redis://127.0.0.1:1/0/cp';
    const counted = kafkaLines().groupByKey((r) => r['value'] as string).mapGroupsWithState(
      { outputSchema: T.struct([T.field('key', T.string()), T.field('value', T.string())]), timeout: GroupStateTimeout.ProcessingTimeTimeout },
      (key: string, rows) => ({ key, value: String(rows.length) }));
    await expect(startWorker(counted.writeStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('topic', 'o').option('checkpointLocation', cp).outputMode('update')))
      .rejects.toThrow(/does not run mapGroupsWithState with GroupStateTimeout\.ProcessingTimeTimeout \(use EventTimeTimeout or NoTimeout\) yet/);
  });
});
