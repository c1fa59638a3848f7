// The watermark tracker on its own: Spark's rules (max event time minus delay per stream, min
// over streams, a stream without rows counts as 0, never backwards), and beyond them idle
// streams and partitions, the slowest active partition, and event times a source declares.
import { EventTimeStats } from '../../src/operators/event-time-stats.js';
import type { WatermarkTracking } from '../../src/plan/logical.js';
import { WatermarkTracker } from '../../src/query/watermark-tracker.js';

const MINUTE = 60_000;
const tracking = (t: Partial<WatermarkTracking>): WatermarkTracking => ({ idleTimeoutMs: null, perPartition: false, maxFutureSkewMs: null, ...t });

/** Rows with event times `times` seen from `split` in the current epoch of `stats`. */
function see(stats: EventTimeStats, split: string | null, ...times: number[]): void {
  const s = stats.statsFor(split);
  for (const t of times) {
    s.max = Math.max(s.max, t);
    s.min = Math.min(s.min, t);
    s.sum += t;
    s.count++;
  }
}

describe('WatermarkTracker', () => {
  it("follows Spark without options: per stream max minus delay, min over streams, 0 for a stream without rows, never backwards", () => {
    const a = new EventTimeStats('ts', 10, null, [0]);
    const b = new EventTimeStats('ts', 10, null, [1]);
    const t = new WatermarkTracker([a, b], 'min', 0);
    see(a, '0', 100);
    t.observe(1);
    expect(t.watermarkAt(1, 0)).toBe(0); // b has seen nothing: it holds the watermark at 0
    a.reset();
    see(b, '1', 50);
    t.observe(2);
    expect(t.watermarkAt(2, 0)).toBe(40);
    b.reset();
    see(b, '1', 20); // an older row does not move b back
    t.observe(3);
    expect(t.watermarkAt(3, 40)).toBe(40);
    expect(t.watermarkAt(3, 60)).toBe(60); // nor the query's watermark
  });

  it('leaves out a stream idle for its idleTimeout, and counts it again once it has rows', () => {
    const a = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [0]);
    const b = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [1]);
    const t = new WatermarkTracker([a, b], 'min', 0);
    see(a, '0', 1000);
    see(b, '1', 500);
    t.observe(0);
    expect(t.watermarkAt(0, 0)).toBe(500);
    a.reset(); b.reset();
    see(a, '0', 2000);
    t.observe(30_000);
    expect(t.watermarkAt(59_999, 500)).toBe(500); // b quiet for less than a minute
    expect(t.streamsAt(60_000).map((s) => s.idle)).toEqual([false, true]);
    expect(t.watermarkAt(60_000, 500)).toBe(2000);
    a.reset();
    see(b, '1', 700); // b is back: it holds the watermark again (which never moves back)
    t.observe(70_000);
    expect(t.streamsAt(70_000).map((s) => s.idle)).toEqual([false, false]);
    expect(t.watermarkAt(70_000, 2000)).toBe(2000);
    b.reset();
    see(a, '0', 5000);
    t.observe(80_000);
    expect(t.watermarkAt(80_000, 2000)).toBe(2000);
  });

  it('counts a stream that has had no row since the run started as idle once its timeout passed', () => {
    const a = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [0]);
    const b = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [1]);
    const t = new WatermarkTracker([a, b], 'min', 1_000);
    see(a, '0', 9000);
    t.observe(30_000);
    expect(t.watermarkAt(60_999, 0)).toBe(0);
    expect(t.watermarkAt(61_000, 0)).toBe(9000);
  });

  it('lets the most advanced stream set the watermark when every stream is idle', () => {
    const a = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [0]);
    const b = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [1]);
    const t = new WatermarkTracker([a, b], 'min', 0);
    see(a, '0', 100);
    see(b, '1', 300);
    t.observe(0);
    expect(t.watermarkAt(0, 0)).toBe(100);
    expect(t.watermarkAt(MINUTE, 100)).toBe(300);
  });

  it('with perPartition, holds a stream at its slowest active partition and leaves out an idle one', () => {
    const k = new EventTimeStats('ts', 10, tracking({ perPartition: true, idleTimeoutMs: MINUTE }), [0]);
    const t = new WatermarkTracker([k], 'min', 0);
    see(k, '0/trades-0', 1000);
    see(k, '0/trades-1', 400);
    t.observe(0);
    expect(t.watermarkAt(0, 0)).toBe(390);
    k.reset();
    see(k, '0/trades-0', 1500);
    t.observe(30_000);
    const at = t.streamsAt(MINUTE)[0]!;
    expect(at.splits).toEqual([
      { split: '0/trades-0', watermarkMs: 1490, idle: false },
      { split: '0/trades-1', watermarkMs: 390, idle: true },
    ]);
    expect(at).toMatchObject({ watermarkMs: 1490, idle: false });
    expect(t.watermarkAt(MINUTE, 390)).toBe(1490);
  });

  it('without perPartition, one fast partition sets the stream, as in Spark', () => {
    const k = new EventTimeStats('ts', 10, null, [0]);
    const t = new WatermarkTracker([k], 'min', 0);
    see(k, '0/trades-0', 1000);
    see(k, '0/trades-1', 400);
    t.observe(0);
    expect(t.watermarkAt(0, 0)).toBe(990);
    expect(t.streamsAt(0)[0]!.splits).toEqual([]);
  });

  it('folds in an event time a source declares, as if a row of that time had passed', () => {
    const a = new EventTimeStats('ts', 10, null, [0]);
    const t = new WatermarkTracker([a], 'min', 0);
    t.observe(0, (source) => (source === 0 ? 500 : null));
    expect(t.watermarkAt(0, 0)).toBe(490);
  });

  it("takes the fastest stream with the 'max' policy, idle ones left out all the same", () => {
    const a = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [0]);
    const b = new EventTimeStats('ts', 0, tracking({ idleTimeoutMs: MINUTE }), [1]);
    const t = new WatermarkTracker([a, b], 'max', 0);
    see(a, '0', 100);
    see(b, '1', 300);
    t.observe(0);
    expect(t.watermarkAt(0, 0)).toBe(300);
  });
});
