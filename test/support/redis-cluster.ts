// A three-node Redis Cluster on loopback for tests: three redis-server --cluster-enabled yes on
// free ports, joined with redis-cli --cluster create, all 16384 slots served.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer, redisServerBinary } from './redis-server.js';

const run = promisify(execFile);

export class RedisCluster {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  static async start(): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(await RedisServer.start({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }));
      }
      const cli = redisServerBinary().replace(/redis-server$/, 'redis-cli');
      await run(cli, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
      const cluster = new RedisCluster(nodes);
      await cluster.waitUntilReady(cli);
      return cluster;
    } catch (e) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw e;
    }
  }

  get url(): string {
    return this.nodes[0]!.url;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  private async waitUntilReady(cli: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const states = await Promise.all(this.nodes.map(async (n) => (await run(cli, ['-p', String(n.port), 'cluster', 'info'])).stdout));
      if (states.every((s) => s.includes('cluster_state:ok') && s.includes('cluster_slots_ok:16384'))) return;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not become ready: ${states[0]}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
