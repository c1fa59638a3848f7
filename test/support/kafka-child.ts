// One process of the Kafka exactly-once tests (kafka-lives.ts runs it): a query from a Kafka
// topic to a transactional Kafka sink, Trigger.AvailableNow, either
//   aggregate: per-key count and sum (update mode), or
//   copy:      every record as it is.
// Prints READY when started, COMMITTED <epoch> per epoch, DONE at the end or FAILED <message>.
// With a gate, the sink stops in one epoch, just before or just after its Kafka transaction
// commits, prints GATED and waits until the gate file exists: a test freezes or kills the
// process at that point without racing it. (Before the commit, the epoch's rows are in Kafka in
// the open transaction, all but fewer than producerBatchMessages of them.)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EpochWriter } from '../../src/actors/sink-actor.js';
import { registerSink, sinkProvider } from '../../src/connectors/contract.js';
import type { SinkProvider } from '../../src/connectors/contract.js';
import { Session, Trigger, col, count, struct, sum, toJson } from '../../src/index.js';
import type { DataFrame } from '../../src/index.js';

export interface KafkaChildConfig {
  readonly brokers: string;
  readonly input: string;
  readonly output: string;
  readonly checkpointLocation: string;
  readonly query: 'aggregate' | 'copy';
  readonly perTrigger: number;
  /** Rows per produce request (the sink's producerBatchMessages): fewer means more requests per transaction. */
  readonly producerBatchMessages: number;
  /** Session configuration (e.g. spate.checkpoint.redis.lockTimeout). */
  readonly conf?: Readonly<Record<string, string | number>>;
  /** Wait for `file` in the first epoch this process writes after `afterEpochs` others. */
  /** Under local[N], at: 'after-task-commit' (test/support/gated-kafka-tasks.ts): worker thread 0 waits once its key groups committed. */
  readonly gate?: { readonly at: 'before-kafka-commit' | 'after-kafka-commit' | 'after-task-commit'; readonly afterEpochs: number; readonly file: string };
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as KafkaChildConfig;
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

const onTasks = cfg.gate?.at === 'after-task-commit';
if (cfg.gate && !onTasks) registerSink('gated-kafka', gated(cfg.gate));
const GATED_TASKS = join(dirname(fileURLToPath(import.meta.url)), 'gated-kafka-tasks.ts');
if (onTasks) {
  // Read by the module on the driver and, inherited, on every worker thread.
  process.env['SPATE_TEST_KAFKA_GATE'] = JSON.stringify({ afterEpochs: cfg.gate!.afterEpochs, file: cfg.gate!.file });
  await import(GATED_TASKS);
}

const builder = Session.builder().appName('kafka-child').config('spate.sql.shuffle.partitions', 2);
if (onTasks) builder.config('spate.worker.imports', GATED_TASKS);
for (const [k, v] of Object.entries(cfg.conf ?? {})) builder.config(k, v);
const spark = builder.create();
spark.streams.addListener({ onQueryProgress: ({ progress }) => say(`COMMITTED ${progress.batchId}`) });

const records = spark.readStream.format('kafka').option('kafka.bootstrap.servers', cfg.brokers)
  .option('subscribe', cfg.input).option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', cfg.perTrigger).load();
const output: DataFrame = cfg.query === 'aggregate'
  ? records.select(col('key').cast('string').alias('k'), col('value').cast('string').cast('int').alias('amount'))
    .groupBy('k').agg(count('*').alias('n'), sum('amount').alias('total'))
    .select(col('k').alias('key'), toJson(struct('k', 'n', 'total')).alias('value'))
  : records.select('key', 'value');
const query = output.writeStream.format(onTasks ? 'gated-kafka-tasks' : cfg.gate ? 'gated-kafka' : 'kafka').outputMode(cfg.query === 'aggregate' ? 'update' : 'append')
  .option('kafka.bootstrap.servers', cfg.brokers).option('topic', cfg.output).option('transactional', true)
  .option('producerBatchMessages', cfg.producerBatchMessages)
  .option('checkpointLocation', cfg.checkpointLocation).trigger(Trigger.AvailableNow()).start();
say('READY');
try {
  await query.awaitTermination();
  say('DONE');
  process.exit(0);
} catch (e) {
  say(`FAILED ${(e as Error).message.replace(/\n/g, ' ')}`);
  process.exit(1);
}

/** The Kafka sink, except that one epoch's commit waits for the gate file, before or after Kafka's. */
function gated(gate: NonNullable<KafkaChildConfig['gate']>): SinkProvider {
  const kafka = sinkProvider('kafka');
  const wait = async (): Promise<void> => {
    say('GATED');
    while (!existsSync(gate.file)) await sleep(20);
  };
  return {
    options: kafka.options,
    create: (opts) => {
      const inner = kafka.create(opts);
      let epochsWritten = 0;
      const beginEpoch = async (epoch: number): Promise<EpochWriter | null> => {
        const writer = await inner.beginEpoch(epoch);
        if (!writer || epochsWritten++ !== gate.afterEpochs) return writer;
        return {
          write: (rows) => writer.write(rows),
          commit: async () => {
            if (gate.at === 'before-kafka-commit') await wait();
            await writer.commit();
            if (gate.at === 'after-kafka-commit') await wait();
          },
        };
      };
      return new Proxy(inner, { get: (target, name) => (name === 'beginEpoch' ? beginEpoch : Reflect.get(target, name, target)) });
    },
  };
}
