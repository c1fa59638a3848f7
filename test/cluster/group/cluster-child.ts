// One worker process of the cluster tests: a query of queries.ts from a Kafka topic to a Kafka
// topic, run with startWorker(). Prints one line per thing the
// worker did (JOINED, LEASE, PLANNED, COMMITTED <epoch> <rows>, CLAIMED <group>, REFUSED ...).
// With a gate, the first key-group commit (or sink record) of an epoch >= gate.epoch prints GATED <group>
// <epoch> and waits for gate.file: a test freezes the process exactly there, without racing it.
// With a plan gate (a file holding a number), the coordinator plans epochs up to that number
// only (none while the file is missing): a test produces an epoch's input first, then opens it.
// SIGTERM stops the worker (it leaves the group) and exits 0.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataStreamWriter, OutputMode } from '../../../src/index.js';
import { Session, startWorker } from '../../../src/index.js';
import type { QueryName } from './queries.js';
import { OUTPUT_MODE, queryOf } from './queries.js';

export interface ClusterChildConfig {
  readonly brokers: string;
  readonly input: string;
  /** The ads query's clicks topic. */
  readonly clicks?: string;
  readonly output: string;
  readonly checkpointLocation: string;
  readonly workerId: string;
  readonly query: QueryName;
  readonly keyGroups: number;
  readonly maxOffsetsPerTrigger: number;
  readonly sessionTimeoutMs: number;
  readonly leaseMs: number;
  readonly taskMarkMs?: number;
  /**
   * Gate the first commit of an epoch >= `epoch` (of key group `group` only, when given); with
   * `at: 'sinkRecord'`, the first sink write and record instead (after the state commit).
   */
  readonly gate?: { readonly epoch: number; readonly file: string; readonly group?: number; readonly at?: 'commit' | 'sinkRecord' };
  /** The sink (default kafka into `output`): json into the folder `output`, foreachBatch printing BATCH <id> <rows as JSON>, or console. */
  readonly sink?: 'kafka' | 'json' | 'foreachBatch' | 'console';
  /** Another output mode than the query's own (complete for the word count). */
  readonly outputMode?: OutputMode;
  readonly planGate?: string;
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as ClusterChildConfig;
const say = (line: string): void => { process.stdout.write(`${line}\n`); };

async function main(): Promise<void> {
  const spark = Session.builder().appName('cluster-child').config('spate.sql.shuffle.partitions', cfg.keyGroups).create();
  const stream = queryOf(cfg.query, spark, cfg).writeStream;
  const sink: Record<NonNullable<ClusterChildConfig['sink']>, () => DataStreamWriter> = {
    kafka: () => stream.format('kafka').option('kafka.bootstrap.servers', cfg.brokers).option('topic', cfg.output),
    json: () => stream.format('json').option('path', cfg.output),
    foreachBatch: () => stream.foreachBatch(async (batch, batchId) => say(`BATCH ${batchId} ${JSON.stringify(await batch.collect())}`)),
    console: () => stream.format('console'),
  };
  const writer = sink[cfg.sink ?? 'kafka']()
    .option('checkpointLocation', cfg.checkpointLocation).outputMode(cfg.outputMode ?? OUTPUT_MODE[cfg.query]);
  let gated = false;
  const worker = await startWorker(writer, {
    workerId: cfg.workerId,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    leaseMs: cfg.leaseMs,
    ...(cfg.taskMarkMs ? { taskMarkMs: cfg.taskMarkMs } : {}),
    onEvent: say,
    ...(cfg.planGate ? { holdPlanning: (epoch: number) => !existsSync(cfg.planGate!) || !(epoch <= Number(readFileSync(cfg.planGate!, 'utf8'))) } : {}),
    ...(cfg.gate ? {
      [cfg.gate.at === 'sinkRecord' ? 'beforeSinkRecord' : 'beforeCommit']: async (group: number, epoch: number) => {
        if (gated || epoch < cfg.gate!.epoch || (cfg.gate!.group !== undefined && group !== cfg.gate!.group)) return;
        gated = true;
        say(`GATED ${group} ${epoch}`);
        while (!existsSync(cfg.gate!.file)) await sleep(10);
      },
    } : {}),
  });
  process.on('SIGTERM', () => {
    void worker.stop().then(() => { say('STOPPED'); process.exit(0); });
  });
  await worker.done;
}

main().catch((e: unknown) => {
  say(`FAILED ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
