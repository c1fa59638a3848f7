// A three-node Redis Cluster on loopback for tests: three redis-server --cluster-enabled yes on
// free ports, joined with redis-cli --cluster create, all 16384 slots served. A test can move a
// slot to another node (as redis-cli --cluster reshard does) and restart a node (persistent:
// append-only file fsynced on every write, and the node's cluster config, kept in its directory).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { RedisServer, redisServerBinary } from './redis-server.js';

const run = promisify(execFile);

export class RedisCluster {
  private constructor(readonly nodes: readonly RedisServer[]) {}

  static async start(options: { readonly persistent?: boolean } = {}): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(await RedisServer.start({ persistent: options.persistent ?? false, args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }));
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

  /** The index of the node serving `slot`. */
  async nodeOfSlot(slot: number): Promise<number> {
    const ranges = (await this.each(0, (c) => c.call('CLUSTER', 'SLOTS'))) as [number, number, [string, number, string]][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    return this.nodes.findIndex((n) => n.port === Number(range[2][1]));
  }

  /** The slot of a key (its hash tag's). */
  keySlot(key: string): Promise<number> {
    return this.each(0, async (c) => Number(await c.call('CLUSTER', 'KEYSLOT', key)));
  }

  /**
   * Moves `slot` to node `to` as redis-cli --cluster reshard does: IMPORTING on the target,
   * MIGRATING on the source, then MIGRATE of its keys `perStep` at a time (clients meanwhile get
   * ASK for moved keys and TRYAGAIN for commands spanning both), then the slot's new owner told
   * to every node. `between` runs after each MIGRATE (a test waits for work there). Returns the
   * number of keys moved.
   */
  async migrateSlot(slot: number, to: number, perStep = 1, between: () => Promise<void> = async () => undefined): Promise<number> {
    const from = await this.nodeOfSlot(slot);
    if (from === to) throw new Error(`slot ${slot} is on node ${to} already`);
    const id = (i: number): Promise<string> => this.each(i, async (c) => String(await c.call('CLUSTER', 'MYID')));
    const [fromId, toId] = await Promise.all([id(from), id(to)]);
    await this.each(to, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId));
    await this.each(from, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId));
    let moved = 0;
    for (;;) {
      const keys = (await this.each(from, (c) => c.call('CLUSTER', 'GETKEYSINSLOT', slot, perStep))) as string[];
      if (keys.length === 0) break;
      await this.each(from, (c) => c.call('MIGRATE', '127.0.0.1', this.nodes[to]!.port, '', 0, 10_000, 'KEYS', ...keys));
      moved += keys.length;
      await between();
    }
    for (const i of [to, from, ...this.nodes.keys()].filter((x, k, all) => all.indexOf(x) === k)) {
      await this.each(i, (c) => c.call('CLUSTER', 'SETSLOT', slot, 'NODE', toId));
    }
    return moved;
  }

  /** Kills node `index` (SIGKILL) and starts it again on its port and directory; waits until the cluster is whole again. */
  async restartNode(index: number, whileDown: () => Promise<void> = async () => undefined): Promise<void> {
    const node = this.nodes[index]!;
    await node.kill('SIGKILL');
    await whileDown();
    await node.restart();
    await this.waitUntilReady(redisServerBinary().replace(/redis-server$/, 'redis-cli'));
  }

  private async each<T>(index: number, f: (c: Redis) => Promise<T>): Promise<T> {
    const c = new Redis(this.nodes[index]!.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      return await f(c);
    } finally {
      c.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  private async waitUntilReady(cli: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const states = await Promise.all(this.nodes.map(async (n) => (await run(cli, ['-p', String(n.port), 'cluster', 'info'])).stdout));
      if (states.every((s) => s.includes('cluster_state:ok') && s.includes('cluster_slots_ok:16384'))) return;
      if (Date.now() > deadline) throw new Error(`the Redis Cluster did not become ready: ${states[0]}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
