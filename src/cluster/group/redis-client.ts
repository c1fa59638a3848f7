// The Redis a cluster query keeps its logs, state and fencing tokens in: one server, or a Redis
// Cluster (found by asking the server given; every script keeps to one hash tag, so it runs on
// a Cluster unchanged, and ioredis routes each call by its key's slot).
import { Cluster, Redis } from 'ioredis';
import { ConnectorError } from '../../errors.js';
import type { RedisLocation } from '../../state/redis-location.js';

export type RedisClient = Redis | Cluster;

export async function openRedis(where: RedisLocation): Promise<RedisClient> {
  const common = {
    maxRetriesPerRequest: 3,
    ...(where.username ? { username: where.username } : {}),
    ...(where.password ? { password: where.password } : {}),
    ...(where.tls ? { tls: {} } : {}),
  };
  const standalone = new Redis({ host: where.host, port: where.port, db: where.db, lazyConnect: true, ...common });
  let info: string;
  try {
    await standalone.connect();
    info = await standalone.info('cluster');
  } catch (e) {
    standalone.disconnect();
    throw new ConnectorError(`cannot connect to Redis at ${where.display}: ${(e as Error).message}`, { cause: e });
  }
  if (!/cluster_enabled:1/.test(info)) return standalone;
  standalone.disconnect();
  if (where.db !== 0) throw new ConnectorError(`${where.display} is a Redis Cluster, which has database 0 only: write the location with /0/`);
  const cluster = new Cluster([{ host: where.host, port: where.port }], { redisOptions: common, scaleReads: 'master' });
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', () => resolve());
    cluster.once('error', (e: Error) => reject(new ConnectorError(`cannot connect to the Redis Cluster at ${where.display}: ${e.message}`, { cause: e })));
  });
  return cluster;
}
