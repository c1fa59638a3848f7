import fc from 'fast-check';
import { countedAtMs, dueMs, valueAtMs, valueAtSecond } from '../../src/connectors/rate/rate-source.js';
import { sourceProvider } from '../../src/connectors/contract.js';
import '../../src/connectors/index.js';
import { MemoryBackend } from '../../src/state/memory-backend.js';

describe('the rate source', () => {
  it('ramps up as Spark computes it: 10 rows/s over 4 s gives 0, 2, 6, 12, 20, 30, 40', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((s) => valueAtSecond(s, 10, 4))).toEqual([0, 2, 6, 12, 20, 30, 40]);
    expect([0, 1, 2].map((s) => valueAtSecond(s, 7, 0))).toEqual([0, 7, 14]);
  });

  it('reads the rows of whole seconds, values from 0, timestamps spread over each second', async () => {
    let now = 1_000_000;
    const backend = new MemoryBackend();
    const source = sourceProvider('rate').create({ format: 'rate', options: { rowspersecond: '4' } });
    await source.open({
      queryId: 'q', runId: 'r', checkpoint: backend, metadataPath: 'sources/0',
      clock: { now: () => now }, wake: () => undefined, countMalformed: () => undefined,
    });
    now += 2500;
    const end = await source.latestOffset(0, 'default');
    expect(end).toBe(2);
    const rows = [...(source.read(0, end) as Iterable<Record<string, unknown>[]>)].flat();
    expect(rows.map((r) => r['value'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rows.map((r) => (r['timestamp'] as Date).getTime() - 1_000_000)).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750]);
  });

  it('refuses a bad rowsPerSecond and a user schema', () => {
    expect(() => sourceProvider('rate').schema({ format: 'rate', options: { rowspersecond: '0' } })).toThrow(/rowsPerSecond must be a valid number in range/);
  });
});

describe('the rate source at millisecond offsets (Trigger.Continuous)', () => {
  it('counts each value from the millisecond it falls due, and stamps it no later', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 5 }), fc.nat(200_000), (rps, ramp, x) => {
      const at = countedAtMs(x, rps, ramp);
      expect(valueAtMs(at, rps, ramp)).toBeGreaterThan(x);
      expect(valueAtMs(at - 1, rps, ramp)).toBeLessThanOrEqual(x);
      expect(dueMs(x, rps, ramp)).toBeLessThanOrEqual(at);
      expect(valueAtMs(at - (at % 1000), rps, ramp)).toBe(valueAtSecond(Math.floor(at / 1000), rps, ramp));
    }));
  });

  it('reads the same rows however a range is split into epochs', async () => {
    const now = 5_000_000;
    const source = sourceProvider('rate').create({ format: 'rate', options: { rowspersecond: '7', rampuptime: '2' } });
    await source.open({
      queryId: 'q', runId: 'r', checkpoint: new MemoryBackend(), metadataPath: 'sources/0',
      clock: { now: () => now }, wake: () => undefined, countMalformed: () => undefined,
    });
    const rows = (a: number, b: number): unknown[] => [...(source.read(a, b) as Iterable<Record<string, unknown>[]>)].flat()
      .map((r) => [r['value'], (r['timestamp'] as Date).getTime()]);
    await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6000 }), { maxLength: 6 }), async (cuts) => {
      const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b).map((ms) => ms / 1000), 6];
      const split = points.slice(1).flatMap((end, i) => rows(points[i]!, end));
      expect(split).toEqual(rows(0, 6));
    }));
  });
});
