// Checkpoint cost: a keyed aggregation whose every epoch changes 100,000 keys (1,000,000 keys in
// all), checkpointed in memory (no checkpointLocation), in a local directory and in Redis.
// Figures: epochs/s, the commit time per epoch (serialising the changed keys at the barrier plus
// writing them with the commit marker) at p50/p99, and the time to restore 1,000,000 keys.
// The hand loop does the same work plainly: a Map updated per row, the changed entries
// serialised with v8 and written to the same store in one write per epoch; its restore reads
// those writes back into a Map.
// Aims: Redis commit of 100,000 changed keys p99 < 250 ms; restore of 1,000,000 keys < 3 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { Redis } from 'ioredis';
import type { Offset, Row, StreamSource } from '../../src/index.js';
import { Session, registerSource, sum, types as T } from '../../src/index.js';
import { openBackend } from '../../src/query/open-backend.js';
import type { CheckpointBackend } from '../../src/state/backend.js';
import { CheckpointLog } from '../../src/state/checkpoint-log.js';
import { OperatorState } from '../../src/state/operator-state.js';
import { StateMaintenance } from '../../src/state/state-maintenance.js';
import { StateRepository } from '../../src/state/state-repository.js';
import { RedisServer } from '../../test/support/redis-server.js';
import type { Scenario, ScenarioResult } from '../harness.js';
import { consume, measure } from '../harness.js';
import { counted } from '../noop-sink.js';

const KEYS_PER_EPOCH = 100_000;
const KEYSPACE = 1_000_000;
const PARTITIONS = 200;
const SCHEMA = T.struct([T.field('key', T.string()), T.field('value', T.long())]);

/** The rows of epoch `e`: 100,000 distinct keys, the window of the keyspace moving each epoch. */
function epochRows(e: number, keyspace: number): Row[] {
  const rows: Row[] = new Array<Row>(KEYS_PER_EPOCH);
  const base = e * KEYS_PER_EPOCH;
  for (let i = 0; i < KEYS_PER_EPOCH; i++) rows[i] = { key: `key-${(base + i) % keyspace}`, value: i & 7 };
  return rows;
}

let sourceConfig = { epochs: 0, keyspace: KEYSPACE };

