// How `spate run` judges a cluster worker (watched-worker.ts with health.ts): ready once it has
// an assignment; healthy while its query commits epochs or has nothing to do; stalled when no
// epoch is committed for the stall threshold while a source lags (or its status cannot be
// read); not ready while its steps keep failing. Time is passed in, never waited for.
import type { ClusterWorkerStatus } from '../../src/cluster/group/worker-status.js';
import { HealthMonitor } from '../../src/daemon/health.js';
import type { WorkerHandle } from '../../src/daemon/watched-worker.js';
import { FAILING_STEPS_UNREADY, WatchedWorker } from '../../src/daemon/watched-worker.js';

const base: ClusterWorkerStatus = {
  query: 'words', workerId: 'w1', generation: 1, coordinator: false, plannedEpoch: 3, committedEpoch: 3,
  sourcePartitions: [{ topic: 'lines', partition: 0, owned: true, committedOffset: 10, latestOffset: 10, lagRecords: 0, rowsRead: 10 }],
  keyGroups: [], rebalances: 1, lastRebalanceMs: 100, refusedCommits: 0, refusedSinkRecords: 0, failingSteps: 0, lastFailure: null, lastEpochMs: 0, lastCommitStepMs: 0,
};

/** A worker whose status() answers the current `next` (or rejects with it). */
function fakeWorker(): { handle: WorkerHandle; next: { value: ClusterWorkerStatus | Error } } {
  const next: { value: ClusterWorkerStatus | Error } = { value: base };
  const handle: WorkerHandle = {
    query: 'words', workerId: 'w1', done: new Promise<void>(() => undefined), stop: async () => undefined,
    status: async () => { if (next.value instanceof Error) throw next.value; return next.value; },
  };
  return { handle, next };
}

const settings = { stallTimeoutMs: 1000, stallTriggers: 3, stallGraceMs: 500 };

describe('a cluster worker watched by spate run', () => {
  it('is healthy and ready while its query has nothing to do', async () => {
    const { handle } = fakeWorker();
    const w = new WatchedWorker(handle);
    const monitor = new HealthMonitor(settings);
    await w.refresh();
    expect(w.watched().status.message).toBe('Waiting for data to arrive');
    const [h] = monitor.check([w.watched()], 0);
    expect(h!.healthy).toBe(true);
    expect(w.ready(h)).toBe(true);
    expect(monitor.check([w.watched()], 10_000)[0]!.stalledSinceMs).toBeNull();
  });

  it('stalls when no epoch is committed past the threshold while a source lags, and recovers with a commit', async () => {
    const { handle, next } = fakeWorker();
    const w = new WatchedWorker(handle);
    const monitor = new HealthMonitor(settings);
    next.value = { ...base, sourcePartitions: [{ ...base.sourcePartitions[0]!, latestOffset: 50, lagRecords: 40 }] };
    expect(await w.refresh()).toBe(false);
    expect(w.watched().status).toEqual({ message: 'Waiting for epoch 4 to be planned', isTriggerActive: true });
    expect(monitor.check([w.watched()], 0)[0]!.stalledSinceMs).toBeNull();
    const [stalled] = monitor.check([w.watched()], 1001);
    expect(stalled!.stalledSinceMs).toBe(1001);
    expect(w.ready(stalled)).toBe(false);
    expect(monitor.graceExpired([stalled!], 1501)).toBe(stalled);

    next.value = { ...next.value, plannedEpoch: 4, committedEpoch: 4 };
    expect(await w.refresh()).toBe(true);
    monitor.committed(w.key, 1600);
    const [after] = monitor.check([w.watched()], 1700);
    expect(after!.stalledSinceMs).toBeNull();
    expect(w.ready(after)).toBe(true);
  });

  it('is not ready while its steps keep failing, nor before its first assignment', async () => {
    const { handle, next } = fakeWorker();
    const w = new WatchedWorker(handle);
    const monitor = new HealthMonitor(settings);
    next.value = { ...base, failingSteps: FAILING_STEPS_UNREADY, lastFailure: 'tasks: Connection is closed.' };
    await w.refresh();
    expect(w.ready(monitor.check([w.watched()], 0)[0])).toBe(false);
    next.value = { ...base, generation: -1 };
    await w.refresh();
    expect(w.ready(monitor.check([w.watched()], 0)[0])).toBe(false);
  });

  it('counts a status it cannot read as work not done: it stalls past the threshold', async () => {
    const { handle, next } = fakeWorker();
    const w = new WatchedWorker(handle);
    const monitor = new HealthMonitor(settings);
    next.value = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    await w.refresh();
    expect(w.watched().status.message).toBe("Cannot read the worker's status: connect ECONNREFUSED 127.0.0.1:6379");
    monitor.check([w.watched()], 0);
    expect(monitor.check([w.watched()], 1001)[0]!.stalledSinceMs).toBe(1001);
  });
});
