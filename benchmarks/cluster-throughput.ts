// Cluster mode's throughput, 1 worker vs 2 (issue 13): `npx tsx benchmarks/cluster-throughput.ts [records]`.
// A CPU-bound query: JSON trades from a 4-partition Kafka topic, parsed, event-time 15-minute
// windows with a watermark, BUY and SELL sums per window (the trades query of the cluster tests,
// a windowed aggregation; a count does the same work less one addition). Every process on this
// machine: the broker, Redis, the workers (test/cluster/group/cluster-child.ts). The input is
// produced once; each worker count reads it from the start under its own checkpoint, and the
// figure is the records of the epochs planned once the group settled over the time from the
// first such plan to the last commit, with the CPU each process used from the settle on (utime + stime from /proc/<pid>/stat: the workers' process.cpuUsage, the
// broker's JVM, Redis). Beside it, a plain loop doing the same parse-window-sum in this process.
// From the CPU per record, what N machines would give: each worker on its own core, the broker
// and Redis on theirs.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { RedisServer } from '../test/support/redis-server.js';
import { createTopics, kafkaCluster } from './kafka-cluster.js';
import type { ClusterChild } from './support/cluster-child.js';
import { printed, startClusterChild, until } from './support/cluster-child.js';

const KEY_GROUPS = 8;
const PER_EPOCH = 20_000;
const TICKS = 100; // clock ticks per second of /proc/<pid>/stat (getconf CLK_TCK on Linux)

const WAIT_MS = 600_000;