/** One epoch per trigger; the offset is the number of epochs read. */
class EpochKeysSource implements StreamSource {
  readonly schema = SCHEMA;
  readonly description = 'EpochKeys';
  async open(): Promise<void> {}
  async initialOffset(): Promise<Offset> { return 0; }
  async latestOffset(start: Offset): Promise<Offset> { return Math.min(sourceConfig.epochs, ((start as number) ?? 0) + 1); }
  *read(start: Offset, end: Offset): Iterable<Row[]> {
    for (let e = start as number; e < (end as number); e++) {
      const rows = epochRows(e, sourceConfig.keyspace);
      for (let i = 0; i < rows.length; i += 4096) yield rows.slice(i, i + 4096);
    }
  }
  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

registerSource('epoch-keys', { options: [], schema: () => SCHEMA, create: () => new EpochKeysSource() });

type StoreKind = 'memory' | 'local' | 'redis';

interface Place {
  /** The checkpointLocation (null: in memory). */
  readonly location: string | null;
  /** Where the hand loop writes. */
  readonly hand: HandStore;
  close(): Promise<void>;
}

interface HandStore {
  write(epoch: number, data: Buffer): Promise<void>;
  readAll(epochs: number): Promise<Buffer[]>;
}

async function place(kind: StoreKind): Promise<Place> {
  if (kind === 'memory') {
    const blobs = new Map<number, Buffer>();
    return {
      location: null,
      hand: { write: async (e, d) => { blobs.set(e, d); }, readAll: async (n) => Array.from({ length: n }, (_, e) => blobs.get(e)!) },
      close: async () => undefined,
    };
  }
  if (kind === 'local') {
    const dir = mkdtempSync(join(tmpdir(), 'spate-bench-cp-'));
    return {
      location: join(dir, 'checkpoint'),
      hand: {
        write: (e, d) => writeFile(join(dir, `hand-${e}`), d),
        readAll: (n) => Promise.all(Array.from({ length: n }, (_, e) => readFile(join(dir, `hand-${e}`)))),
      },
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = process.env.REDIS_URL ? null : await RedisServer.start();
  const url = process.env.REDIS_URL ?? server!.url;
  const prefix = `bench-${process.pid}-${Date.now()}`;
  const redis = new Redis(url);
  return {
    location: `${url}/0/${prefix}`,
    hand: {
      write: async (e, d) => { await redis.hset(`{${prefix}-hand}`, String(e), d); },
      readAll: (n) => Promise.all(Array.from({ length: n }, async (_, e) => (await redis.hgetBuffer(`{${prefix}-hand}`, String(e)))!)),
    },
    close: async () => {
      if (!server) {
        // A shared Redis: remove what the benchmark wrote.
        for (let cursor = '0'; ;) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}*`, 'COUNT', 1000);
          if (keys.length) await redis.del(...keys);
          cursor = next;
          if (cursor === '0') break;
        }
      }
      redis.disconnect();
      await server?.stop();
    },
  };
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function checkpointScenario(kind: StoreKind, label: string, asyncCommit = false): Scenario {
  return {
    name: `checkpoint-${kind}${asyncCommit ? '-async' : ''}`,
    description: `aggregation changing 100,000 keys per epoch, checkpointed ${label}`,
    async run(scale): Promise<ScenarioResult> {
      const epochs = Math.max(3, Math.round(20 * scale));
      const keyspace = Math.min(KEYSPACE, epochs * KEYS_PER_EPOCH);
      sourceConfig = { epochs, keyspace };
      const where = await place(kind);
      try {
        // The hand loop: Map updates, then the changed entries serialised and written in one write.
        const handCommitMs: number[] = [];
        const handLoop = await measure(async () => {
          const state = new Map<string, number>();
          for (let e = 0; e < epochs; e++) {
            const rows = epochRows(e, keyspace);
            // An epoch's rows hold distinct keys (epochRows), so every row's key is a changed
            // entry: once the keyspace wraps (epoch 10 on), every key is an old one, changed again.
            const changed: string[] = [];
            for (const r of rows) {
              const k = r['key'] as string;
              changed.push(k);
              state.set(k, (state.get(k) ?? 0) + (r['value'] as number));
            }
            const t0 = performance.now();
            await where.hand.write(e, serialize({ keys: changed, values: changed.map((k) => state.get(k)) }));
            handCommitMs.push(performance.now() - t0);
          }
          consume(state);
          return epochs * KEYS_PER_EPOCH;
        });
        const handRestoreStarted = performance.now();
        const restoredByHand = new Map<string, unknown>();
        for (const blob of await where.hand.readAll(epochs)) {
          const { keys, values } = deserialize(blob) as { keys: string[]; values: unknown[] };
          for (let i = 0; i < keys.length; i++) restoredByHand.set(keys[i]!, values[i]);
        }
        const handRestoreMs = performance.now() - handRestoreStarted;
        consume(restoredByHand);
        restoredByHand.clear();

        const spark = Session.builder().appName('bench-checkpoint').config('spate.sql.shuffle.partitions', PARTITIONS)
          .config('spate.sql.streaming.asyncCheckpoint.enabled', asyncCommit).create();
        const progress: Array<{ commitMs: number; writeMs: number }> = [];
        spark.streams.addListener({
          onQueryProgress: ({ progress: p }) => progress.push({ commitMs: p.stateOperators[0]!.commitTimeMs, writeMs: p.durationMs.commitOffsets ?? 0 }),
        });
        const spate = await measure(async () => {
          const writer = spark.readStream.format('epoch-keys').load().groupBy('key').agg(sum('value').alias('total'))
            .writeStream.format('noop').outputMode('update');
          if (where.location) writer.option('checkpointLocation', where.location);
          // In memory, state is checkpointed only for a query that may restart (and read it back).
          else writer.restartPolicy({ type: 'onFailure', retries: 1 });
          const q = writer.start();
          await q.processAllAvailable();
          await q.stop();
          if (q.exception()) throw q.exception();
          if (counted.rows !== epochs * KEYS_PER_EPOCH) throw new Error(`expected ${epochs * KEYS_PER_EPOCH} output rows, got ${counted.rows}`);
          return epochs * KEYS_PER_EPOCH;
        });
        await spark.stop();

        const figures: Record<string, number | string> = {
          'epochs/s': epochs / (spate.ms / 1000),
          'hand loop epochs/s': epochs / (handLoop.ms / 1000),
          'commit p50 ms (serialise + write)': percentile(progress.map((p) => p.commitMs), 50),
          'commit p99 ms (serialise + write)': percentile(progress.map((p) => p.commitMs), 99),
          [asyncCommit ? 'engine wait for the previous commit p50 ms' : 'engine commit step p50 ms']: percentile(progress.map((p) => p.writeMs), 50),
          [asyncCommit ? 'engine wait for the previous commit p99 ms' : 'engine commit step p99 ms']: percentile(progress.map((p) => p.writeMs), 99),
          'hand loop write p50 ms': percentile(handCommitMs, 50),
          'hand loop write p99 ms': percentile(handCommitMs, 99),
        };
        if (where.location) {
          const backend = openBackend(where.location);
          try {
            const restore = await measureRestore(backend, epochs - 1, keyspace);
            figures[`restore ms (${keyspace.toLocaleString('en-US')} keys, snapshot)`] = restore.snapshotMs;
            figures[`restore ms (${keyspace.toLocaleString('en-US')} keys, ${epochs} deltas)`] = restore.deltasMs;
            figures[`hand loop restore ms (${keyspace.toLocaleString('en-US')} keys)`] = handRestoreMs;
          } finally {
            await backend.close();
          }
        }
        return { scenario: this.name, description: this.description, spate, handLoop, figures };
      } finally {
        await where.close();
      }
    },
  };
}

/** Restores the aggregation's state from its deltas, then again after maintenance wrote snapshots. */
async function measureRestore(backend: CheckpointBackend, lastEpoch: number, keyspace: number): Promise<{ deltasMs: number; snapshotMs: number }> {
  const repo = new StateRepository(backend);
  const restore = async (): Promise<number> => {
    const state = new OperatorState('aggregate-0', ['default'], PARTITIONS, repo);
    global.gc?.();
    const started = performance.now();
    await state.restore(lastEpoch + 1);
    const ms = performance.now() - started;
    const rows = state.metrics().numRowsTotal;
    if (rows !== keyspace) throw new Error(`restored ${rows} keys, expected ${keyspace}`);
    return ms;
  };
  const deltasMs = await restore();
  await new StateMaintenance(new CheckpointLog(backend), repo, { minBatchesToRetain: 100, minDeltasForSnapshot: 1, intervalMs: 0 }).runOnce(lastEpoch);
  const snapshotMs = await restore();
  return { deltasMs, snapshotMs };
}

export const checkpointMemory = checkpointScenario('memory', 'in memory (no checkpointLocation)');
export const checkpointLocal = checkpointScenario('local', 'in a local directory');
export const checkpointRedis = checkpointScenario('redis', 'in Redis');
export const checkpointRedisAsync = checkpointScenario('redis', 'in Redis, asynchronous commits', true);
