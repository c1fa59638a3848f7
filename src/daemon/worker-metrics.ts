// Prometheus metrics of the cluster workers a daemon runs (startWorker from `spate run`), from
// each worker's last status snapshot (ClusterWorker.status()), labelled by query and worker:
// what each worker owns (so that a sum over the workers of a query shows every source partition
// and key group owned once), rows in and out per task, epochs, rebalances, refused commits.
// The source partitions' lag joins the daemon's spate_source_lag_* series (metrics.ts), each
// partition reported by its owner only.
import type { Counter, Gauge, Registry } from 'prom-client';
import { Counter as CounterMetric, Gauge as GaugeMetric } from 'prom-client';
import type { ClusterWorkerStatus } from '../cluster/group/worker-status.js';
import type { DaemonMetrics } from './metrics.js';
import type { PartitionLag } from './partition-lag.js';

/** The source description of a cluster worker's Kafka input, as a single-process Kafka source names itself. */
export function sourceOf(topic: string): string {
  return `KafkaV2[Subscribe[${topic}]]`;
}

/** The lag of the source partitions `status`'s worker owns. */
export function ownedLags(status: ClusterWorkerStatus): PartitionLag[] {
  return status.sourcePartitions.filter((p) => p.owned)
    .map((p) => ({ source: sourceOf(p.topic), topic: p.topic, partition: String(p.partition), records: p.lagRecords }));
}

type WorkerLabel = 'query' | 'worker';

export class WorkerMetrics {
  /** Each worker's last status, by worker id, and whether it is ready. */
  private readonly statuses = new Map<string, { status: ClusterWorkerStatus; ready: boolean }>();

  constructor(registry: Registry, private readonly daemon: DaemonMetrics) {
    const registers = [registry];
    const statuses = this.statuses;
    const each = (fn: (s: ClusterWorkerStatus, labels: Record<WorkerLabel, string>, ready: boolean) => void): void => {
      for (const { status, ready } of statuses.values()) fn(status, { query: status.query, worker: status.workerId }, ready);
    };
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (this: Gauge<L>) => void): void => {
      new GaugeMetric<L>({ name, help, labelNames, registers, collect() { this.reset(); collect.call(this); } });
    };
    // Counters keep the worker's own running totals: set to them at each scrape.
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (set: (labels: Record<L, string>, n: number) => void) => void): void => {
      new CounterMetric<L>({
        name, help, labelNames, registers,
        collect(this: Counter<L>) {
          this.reset();
          collect((labels, n) => this.inc(labels as Partial<Record<L, string | number>>, n));
        },
      });
    };
    const W = ['query', 'worker'] as const;
    gauge('spate_worker_ready', '1 while the cluster worker is in its group, its steps succeed and its query is not stalled', W, function collect() {
      each((_, l, ready) => this.set(l, ready ? 1 : 0));
    });
    gauge('spate_worker_coordinator', '1 while the worker holds the query\'s coordinator lease', W, function collect() {
      each((s, l) => this.set(l, s.coordinator ? 1 : 0));
    });
    gauge('spate_worker_source_partition_owned', 'A source partition the worker owns (its stage-one tasks), one series per partition', [...W, 'topic', 'partition'], function collect() {
      each((s, l) => { for (const p of s.sourcePartitions) if (p.owned) this.set({ ...l, topic: p.topic, partition: String(p.partition) }, 1); });
    });
    gauge('spate_worker_key_group_owned', 'A key group the worker owns (its stage-two task), one series per key group', [...W, 'key_group'], function collect() {
      each((s, l) => { for (const g of s.keyGroups) this.set({ ...l, key_group: String(g.group) }, 1); });
    });
    gauge('spate_cluster_planned_epoch', 'The query\'s last planned epoch (-1: none), as the worker read it', W, function collect() {
      each((s, l) => this.set(l, s.plannedEpoch));
    });
    gauge('spate_cluster_committed_epoch', 'The query\'s last committed epoch (-1: none), as the worker read it', W, function collect() {
      each((s, l) => this.set(l, s.committedEpoch));
    });
    gauge('spate_worker_last_rebalance_duration_seconds', 'How long the worker\'s last rebalance (group join) took', W, function collect() {
      each((s, l) => this.set(l, s.lastRebalanceMs / 1000));
    });
    gauge('spate_worker_failing_steps', 'Steps of the worker that failed in a row (retried)', W, function collect() {
      each((s, l) => this.set(l, s.failingSteps));
    });
    gauge('spate_cluster_last_epoch_duration_seconds', 'Plan to commit log of the last epoch this worker committed as coordinator', W, function collect() {
      each((s, l) => { if (s.coordinator) this.set(l, s.lastEpochMs / 1000); });
    });
    counter('spate_worker_rebalances_total', 'Rebalances the worker went through', W, (set) => each((s, l) => set(l, s.rebalances)));
    counter('spate_worker_refused_commits_total', 'Commits the worker\'s tasks had refused (it had lost the unit)', W, (set) => each((s, l) => set(l, s.refusedCommits)));
    counter('spate_worker_refused_sink_records_total', 'Sink records the worker\'s tasks had refused (the unit moved after the state commit)', W, (set) => each((s, l) => set(l, s.refusedSinkRecords)));
    const T = [...W, 'stage', 'unit'] as const;
    counter('spate_task_input_rows_total', 'Rows into a task of the worker: records read (stage source, unit topic/partition), rows from stage one (stage key_group)', T, (set) => each((s, l) => {
      for (const p of s.sourcePartitions) if (p.owned || p.rowsRead > 0) set({ ...l, stage: 'source', unit: `${p.topic}/${p.partition}` }, p.rowsRead);
      for (const g of s.keyGroups) set({ ...l, stage: 'key_group', unit: String(g.group) }, g.rowsIn);
    }));
    counter('spate_task_output_rows_total', 'Rows a key group\'s task of the worker emitted in committed epochs', T, (set) => each((s, l) => {
      for (const g of s.keyGroups) set({ ...l, stage: 'key_group', unit: String(g.group) }, g.rowsOut);
    }));
  }

  /** A worker's newest status, and whether it is ready. */
  update(status: ClusterWorkerStatus, ready: boolean): void {
    this.statuses.set(status.workerId, { status, ready });
    this.daemon.sourceLags(ownerOf(status.workerId), status.query, ownedLags(status));
  }

  /** Only the readiness changed. */
  setReady(workerId: string, ready: boolean): void {
    const s = this.statuses.get(workerId);
    if (s) s.ready = ready;
  }

  /** A worker stopped: its series go. */
  forget(workerId: string): void {
    this.statuses.delete(workerId);
    this.daemon.forgetLags(ownerOf(workerId));
  }
}

function ownerOf(workerId: string): string {
  return `worker\u0000${workerId}`;
}
