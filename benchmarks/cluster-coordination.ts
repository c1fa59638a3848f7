// Cluster mode's coordination cost (issue 13): `npx tsx benchmarks/cluster-coordination.ts [1,2,4,8]`.
// For each worker count, worker processes (test/cluster/group/cluster-child.ts, the word count)
// join one query; once the group is settled, input arrives in epochs of 10 records, so an
// epoch's time is almost all coordination: the offset log write, the stage-one tasks and their
// records, the repartition topic, the fenced key-group commits, the coordinator's gather, its
// Kafka transaction and the commit log. Printed beside it: a Redis round trip on this machine
// (the floor of one step), as a ratio. Then, with two or more workers, the rebalance when a
// worker is SIGKILLed (session timeout + rebalance + state restore until the next commit) and
// when one joins (from its process start to the next commit that includes it). Real broker and
// Redis, on loopback; every process on the same 2 cores.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { RedisServer } from '../test/support/redis-server.js';
import { createTopics, kafkaCluster } from './kafka-cluster.js';
import type { ClusterChild } from './support/cluster-child.js';
import { printed, startClusterChild, until } from './support/cluster-child.js';

const KEY_GROUPS = 8;
const PER_EPOCH = 10;
const EPOCHS = 30;

const WAIT_MS = 180_000;

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? NaN; };

