// Runs queries whose checkpoint locations and Kafka options hold distinctive secrets, and
// prints everything a user could see: explain(), progress, status, errors with their causes
// (util.inspect), warnings. The secrets test greps all of it. argv: JSON of { redisPort, secrets }.
import { inspect } from 'node:util';
import { MemoryStream, Session, types as T } from '../../src/index.js';

const { redisPort, secrets } = JSON.parse(process.argv[2]!) as {
  redisPort: number;
  secrets: { redis: string; wrong: string; slash: string; jaas: string; plain: string };
};
process.on('warning', (w) => console.error(`warning: ${inspect(w)}`));
const show = (label: string, v: unknown): void => console.log(`${label}: ${typeof v === 'string' ? v : inspect(v, { depth: 12 })}`);

const spark = Session.builder().config('spate.sql.shuffle.partitions', 2).config('spate.checkpoint.redis.retryTimeout', 300).create();
spark.streams.addListener({
  onQueryStarted: (e) => show('started', e),
  onQueryProgress: (e) => show('progress', JSON.stringify(e.progress)),
  onQueryTerminated: (e) => show('terminated', e),
});
const schema = T.struct([T.field('word', T.string())]);
const redisUrl = (user: string, password: string, prefix: string): string => `redis://${user}:${password}@127.0.0.1:${redisPort}/0/${prefix}`;

async function runCounts(location: string, name: string): Promise<void> {
  const input = new MemoryStream(spark, schema);
  const df = input.toDF().groupBy('word').count();
  show('explain', df.explain());
  show('explain logical', df.explain('logical'));
  const q = df.writeStream.format('memory').queryName(name).outputMode('complete').option('checkpointLocation', location).start();
  input.addData([{ word: 'a' }, { word: 'b' }, { word: 'a' }]);
  try {
    await q.processAllAvailable();
    show('lastProgress', q.lastProgress);
    show('recentProgress', JSON.stringify(q.recentProgress));
  } catch (e) {
    show('error', e);
    show('message', (e as Error).message);
    show('exception', q.exception());
  }
  show('status', q.status);
  await q.stop().catch((e: unknown) => show('stop error', e));
}

// 1. A password holding @, used as it is written.
await runCounts(redisUrl('app', secrets.redis, 'secret-q'), 'good');
// 2. A wrong password: authentication fails.
await runCounts(redisUrl('app', secrets.wrong, 'secret-q'), 'wrong');
// 3. A password holding /, which breaks the URL.
try {
  await runCounts(redisUrl('app', secrets.slash, 'secret-q'), 'slash');
} catch (e) {
  show('start error', e);
}
// 4. Kafka with SASL credentials, against a broker that is not there.
for (const [key, value] of [
  ['kafka.sasl.jaas.config', `org.apache.kafka.common.security.plain.PlainLoginModule required username="user" password="${secrets.jaas}";`],
  ['kafka.sasl.password', secrets.plain],
] as const) {
  const df = spark.readStream.format('kafka').option('kafka.bootstrap.servers', '127.0.0.1:1').option('subscribe', 'topic')
    .option('kafka.security.protocol', 'SASL_PLAINTEXT').option('kafka.sasl.mechanism', 'PLAIN')
    .option('kafka.sasl.username', 'user').option(key, value).option('kafka.request.timeout.ms', 300)
    .option('kafka.socket.connection.setup.timeout.ms', 300).load();
  show('explain', df.explain());
  show('explain logical', df.explain('logical'));
  const q = df.writeStream.format('memory').queryName(`kafka_${key.length}`).start();
  await q.awaitTermination().catch((e: unknown) => show('kafka error', e));
  show('status', q.status);
}
process.exit(0);
