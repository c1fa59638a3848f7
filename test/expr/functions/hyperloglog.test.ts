import { addToSketch, createSketch, estimateSketch, mergeSketches, precisionFor } from '../../../src/expr/functions/hyperloglog.js';
import { aggregate, roundTrip } from './support.js';

describe('HyperLogLog', () => {
  it("chooses Spark's precision for a relative error", () => {
    expect(precisionFor(0.05)).toBe(9);
    expect(precisionFor(0.01)).toBe(14);
    expect(precisionFor(0.39)).toBe(4);
  });

  it.each([10_000, 100_000])('estimates %i distinct values within three relative errors (rsd 0.05)', (n) => {
    const sketch = createSketch(precisionFor(0.05));
    for (let i = 0; i < n; i++) addToSketch(sketch, `value-${i}`);
    expect(Math.abs(estimateSketch(sketch) - n) / n).toBeLessThan(3 * 0.05);
  });

  it('estimates within three relative errors at a tighter rsd through the aggregate', () => {
    const run = aggregate('approx_count_distinct(x, 0.01)', 'x INT');
    const { agg } = run;
    let acc = agg.init();
    for (let i = 0; i < 100_000; i++) acc = agg.update(acc, i % 50_000);
    expect(Math.abs((agg.result(acc) as number) - 50_000) / 50_000).toBeLessThan(0.03);
  });

  it('uses linear counting for small cardinalities', () => {
    const sketch = createSketch(9);
    for (let i = 0; i < 100; i++) addToSketch(sketch, `k${i}`);
    expect(Math.abs(estimateSketch(sketch) - 100)).toBeLessThanOrEqual(3);
  });

  it('counts repeated values once', () => {
    const sketch = createSketch(9);
    for (let r = 0; r < 10; r++) for (let i = 0; i < 1000; i++) addToSketch(sketch, `k${i}`);
    expect(Math.abs(estimateSketch(sketch) - 1000) / 1000).toBeLessThan(0.15);
  });

  it('merges to exactly the sketch of the union', () => {
    const a = createSketch(9);
    const b = createSketch(9);
    const both = createSketch(9);
    for (let i = 0; i < 5000; i++) {
      addToSketch(i % 2 ? a : b, `v${i}`);
      addToSketch(both, `v${i}`);
    }
    expect(mergeSketches(a, b)).toEqual(both);
  });

  it('survives a v8 serialize round trip as a Uint8Array', () => {
    const sketch = createSketch(9);
    addToSketch(sketch, 'x');
    const copy = roundTrip(sketch);
    expect(copy).toBeInstanceOf(Uint8Array);
    expect(copy).toEqual(sketch);
  });

  it('refuses to merge sketches of different precisions', () => {
    expect(() => mergeSketches(createSketch(9), createSketch(10))).toThrow(RangeError);
  });
});
