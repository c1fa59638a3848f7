// The /metrics series of a cluster worker, rendered from a status snapshot (worker-metrics.ts):
// what it owns, rows in and out per task, its owned partitions' lag in records and seconds
// (with the daemon's lag series), rebalances and refused commits; gone once it stopped.
import type { ClusterWorkerStatus } from '../../src/cluster/group/worker-status.js';
import { DaemonMetrics } from '../../src/daemon/metrics.js';
import { LagClock } from '../../src/daemon/partition-lag.js';
import { WorkerMetrics } from '../../src/daemon/worker-metrics.js';
import { metric } from './daemon-process.js';

const status = (over: Partial<ClusterWorkerStatus> = {}): ClusterWorkerStatus => ({
  query: 'words', workerId: 'w1', generation: 3, coordinator: true, plannedEpoch: 7, committedEpoch: 6,
  sourcePartitions: [
    { topic: 'lines', partition: 0, owned: true, committedOffset: 100, latestOffset: 130, lagRecords: 30, rowsRead: 100 },
    { topic: 'lines', partition: 1, owned: false, committedOffset: 90, latestOffset: 95, lagRecords: 5, rowsRead: 0 },
    { topic: 'lines', partition: 2, owned: true, committedOffset: 50, latestOffset: 50, lagRecords: 0, rowsRead: 50 },
  ],
  keyGroups: [{ group: 1, epoch: 6, rowsIn: 40, rowsOut: 12 }, { group: 4, epoch: 6, rowsIn: 8, rowsOut: 3 }],
  rebalances: 2, lastRebalanceMs: 1500, refusedCommits: 1, refusedSinkRecords: 2, failingSteps: 0, lastFailure: null, lastEpochMs: 250, lastCommitStepMs: 20,
  ...over,
});

describe('cluster worker metrics', () => {
  let now = 10_000;
  const setup = (): { text: () => Promise<string>; workers: WorkerMetrics } => {
    const daemon = new DaemonMetrics(new LagClock(0), () => now);
    const workers = new WorkerMetrics(daemon.registry, daemon);
    return { text: async () => (await daemon.scrape()).body, workers };
  };
  const w = { query: 'words', worker: 'w1' };

  it('renders what the worker owns, its tasks\' rows, epochs, rebalances and refused commits', async () => {
    const { text, workers } = setup();
    workers.update(status(), true);
    const t = await text();
    expect(metric(t, 'spate_worker_ready', w)).toBe(1);
    expect(metric(t, 'spate_worker_coordinator', w)).toBe(1);
    expect(metric(t, 'spate_worker_source_partition_owned', { ...w, topic: 'lines', partition: '0' })).toBe(1);
    expect(metric(t, 'spate_worker_source_partition_owned', { ...w, topic: 'lines', partition: '2' })).toBe(1);
    expect(metric(t, 'spate_worker_source_partition_owned', { ...w, topic: 'lines', partition: '1' })).toBeUndefined();
    expect(metric(t, 'spate_worker_key_group_owned', { ...w, key_group: '1' })).toBe(1);
    expect(metric(t, 'spate_worker_key_group_owned', { ...w, key_group: '4' })).toBe(1);
    expect(metric(t, 'spate_worker_key_group_owned', { ...w, key_group: '2' })).toBeUndefined();
    expect(metric(t, 'spate_task_input_rows_total', { ...w, stage: 'source', unit: 'lines/0' })).toBe(100);
    expect(metric(t, 'spate_task_input_rows_total', { ...w, stage: 'source', unit: 'lines/1' })).toBeUndefined();
    expect(metric(t, 'spate_task_input_rows_total', { ...w, stage: 'key_group', unit: '1' })).toBe(40);
    expect(metric(t, 'spate_task_output_rows_total', { ...w, stage: 'key_group', unit: '4' })).toBe(3);
    expect(metric(t, 'spate_cluster_planned_epoch', w)).toBe(7);
    expect(metric(t, 'spate_cluster_committed_epoch', w)).toBe(6);
    expect(metric(t, 'spate_worker_rebalances_total', w)).toBe(2);
    expect(metric(t, 'spate_worker_last_rebalance_duration_seconds', w)).toBe(1.5);
    expect(metric(t, 'spate_worker_refused_commits_total', w)).toBe(1);
    expect(metric(t, 'spate_worker_refused_sink_records_total', w)).toBe(2);
    expect(metric(t, 'spate_cluster_last_epoch_duration_seconds', w)).toBe(0.25);
  });

  it('reports the lag of the partitions it owns only, in records and in seconds since each was last caught up', async () => {
    const { text, workers } = setup();
    now = 10_000;
    workers.update(status(), true);
    now = 14_000;
    // Partition 2 caught up at 10 s, partition 0 never since the daemon started (at 0).
    workers.update(status({ sourcePartitions: status().sourcePartitions.map((p) => (p.partition === 2 ? { ...p, latestOffset: 60, lagRecords: 10 } : p)) }), true);
    now = 15_000;
    const t = await text();
    const lag = (partition: string, name: string): number | undefined => metric(t, name, { query: 'words', source: 'KafkaV2[Subscribe[lines]]', topic: 'lines', partition });
    expect(lag('0', 'spate_source_lag_records')).toBe(30);
    expect(lag('2', 'spate_source_lag_records')).toBe(10);
    expect(lag('1', 'spate_source_lag_records')).toBeUndefined();
    expect(lag('0', 'spate_source_lag_seconds')).toBe(15);
    expect(lag('2', 'spate_source_lag_seconds')).toBe(5);
  });

  it('a worker that is not ready says so; a stopped worker\'s series go', async () => {
    const { text, workers } = setup();
    workers.update(status(), true);
    workers.setReady('w1', false);
    expect(metric(await text(), 'spate_worker_ready', w)).toBe(0);
    workers.forget('w1');
    const t = await text();
    expect(metric(t, 'spate_worker_ready', w)).toBeUndefined();
    expect(metric(t, 'spate_worker_key_group_owned', { ...w, key_group: '1' })).toBeUndefined();
    expect(metric(t, 'spate_source_lag_records', { query: 'words', topic: 'lines', partition: '0' })).toBeUndefined();
  });
});
