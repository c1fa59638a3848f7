// One `spate run` worker of a cluster query (runClusterWorker, behind startWorker()): joins the
// query's consumer group, runs the stage-one tasks of the source partitions and the stage-two
// tasks of the key groups the group gives it, and coordinates the query's epochs while it holds
// the lease. Workers share nothing but Kafka and Redis; any of them may die at any point and
// another picks its units up: every step is either idempotent or fenced (see fencing.ts).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { deserialize } from 'node:v8';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners } from 'kafkajs';
import type { Producer } from 'kafkajs';
import { AnalysisError } from '../../errors.js';
import { KafkaCluster, READ_COMMITTED, READ_UNCOMMITTED } from '../../connectors/kafka/cluster.js';
import { kafkaConfig } from '../../connectors/kafka/kafka-options.js';
import { createServedTopic } from '../../connectors/kafka/topic-setup.js';
import { readRanges } from '../../connectors/kafka/range-reader.js';
import { kafkaSourceSettings } from '../../connectors/kafka/source-options.js';
import type { Row } from '../../data/row.js';
import { compileChain } from '../../operators/stateless-chain.js';
import { isRedisLocation, parseRedisLocation } from '../../state/redis-location.js';
import type { ClusterQuery } from './cluster-query.js';
import { chainSteps, clusterStages } from './cluster-query.js';
import { Coordinator, logPointers, readEpoch, unitKey } from './coordinator.js';
import { ClusterKeys, Fencing } from './fencing.js';
import { clusterSink } from './cluster-sink.js';
import type { KeyedStep } from './key-group-task.js';
import { KeyGroupTask } from './key-group-task.js';
import { combinesPartially, exchangeInput } from '../exchange/partitioning.js';
import { joinStateWatermarks } from '../../operators/join/state-watermark.js';
import { Membership } from './membership.js';
import { openRedis } from './redis-client.js';
import type { StageOneRecord, StageOneSpec } from './stage-one.js';
import { runStageOne, stageOneChain } from './stage-one.js';
import { TaskSinkStep } from './task-sink.js';
import type { ClusterWorkerStatus, SourcePartitionStatus } from './worker-status.js';
import { WorkerCounters } from './worker-status.js';
import { clusterKafkaOptions, consumerGroupOf, repartitionTopicOf } from './cluster-topics.js';

/** How one worker of a cluster query runs (startWorker's second argument); every field has a default. */
export interface ClusterWorkerOptions {
  /** This worker's name (default: a random one); workers of a query are ordered by it. */
  readonly workerId?: string;
  /** How long the coordinator lease lasts without renewal (default 3000 ms). */
  readonly leaseMs?: number;
  /** The consumer group's session timeout: how soon a silent worker's units move (default 6000 ms). */
  readonly sessionTimeoutMs?: number;
  /**
   * How long a key group's running task keeps a newly assigned owner waiting for its commit
   * (default: the session timeout); past it the new owner claims the group and fences the old.
   */
  readonly taskMarkMs?: number;
  /** How often an idle worker looks for work (default 20 ms). */
  readonly pollMs?: number;
  /** Lines describing what the worker did (PLANNED, COMMITTED, CLAIMED, REFUSED ...). */
  readonly onEvent?: (event: string) => void;
  /** Testing: runs right before a key group's commit (a test freezes the worker there). */
  readonly beforeCommit?: (group: number, epoch: number) => Promise<void>;
  /** Testing: runs after a key group's state commit, right before its sink write and record (task-sink.ts). */
  readonly beforeSinkRecord?: (group: number, epoch: number) => Promise<void>;
  /**
   * Testing: while it returns true for an epoch, the coordinator does not plan it. An epoch's
   * ranges are whatever each source partition holds when it is planned, so a test that wants
   * the same epochs on every run lines its input up first, then lets the epoch be planned.
   */
  readonly holdPlanning?: (epoch: number) => boolean;
}

/** One running worker of a cluster query, as startWorker() returns it. */
export interface ClusterWorker {
  /** Its name among the query's workers. */
  readonly workerId: string;
  /** Settles when stop() stopped the worker. A failing step (Kafka or Redis away) is reported as a RETRY event and tried again. */
  readonly done: Promise<void>;
  /** Leaves the group and stops (its units move to the others). */
  stop(): Promise<void>;
  /** State commits this worker's tasks had refused (it had lost the unit): a frozen worker's late writes. */
  readonly refusedCommits: number;
  /** Sink records this worker's tasks had refused (the key group moved between its state commit and its sink record). */
  readonly refusedSinkRecords: number;
  /** Its coordinator half (active while it holds the lease): the last epoch's coordination figures. */
  readonly coordinator: Coordinator;
  /** Its place in the consumer group: what it owns, rebalances seen. */
  readonly membership: Membership;
  /** The query's name (queryName), else its checkpoint prefix. */
  readonly query: string;
  /**
   * What it owns, its tasks' rows, each source partition's lag behind the last committed epoch,
   * the epochs, rebalances and failures, now (asks Redis and the broker; rejects while they are away).
   */
  status(): Promise<ClusterWorkerStatus>;
}

