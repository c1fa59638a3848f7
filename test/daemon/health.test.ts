import { HealthMonitor } from '../../src/daemon/health.js';
import type { WatchedQuery } from '../../src/daemon/health.js';
import { LagClock, partitionLags } from '../../src/daemon/partition-lag.js';
import type { SourceProgress } from '../../src/query/progress.js';

const waiting = { message: 'Waiting for data to arrive', isTriggerActive: false };
const planning = { message: 'Getting offsets from KafkaV2[Subscribe[trades]]', isTriggerActive: true };
const restarting = { message: 'Restarting after failure: broker down', isTriggerActive: false };
const query = (status: WatchedQuery['status'], triggerIntervalMs = 0): WatchedQuery => ({ key: 'q', isActive: true, status, triggerIntervalMs });

describe('stall detection', () => {
  const settings = { stallTimeoutMs: 1000, stallTriggers: 3, stallGraceMs: 5000 };

  it('a query is not ready until it has committed or waited idle, and stays healthy while it does either', () => {
    const h = new HealthMonitor(settings);
    expect(h.check([query(planning)], 0)[0]).toMatchObject({ healthy: false, stalledSinceMs: null });
    expect(h.check([query(waiting)], 500)[0]).toMatchObject({ healthy: true, lastHealthyMs: 500 });
    h.committed('q', 1400);
    expect(h.check([query(planning)], 2300)[0]).toMatchObject({ healthy: true, lastHealthyMs: 1400 });
  });

  it('no commit and no idle trigger for longer than the timeout is a stall; its grace period then ends the process', () => {
    const h = new HealthMonitor(settings);
    h.committed('q', 0);
    expect(h.check([query(restarting)], 1000)[0]!.stalledSinceMs).toBeNull();
    const stalled = h.check([query(restarting)], 1001);
    expect(stalled[0]).toMatchObject({ healthy: false, stalledSinceMs: 1001 });
    expect(h.graceExpired(h.check([query(planning)], 6000), 6000)).toBeNull();
    expect(h.graceExpired(h.check([query(planning)], 6001), 6001)).toMatchObject({ key: 'q', stalledSinceMs: 1001 });
  });

  it('a stall ends when the query commits again; a long trigger interval lengthens the threshold to k intervals', () => {
    const h = new HealthMonitor(settings);
    h.committed('q', 0);
    expect(h.check([query(planning)], 2000)[0]!.stalledSinceMs).toBe(2000);
    h.committed('q', 2500);
    expect(h.check([query(planning)], 2600)[0]).toMatchObject({ healthy: true, stalledSinceMs: null });
    const slow = new HealthMonitor(settings);
    slow.committed('q', 0);
    expect(slow.check([query(planning, 60_000)], 179_000)[0]).toMatchObject({ healthy: true, thresholdMs: 180_000 });
    expect(slow.check([query(planning, 60_000)], 180_001)[0]!.healthy).toBe(false);
  });
});

describe('partition lag', () => {
  const source = (end: unknown, latest: unknown): SourceProgress => ({
    description: 'KafkaV2[Subscribe[trades]]', startOffset: null, endOffset: end, latestOffset: latest,
    numInputRows: 0, inputRowsPerSecond: 0, processedRowsPerSecond: 0, metrics: {},
  });

  it('is the latest offset less the end of the batch, per topic and partition; other offset shapes have none', () => {
    expect(partitionLags([source({ trades: { 0: 10, 1: 4 } }, { trades: { 0: 12, 1: 4 } }), source(7, 9)])).toEqual([
      { source: 'KafkaV2[Subscribe[trades]]', topic: 'trades', partition: '0', records: 2 },
      { source: 'KafkaV2[Subscribe[trades]]', topic: 'trades', partition: '1', records: 0 },
    ]);
  });

  it('in seconds: how long records have waited since a batch last read the partition to its end', () => {
    const clock = new LagClock(0);
    const [p0, p1] = partitionLags([source({ t: { 0: 5, 1: 5 } }, { t: { 0: 5, 1: 8 } })]);
    clock.observe('q', [p0!, p1!], 10_000);
    const later = partitionLags([source({ t: { 0: 5, 1: 8 } }, { t: { 0: 9, 1: 8 } })]);
    clock.observe('q', later, 12_000);
    expect(clock.seconds('q', later[0]!, 15_000)).toBe(5);
    expect(clock.seconds('q', later[1]!, 15_000)).toBe(0);
    expect(clock.seconds('q', p1!, 15_000)).toBe(3);
  });
});
