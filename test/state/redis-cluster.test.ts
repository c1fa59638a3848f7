// The Redis store on a Redis Cluster: the same layout, one single-slot transaction per shuffle
// partition and the commit marker's last; a query checkpoints, stops and resumes on it.
import { Cluster } from 'ioredis';
import type { DataFrame, Row, Session } from '../../src/index.js';
import { col, count, inspectCheckpoint, lit, sum } from '../../src/index.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { expectedCounts } from '../support/sequence-source.js';
import { sortRows, testSession } from '../support/helpers.js';

const KEYS = 17;

function counts(spark: Session, rows: number): DataFrame {
  return spark.readStream.format('sequence').option('rows', rows).option('keys', KEYS).option('maxRowsPerTrigger', 100).load()
    .groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'));
}

function expected(n: number): Row[] {
  return sortRows(expectedCounts(n, KEYS));
}

describe('the Redis store on a Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => { cluster = await RedisCluster.start(); }, 300_000);
  afterAll(async () => { await cluster.stop(); });

  it('checkpoints, resumes with its state, and keeps each shuffle partition on one slot', async () => {
    const location = `${cluster.url}/0/clustered`;
    const spark = testSession({ 'spate.sql.shuffle.partitions': 8 });
    for (const [rows, name] of [[500, 'c1'], [1200, 'c2']] as const) {
      const q = counts(spark, rows).writeStream.format('memory').queryName(name).outputMode('complete').option('checkpointLocation', location).start();
      await q.processAllAvailable();
      await q.stop();
      expect(q.exception()).toBeNull();
      expect(sortRows(await spark.table(name).collect())).toEqual(expected(rows));
    }
    const inspection = await inspectCheckpoint(location);
    expect(inspection.epochs.lastCommitted).toBe(11);
    expect(inspection.stateOperators[0]!.rows).toBe(KEYS);

    const client = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const keys: string[] = [];
      for (const node of client.nodes('master')) keys.push(...await node.keys('{clustered*'));
      const slotsByTag = new Map<string, Set<number>>();
      for (const key of keys) {
        const tag = key.slice(0, key.indexOf('}') + 1);
        const slot = Number(await client.cluster('KEYSLOT', key));
        slotsByTag.set(tag, (slotsByTag.get(tag) ?? new Set()).add(slot));
      }
      // The root tag and one tag per partition, each on a single slot; partitions spread over nodes.
      expect([...slotsByTag.keys()].sort()).toEqual(['{clustered}', ...Array.from({ length: 8 }, (_, p) => `{clustered|${p}}`)].sort());
      for (const slots of slotsByTag.values()) expect(slots.size).toBe(1);
      expect(new Set([...slotsByTag.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
    } finally {
      client.disconnect();
    }
  });

  it('refuses a database other than 0, which a cluster does not have', async () => {
    const spark = testSession();
    const q = counts(spark, 100).writeStream.format('memory').queryName('c3').outputMode('complete')
      .option('checkpointLocation', `${cluster.url}/3/clustered-db3`).start();
    await expect(q.awaitTermination()).rejects.toThrow(/is a Redis Cluster, which has only database 0: use \/0\/ in the location/);
  });
});