async function main(): Promise<void> {
  const counts = (process.argv[2] ?? '1,2,4,8').split(',').map(Number);
  const cluster = await kafkaCluster();
  const redisServer = await RedisServer.start();
  const redis = new Redis(redisServer.url);
  const kafka = new Kafka({ brokers: cluster.brokers.split(','), clientId: 'bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const rtts: number[] = [];
  for (let i = 0; i < 200; i++) { const t = performance.now(); await redis.ping(); rtts.push(performance.now() - t); }
  const rtt = median(rtts);
  console.log(`Redis round trip (PING, median of 200): ${rtt.toFixed(3)} ms; ${cluster.description}`);
  const lives: ClusterChild[] = [];
  try {
    for (const n of counts) {
      const input = `bench-in-${randomUUID().slice(0, 8)}`;
      const output = `bench-out-${randomUUID().slice(0, 8)}`;
      await createTopics(cluster.brokers, [input], 4);
      await createTopics(cluster.brokers, [output], 1);
      const prefix = `bench-${randomUUID().slice(0, 8)}`;
      const cfg = (workerId: string): Record<string, unknown> => ({
        brokers: cluster.brokers, input, output, checkpointLocation: `${redisServer.url}/0/${prefix}`, workerId, query: 'words',
        keyGroups: KEY_GROUPS, maxOffsetsPerTrigger: PER_EPOCH, sessionTimeoutMs: 3000, leaseMs: 2000,
      });
      const run: ClusterChild[] = Array.from({ length: n }, (_, i) => startClusterChild(cfg(`w${i}`)));
      lives.push(...run);
      // Settled: every worker's newest assignment holds key groups, together all of them.
      const settled = (): boolean => {
        const held = run.map((l) => { const r = printed(l, 'REBALANCED ').at(-1); return r ? JSON.parse(r.line.split(' ').slice(3).join(' ')) as Record<string, number[]> : null; });
        return held.every((h) => h !== null) && held.reduce((a, h) => a + (Object.entries(h!).find(([t]) => t.endsWith('-repartition'))?.[1].length ?? 0), 0) === KEY_GROUPS;
      };
      await until(settled, `${n} workers settled`, WAIT_MS);
      const committedLines = (): { at: number; line: string }[] => run.flatMap((l) => printed(l, 'COMMITTED '));
      const before = committedLines().length;
      const rss0 = process.memoryUsage().rss;
      await producer.send({ topic: input, messages: Array.from({ length: PER_EPOCH * EPOCHS }, (_, i) => ({ value: `spark kafka redis ${i % 7}`, partition: i % 4 })) });
      await until(() => committedLines().length >= before + EPOCHS, `${EPOCHS} epochs with ${n} workers`, WAIT_MS);
      const epochMs = committedLines().slice(before).map((t) => Number(t.line.split(' ')[3])).filter((x) => Number.isFinite(x));
      const commitMs = committedLines().slice(before).map((t) => Number(t.line.split(' ')[4]));
      console.log(`${n} worker(s): epoch of ${PER_EPOCH} records, plan to commit log, median ${median(epochMs)} ms (p90 ${[...epochMs].sort((a, b) => a - b)[Math.floor(epochMs.length * 0.9)]} ms) ` +
        `= ${(median(epochMs) / rtt).toFixed(0)}x a Redis round trip; coordinator's gather + sink transaction + commit log ${median(commitMs)} ms; ${epochMs.length} epochs; bench process rss ${Math.round(Math.max(rss0, process.memoryUsage().rss) / 2 ** 20)} MB`);
      // Where an epoch's time goes: each task's own duration (read, compute, Kafka, Redis), as the workers report it.
      const phase = (name: string): number[] => run.flatMap((l) => printed(l, name).map((t) => Number(t.line.split(' ')[4])));
      const [one, two] = [phase('STAGE-ONE '), phase('STAGE-TWO ')];
      console.log(`  per task, median: stage one (read the range, partial aggregate, produce to the repartition topic, record) ${median(one)} ms over ${one.length} tasks; ` +
        `stage two (read the repartition offsets, merge, fenced commit) ${median(two)} ms over ${two.length} tasks`);
      if (n >= 2) {
        const victim = run[n - 1]!;
        const t0 = performance.now();
        victim.child.kill('SIGKILL');
        const survivors = run.slice(0, n - 1);
        const after = (): number => survivors.flatMap((l) => printed(l, 'CLAIMED ').filter((t) => t.at > t0)).length;
        await producer.send({ topic: input, messages: [{ value: 'after the kill', partition: 0 }] });
        await until(() => after() > 0, 'the survivors claiming key groups', WAIT_MS);
        const claimed = Math.max(...survivors.flatMap((l) => printed(l, 'CLAIMED ').filter((t) => t.at > t0).map((t) => t.at))) - t0;
        const claimedAtAbs = claimed + t0;
        await until(() => committedLines().some((t) => t.at > claimedAtAbs), 'a commit after the claims', WAIT_MS);
        const commit = Math.min(...committedLines().filter((t) => t.at > claimedAtAbs).map((t) => t.at)) - t0;
        const joins = survivors.flatMap((l) => printed(l, 'REBALANCED ').filter((t) => t.at > t0).map((t) => Number(t.line.split(' ')[2])));
        console.log(`  SIGKILL of a worker: key groups claimed by the others after ${claimed.toFixed(0)} ms (session timeout 3000 ms), next commit after ${commit.toFixed(0)} ms; group join took ${median(joins)} ms (kafkajs)`);
        const t1 = performance.now();
        const joiner = startClusterChild(cfg(`w${n}`));
        lives.push(joiner);
        await until(() => printed(joiner, 'CLAIMED ').length > 0, 'the new worker claims key groups', WAIT_MS);
        const claimedAt = printed(joiner, 'CLAIMED ')[0]!.at - t1;
        const joinedAt = printed(joiner, 'JOINED ')[0]?.at ?? NaN;
        console.log(`  a worker joins: process start to its first key group claimed ${claimedAt.toFixed(0)} ms (of which process and module start ${(joinedAt - t1).toFixed(0)} ms)`);
        run.push(joiner);
      }
      for (const l of run) l.child.kill('SIGKILL');
    }
  } finally {
    for (const l of lives) l.child.kill('SIGKILL');
    await producer.disconnect();
    redis.disconnect();
    await redisServer.stop();
    await cluster.stop();
  }
}

void main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