export async function runClusterWorker(q: ClusterQuery, opts: ClusterWorkerOptions = {}): Promise<ClusterWorker> {
  const stages = clusterStages(q);
  if (q.checkpointLocation === null || !isRedisLocation(q.checkpointLocation)) {
    throw new AnalysisError('cluster mode needs a checkpointLocation in Redis, e.g. option("checkpointLocation", "redis://127.0.0.1:6379/0/checkpoints/word-count"): ' +
      'the workers share the query\'s logs, state and fencing tokens there' + (q.checkpointLocation ? ` (got ${q.checkpointLocation})` : ''));
  }
  const where = parseRedisLocation(q.checkpointLocation);
  const sourceOptions = stages.source.options;
  if (!sourceOptions['kafka.bootstrap.servers']) throw new AnalysisError("cluster mode needs the source's option('kafka.bootstrap.servers', ...): the workers form a consumer group there");
  const inputSettings = stages.inputs.map((input) => {
    const options = input.source.options;
    if (options['kafka.bootstrap.servers'] !== sourceOptions['kafka.bootstrap.servers']) {
      throw new AnalysisError(`cluster mode reads every source from one Kafka cluster: the sources of ${stages.inputs.map((i) => i.topic).join(' and ')} name different kafka.bootstrap.servers`);
    }
    const settings = kafkaSourceSettings({ format: 'kafka', options }, true);
    if (settings.starting !== 'earliest' && settings.starting !== 'latest') {
      throw new AnalysisError("cluster mode takes startingOffsets 'earliest' or 'latest' (per-partition JSON offsets are not supported yet)");
    }
    return { ...settings, starting: settings.starting };
  });
  const settings = inputSettings[0]!;
  if (inputSettings.some((i) => i.readCommitted !== settings.readCommitted)) {
    throw new AnalysisError("cluster mode reads every source with one kafka.isolation.level: set the same on the join's two sources");
  }
  const workerId = opts.workerId ?? `w-${randomUUID().slice(0, 8)}`;
  const onEvent = opts.onEvent ?? (() => undefined);
  const leaseMs = opts.leaseMs ?? 3000;
  const pollMs = opts.pollMs ?? 20;
  const keyGroups = q.keyGroups;

  const redis = await openRedis(where);
  const fencing = new Fencing(redis, new ClusterKeys(where.prefix));
  const kafka = new Kafka(kafkaConfig(sourceOptions, `spate-cluster-${workerId}`));
  const sinkKafka = new Kafka(kafkaConfig(clusterKafkaOptions(q).sink, `spate-cluster-sink-${workerId}`));
  const repartitionTopic = repartitionTopicOf(where.prefix);

  // The repartition topic: one partition per key group, so a key group is a partition the group assigns.
  const admin = kafka.admin();
  await admin.connect();
  /** Each input's source partitions. */
  let sourcePartitions: number[][];
  try {
    await createServedTopic(admin, repartitionTopic, keyGroups);
    const meta = await admin.fetchTopicMetadata({ topics: [...stages.inputs.map((i) => i.topic), repartitionTopic] });
    const count = (t: string): number => meta.topics.find((m) => m.name === t)?.partitions.length ?? 0;
    if (count(repartitionTopic) !== keyGroups) {
      throw new AnalysisError(`the repartition topic ${repartitionTopic} has ${count(repartitionTopic)} partitions but the query has ${keyGroups} key groups ` +
        '(spate.sql.shuffle.partitions is fixed for a checkpoint\'s life): use the checkpoint\'s value');
    }
    sourcePartitions = stages.inputs.map((i) => meta.topics.find((m) => m.name === i.topic)!.partitions.map((p) => p.partitionId).sort((a, b) => a - b));
  } catch (e) {
    await admin.disconnect();
    throw e;
  }

  const sourceCluster = new KafkaCluster(kafka, settings.readCommitted ? READ_COMMITTED : READ_UNCOMMITTED);
  const exchangeCluster = new KafkaCluster(kafka, READ_UNCOMMITTED);
  await Promise.all([sourceCluster.connect(), exchangeCluster.connect()]);
  const producer: Producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const sink = clusterSink(q, { redis, fencing, kafka: sinkKafka, prefix: where.prefix });
  const sinkStep = sink.taskOutput ? new TaskSinkStep(redis, fencing, sink.taskOutput, onEvent, opts.beforeSinkRecord) : null;
  const coordinator = new Coordinator({
    redis, fencing, cluster: sourceCluster, keyGroups, output: sink.epochOutput, worker: workerId, leaseMs, onEvent,
    inputs: stages.inputs.map((input, i) => ({
      topic: input.topic, partitions: sourcePartitions[i]!, starting: inputSettings[i]!.starting,
      maxOffsetsPerTrigger: inputSettings[i]!.maxOffsetsPerTrigger, watermarkDelayMs: input.watermarkDelayMs,
    })),
    trimExchange: async (below) => {
      await admin.deleteTopicRecords({ topic: repartitionTopic, partitions: [...below].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
    },
    noDataEpochs: stages.join ? joinStateWatermarks(stages.join).left !== null || joinStateWatermarks(stages.join).right !== null
      : stages.dedup ? stages.dedup.eventTime !== null
      : stages.groupState ? stages.groupState.timeout === 'EventTimeTimeout'
      : stages.aggregate?.eventTime != null && q.outputMode !== 'complete',
    ...(opts.holdPlanning ? { holdPlanning: opts.holdPlanning } : {}),
  });
  const inputTopics = stages.inputs.map((i) => i.topic);
  const membership = new Membership(kafka, consumerGroupOf(where.prefix), workerId, [...inputTopics, repartitionTopic],
    (t) => (t === repartitionTopic ? keyGroups : sourcePartitions[inputTopics.indexOf(t)]!.length), opts.sessionTimeoutMs ?? 6000, onEvent);

  // An aggregation combines its rows per group in stage one, but a session window (its sessions
  // merge in stage two); a join, a dropDuplicates and a session window route the rows themselves by key.
  const combined = stages.aggregate && combinesPartially(stages.aggregate) ? stages.aggregate : null;
  const routed = stages.join ?? stages.dedup ?? stages.groupState ?? (stages.aggregate && !combined ? stages.aggregate : null);
  const stageOne = stages.inputs.map((input, i): { spec: StageOneSpec; chain: ReturnType<typeof stageOneChain> } => {
    const set = inputSettings[i]!;
    const spec: StageOneSpec = {
      cluster: sourceCluster, read: { includeHeaders: set.includeHeaders, failOnDataLoss: set.failOnDataLoss, maxBytesPerPartition: set.maxBytesPerPartition },
      topic: input.topic, steps: chainSteps(input.before), aggregate: combined, mode: q.outputMode, keyGroups, producer, repartitionTopic,
      input: i, keyGroup: routed ? exchangeInput(routed, i, q.outputMode, keyGroups).keyGroup : null,
    };
    return { spec, chain: stageOneChain(spec.steps) };
  });
  const step: KeyedStep = stages.aggregate ? { aggregate: stages.aggregate } : stages.join ? { join: stages.join } : stages.dedup ? { dedup: stages.dedup }
    : stages.groupState ? { groupState: stages.groupState } : null;
  const unitCount = sourcePartitions.reduce((n, ps) => n + ps.length, 0);
  const after = stages.after.length ? compileChain(chainSteps(stages.after)) : null;

  const tasks = new Map<number, KeyGroupTask>();
  /** Owner tokens of the key groups this worker holds: claimed once per assignment, kept while it lasts. */
  const tokens = new Map<number, string>();
  /** Key groups whose commit was refused, by the generation they were lost in: not claimed again in it. */
  let lostIn = new Map<number, number>();
  let generationSeen = -1;
  /** Key groups assigned here whose previous owner still runs their task (claim refused until it commits). */
  const waiting = new Set<number>();
  const runningTtlMs = opts.taskMarkMs ?? opts.sessionTimeoutMs ?? 6000;
  let refusedCommits = 0;
  let refusedSinkRecords = 0;
  /** The refusal totals, on the CLAIMED and REFUSED lines. */
  const refusals = (): string => `refusedCommits=${refusedCommits} refusedSinkRecords=${refusedSinkRecords}`;
  let stopped = false;
  const counters = new WorkerCounters();

  const syncOwnership = async (): Promise<void> => {
    const { generation } = membership.ownership;
    const owned = new Set(membership.owned(repartitionTopic));
    if (generation !== generationSeen) {
      generationSeen = generation;
      lostIn = new Map([...lostIn].filter(([, g]) => g === generation));
    }
    for (const g of [...tokens.keys()]) if (!owned.has(g)) tokens.delete(g);
    for (const g of [...tasks.keys()]) if (!tokens.has(g)) tasks.delete(g);
    for (const g of owned) {
      if (tasks.has(g) || lostIn.get(g) === generation) continue;
      let token = tokens.get(g);
      if (token === undefined) {
        const claimed = await fencing.claim(workerId, g);
        if (claimed === null) {
          // Its previous owner is running the group's task of the epoch in flight: wait for that commit.
          if (!waiting.has(g)) onEvent(`WAITING ${g}`);
          waiting.add(g);
          continue;
        }
        token = claimed;
        waiting.delete(g);
        tokens.set(g, token);
        onEvent(`CLAIMED ${g} ${refusals()}`);
      }
      tasks.set(g, await KeyGroupTask.restore(redis, fencing, g, token, step, q.outputMode, keyGroups, after));
    }
  };

  /** The rows stage one sent key group `group` in the epoch of `records`, by input. */
  const readStageTwoInput = async (group: number, records: StageOneRecord[]): Promise<Row[][]> => {
    const inputOf = new Map<number, number>();
    for (const r of records) if (r.out[String(group)] !== undefined) inputOf.set(r.out[String(group)]!, r.input);
    const rows: Row[][] = stages.inputs.map(() => []);
    if (inputOf.size === 0) return rows;
    const from = Math.min(...inputOf.keys());
    const until = Math.max(...inputOf.keys()) + 1;
    for await (const chunk of readRanges(exchangeCluster, [{ topic: repartitionTopic, partition: group, from, until }], { includeHeaders: false, failOnDataLoss: true, maxBytesPerPartition: 8 << 20 })) {
      for (const m of chunk) {
        const input = inputOf.get(Number(m['offset']));
        if (input === undefined) continue;
        const into = rows[input]!;
        for (const r of deserialize(m['value'] as Buffer) as Row[]) into.push(r);
      }
    }
    return rows;
  };

  /** A key group whose write (state commit or sink record) the fence refused: another worker owns it now. */
  const lose = (g: number, write: 'commit' | 'sink'): void => {
    if (write === 'commit') refusedCommits += 1;
    else refusedSinkRecords += 1;
    tasks.delete(g);
    tokens.delete(g);
    lostIn.set(g, membership.ownership.generation);
  };

  const taskStep = async (): Promise<boolean> => {
    await syncOwnership();
    const { planned, committed } = await logPointers(redis, fencing);
    if (planned <= committed) return false;
    const entry = await readEpoch(redis, fencing, planned);
    if (!entry) return false;
    let did = false;
    const recorded = await redis.hkeys(fencing.keys.stageOne(planned));
    for (const [i, { spec, chain }] of stageOne.entries()) {
      for (const p of membership.owned(spec.topic)) {
        const unit = unitKey(i, p);
        if (recorded.includes(unit)) continue;
        const t0 = performance.now();
        const rec = await runStageOne(spec, chain, planned, p, entry.start[unit] ?? 0, entry.end[unit] ?? 0, entry.lateWatermarkMs);
        if (!(await fencing.recordStageOne(planned, unit, JSON.stringify(rec)))) onEvent(`REFUSED-STAGE-ONE ${unit} ${planned}`);
        else {
          counters.stageOne(spec.topic, p, rec.rows);
          onEvent(`STAGE-ONE ${unit} ${planned} ${rec.rows} ${Math.round(performance.now() - t0)}`);
        }
        did = true;
      }
    }
    const all = await redis.hgetall(fencing.keys.stageOne(planned));
    if (Object.keys(all).length < unitCount) return did;
    const records = Object.values(all).map((json) => JSON.parse(json) as StageOneRecord);
    for (const [g, task] of [...tasks]) {
      if (task.epoch >= planned) continue;
      const t0 = performance.now();
      // Marks the task running (a new owner waits for its commit); refused: the group moved already.
      if (!(await fencing.begin(g, task.token, runningTtlMs))) {
        tasks.delete(g);
        tokens.delete(g);
        lostIn.set(g, membership.ownership.generation);
        onEvent(`LOST ${g} ${planned}`);
        continue;
      }
      const input = await readStageTwoInput(g, records);
      let outcome;
      try {
        outcome = await task.run(planned, entry.batchTimestampMs, entry, input, fencing, sinkStep === null, opts.beforeCommit ? () => opts.beforeCommit!(g, planned) : undefined);
      } catch (e) {
        tasks.delete(g); // its in-memory state may be ahead of Redis: restore it next time
        throw e;
      }
      did = true;
      if (outcome === 'committed') {
        const rowsIn = input.reduce((n, rows) => n + rows.length, 0);
        counters.stageTwo(g, rowsIn, task.lastOutputRows);
        onEvent(`STAGE-TWO ${g} ${planned} ${rowsIn} ${Math.round(performance.now() - t0)}`);
      }
      if (outcome === 'refused') {
        lose(g, 'commit');
        onEvent(`REFUSED ${g} ${planned} ${refusals()}`);
      } else if (outcome !== 'committed') {
        tasks.delete(g);
        onEvent(`${outcome.toUpperCase()} ${g} ${planned}`);
      }
    }
    // Sinks written from every worker: each key group's committed output of the epoch (task-sink.ts).
    if (sinkStep) {
      const { wrote, refused } = await sinkStep.run(tasks, planned);
      for (const g of refused) {
        lose(g, 'sink');
        onEvent(`REFUSED-SINK ${g} ${planned} ${refusals()}`);
      }
      did ||= wrote > 0;
    }
    return did;
  };

  const loop = async (step: () => Promise<boolean>, name: string): Promise<void> => {
    while (!stopped) {
      let did = false;
      try {
        did = await step();
        counters.stepEnded(name, null);
      } catch (e) {
        if (stopped) return;
        const message = (e as Error).message.split('\n')[0]!;
        counters.stepEnded(name, message);
        onEvent(`RETRY ${name}: ${message}`);
      }
      if (!did) await sleep(pollMs);
    }
  };

  const query = q.queryName ?? where.prefix;
  const status = async (): Promise<ClusterWorkerStatus> => {
    const { planned, committed } = await logPointers(redis, fencing);
    const last = committed >= 0 ? await readEpoch(redis, fencing, committed) : null;
    const partitionStatus: SourcePartitionStatus[] = [];
    for (const [i, input] of stages.inputs.entries()) {
      const topics = new Map([[input.topic, sourcePartitions[i]!]]);
      const latest = (await sourceCluster.offsets(topics, 'latest')).get(input.topic)!;
      // Before the first commit the query lags from where it starts.
      const first = last ? null : inputSettings[i]!.starting === 'earliest' ? (await sourceCluster.offsets(topics, 'earliest')).get(input.topic)! : latest;
      const owned = new Set(membership.owned(input.topic));
      for (const p of sourcePartitions[i]!) {
        const latestOffset = latest.get(p) ?? 0;
        const committedOffset = last ? last.end[unitKey(i, p)] ?? null : null;
        const from = committedOffset ?? first!.get(p) ?? 0;
        partitionStatus.push({ topic: input.topic, partition: p, owned: owned.has(p), committedOffset, latestOffset,
          lagRecords: Math.max(0, latestOffset - from), rowsRead: counters.rowsRead(input.topic, p) });
      }
    }
    const keyGroupStatus = [...membership.owned(repartitionTopic)].sort((a, b) => a - b)
      .map((group) => ({ group, epoch: tasks.get(group)?.epoch ?? -1, ...counters.rowsOf(group) }));
    return {
      query, workerId, generation: membership.ownership.generation, coordinator: coordinator.holdsLease,
      plannedEpoch: planned, committedEpoch: committed, sourcePartitions: partitionStatus, keyGroups: keyGroupStatus,
      rebalances: membership.rebalances, lastRebalanceMs: membership.lastJoinMs, refusedCommits, refusedSinkRecords,
      failingSteps: counters.failingSteps, lastFailure: counters.lastFailure,
      lastEpochMs: coordinator.lastEpochMs, lastCommitStepMs: coordinator.lastCommitStepMs,
    };
  };

  await membership.join();
  onEvent(`JOINED ${workerId}`);
  const done = Promise.all([loop(() => coordinator.step(), 'coordinator'), loop(taskStep, 'tasks')]).then(() => undefined);

  return {
    workerId,
    done,
    coordinator,
    membership,
    query,
    status,
    get refusedCommits() { return refusedCommits; },
    get refusedSinkRecords() { return refusedSinkRecords; },
    async stop() {
      stopped = true;
      await done;
      await membership.leave();
      await Promise.all([producer.disconnect().catch(() => undefined), sink.close(), admin.disconnect().catch(() => undefined), sourceCluster.disconnect().catch(() => undefined), exchangeCluster.disconnect().catch(() => undefined)]);
      redis.disconnect();
    },
  };
}