/** CPU seconds (user + system) a process used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

function trades(n: number): string[] {
  const base = Date.UTC(2019, 1, 5, 10, 0, 0);
  const two = (x: number): string => String(x).padStart(2, '0');
  return Array.from({ length: n }, (_, i) => {
    const d = new Date(base + i * 3_000);
    const time = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
    return JSON.stringify({ CreatedTime: time, Type: i % 3 === 0 ? 'SELL' : 'BUY', Amount: (i * 13) % 500 + 1, BrokerCode: 'ABX' });
  });
}

/** The same work by hand: parse, window, sum; records per CPU second of this process. */
function plainLoop(values: readonly string[]): { perCpuSecond: number; windows: number } {
  const c0 = process.cpuUsage();
  const sums = new Map<number, { BUY: number; SELL: number }>();
  for (const v of values) {
    const t = JSON.parse(v) as { CreatedTime: string; Type: 'BUY' | 'SELL'; Amount: number };
    const start = Math.floor(Date.parse(`${t.CreatedTime.replace(' ', 'T')}Z`) / 900_000) * 900_000;
    let s = sums.get(start);
    if (!s) sums.set(start, (s = { BUY: 0, SELL: 0 }));
    s[t.Type] += t.Amount;
  }
  const c = process.cpuUsage(c0);
  return { perCpuSecond: values.length / ((c.user + c.system) / 1e6), windows: sums.size };
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? '200000');
  const cluster = await kafkaCluster();
  const redisServer = await RedisServer.start();
  const redis = new Redis(redisServer.url);
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))![1]);
  const kafka = new Kafka({ brokers: cluster.brokers.split(','), clientId: 'bench', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const values = trades(records);
  const plain = plainLoop(values);
  console.log(`${records} JSON trades; ${cluster.description}${cluster.pid ? '' : ' (broker CPU not measured: not started here)'}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on 2 cores`);
  console.log(`plain loop (parse, window, sum in one process): ${Math.round(plain.perCpuSecond).toLocaleString('en-US')} records per CPU second, ${plain.windows} windows`);
  const lives: ClusterChild[] = [];
  const figures: { n: number; wall: number; counted: number; workers: number[]; broker: number; redis: number }[] = [];
  try {
    // The input, produced once before the runs (on this loaded machine producing is slower than
    // the query): each run reads it from the start under its own checkpoint.
    const input = `bench-tp-in-${randomUUID().slice(0, 8)}`;
    await createTopics(cluster.brokers, [input], 4);
    for (let i = 0; i < records; i += 10_000) {
      await producer.send({ topic: input, acks: 1, messages: values.slice(i, i + 10_000).map((value, k) => ({ value, partition: (i + k) % 4 })) });
    }
    const admin = kafka.admin();
    await admin.connect();
    const want = new Map((await admin.fetchTopicOffsets(input)).map((p) => [String(p.partition), Number(p.high)]));
    await admin.disconnect();
    for (const n of [1, 2]) {
      const output = `bench-tp-out-${randomUUID().slice(0, 8)}`;
      await createTopics(cluster.brokers, [output], 1);
      const prefix = `bench-tp-${randomUUID().slice(0, 8)}`;
      const run = Array.from({ length: n }, (_, i) => startClusterChild({
        brokers: cluster.brokers, input, output, checkpointLocation: `${redisServer.url}/0/${prefix}`, workerId: `w${i}`, query: 'trades',
        keyGroups: KEY_GROUPS, maxOffsetsPerTrigger: PER_EPOCH, sessionTimeoutMs: 6000, leaseMs: 3000,
      }));
      lives.push(...run);
      const held = (l: ClusterChild): number => {
        const r = printed(l, 'REBALANCED ').at(-1)?.line;
        const a = r ? JSON.parse(r.split(' ').slice(3).join(' ')) as Record<string, number[]> : {};
        return Object.entries(a).find(([t]) => t.endsWith('-repartition'))?.[1].length ?? 0;
      };
      await until(() => run.every((l) => held(l) > 0) && run.reduce((s, l) => s + held(l), 0) === KEY_GROUPS, `${n} workers settled`, WAIT_MS, 20);
      // Measured: the epochs planned once every worker holds its share (the first worker starts
      // alone on the waiting input), from the first such plan to the last commit.
      const settledAt = Date.now();
      const pids = run.map((l) => l.child.pid!);
      const before = { workers: pids.map(cpuSeconds), broker: cluster.pid ? cpuSeconds(cluster.pid) : NaN, redis: cpuSeconds(redisPid) };
      let last = -1;
      await until(async () => {
        const c = await redis.get(`{${prefix}}:committed`);
        if (c === null) return false;
        last = Number(c);
        const entry = JSON.parse((await redis.hget(`{${prefix}}:offsets`, c))!) as { end: Record<string, number> };
        return [...want].every(([p, e]) => entry.end[p] === e);
      }, `${records} records committed with ${n} workers`, WAIT_MS, 20);
      const endedAt = Date.now();
      const after = { workers: pids.map(cpuSeconds), broker: cluster.pid ? cpuSeconds(cluster.pid) : NaN, redis: cpuSeconds(redisPid) };
      const entries = await Promise.all(Array.from({ length: last + 1 }, async (_, e) => JSON.parse((await redis.hget(`{${prefix}}:offsets`, String(e)))!) as
        { start: Record<string, number>; end: Record<string, number>; batchTimestampMs: number }));
      const measured = entries.filter((e) => e.batchTimestampMs >= settledAt);
      const counted = measured.reduce((sum, e) => sum + Object.keys(e.end).reduce((k, p) => k + e.end[p]! - (e.start[p] ?? 0), 0), 0);
      const wall = (endedAt - Math.min(...measured.map((e) => e.batchTimestampMs))) / 1000;
      const f = {
        n, wall, counted, workers: pids.map((_, i) => after.workers[i]! - before.workers[i]!),
        broker: after.broker - before.broker, redis: after.redis - before.redis,
      };
      figures.push(f);
      console.log(`${n} worker(s): ${Math.round(counted / wall).toLocaleString('en-US')} records/s (${counted} records in ${measured.length} epochs after the group settled, ${wall.toFixed(1)} s); ` +
        `CPU s from the settle to the end: workers ${f.workers.map((c) => c.toFixed(1)).join(' + ')}, broker ${f.broker.toFixed(1)}, Redis ${f.redis.toFixed(1)}; ` +
        `workers' peak RSS ${pids.map(peakRssMb).join(', ')} MB; spate/plain by CPU ${((counted / f.workers.reduce((a, b) => a + b, 0)) / plain.perCpuSecond).toFixed(3)}`);
      for (const l of run) l.child.kill('SIGKILL');
    }
    // What N machines would give: each worker's share costs its CPU per record; the broker's and
    // Redis's CPU per record do not shrink with N (one broker, one Redis here).
    const two = figures.find((f) => f.n === 2)!;
    const workerCpuPerRecord = two.workers.reduce((a, b) => a + b, 0) / two.counted;
    const brokerPerRecord = two.broker / two.counted;
    const redisPerRecord = two.redis / two.counted;
    console.log(`per record at 2 workers: workers ${(workerCpuPerRecord * 1e6).toFixed(1)} µs CPU (summed), broker ${(brokerPerRecord * 1e6).toFixed(1)} µs, Redis ${(redisPerRecord * 1e6).toFixed(2)} µs`);
    for (const machines of [1, 2, 4, 8, 16]) {
      const byWorkers = machines / workerCpuPerRecord;
      const byBroker = Number.isFinite(brokerPerRecord) && brokerPerRecord > 0 ? 1 / brokerPerRecord : Infinity;
      console.log(`  ${machines} machine(s), one worker core each: workers could do ${Math.round(byWorkers).toLocaleString('en-US')} records/s; ` +
        `one broker core caps at ${Number.isFinite(byBroker) ? Math.round(byBroker).toLocaleString('en-US') : '?'}; estimate ${Math.round(Math.min(byWorkers, byBroker)).toLocaleString('en-US')} records/s`);
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
