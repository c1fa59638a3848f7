// The assignment is a pure function: tested on its own, with properties (every unit owned once,
// balanced, sticky, deterministic, the fewest moves) over any sizes and any previous owners.
import fc from 'fast-check';
import { assignUnits, keyGroupOwners, unitsOf } from '../../src/cluster/assignment.js';

const members = (n: number): string[] => Array.from({ length: n }, (_, i) => `m${i}`);

describe('assignUnits', () => {
  it('gives contiguous ranges without a previous assignment: 10 key groups over 4 threads', () => {
    expect(assignUnits(10, [0, 1, 2, 3])).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 3, 3]);
    expect(unitsOf(assignUnits(10, [0, 1, 2, 3]), 2)).toEqual([6, 7]);
  });

  it('moves only what a new member needs, from the members above their share', () => {
    const before = assignUnits(8, ['a', 'b']);
    const after = assignUnits(8, ['a', 'b', 'c'], (u) => before[u]);
    expect(after.filter((m, u) => m !== before[u]).length).toBe(2);
    expect(after.filter((m) => m === 'c').length).toBe(2);
  });

  it('refuses no members, duplicate members and a negative count', () => {
    expect(() => assignUnits(4, [])).toThrow(/at least one member/);
    expect(() => assignUnits(4, ['a', 'a'])).toThrow(/distinct/);
    expect(() => assignUnits(-1, ['a'])).toThrow(RangeError);
  });

  const scenario = fc.record({
    units: fc.integer({ min: 0, max: 300 }),
    n: fc.integer({ min: 1, max: 16 }),
    // Previous owners drawn from a wider pool: some left, some are new.
    previous: fc.option(fc.array(fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), { maxLength: 300 }), { nil: undefined }),
  });
  const run = (s: { units: number; n: number; previous: (number | undefined)[] | undefined }) => {
    const ms = members(s.n);
    const prev = s.previous ? (u: number) => (s.previous![u] === undefined ? undefined : `m${s.previous![u]}`) : undefined;
    return { ms, prev, owners: assignUnits(s.units, ms, prev) };
  };

  it('owns every unit exactly once, by a member, with counts that differ by at most one (property)', () => {
    fc.assert(fc.property(scenario, (s) => {
      const { ms, owners } = run(s);
      expect(owners.length).toBe(s.units);
      for (const o of owners) expect(ms).toContain(o);
      const counts = ms.map((m) => owners.filter((o) => o === m).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }));
  });

  it('is deterministic and keeps a balanced assignment unchanged (property)', () => {
    fc.assert(fc.property(scenario, (s) => {
      const { ms, prev, owners } = run(s);
      expect(assignUnits(s.units, ms, prev)).toEqual(owners);
      expect(assignUnits(s.units, ms, (u) => owners[u])).toEqual(owners);
    }));
  });

  it('moves no more units than the members that left or held too many force (property)', () => {
    fc.assert(fc.property(scenario, (s) => {
      const { ms, prev, owners } = run(s);
      if (!prev) return;
      const base = Math.floor(s.units / s.n);
      const heldBy = new Map<string, number>();
      let orphans = 0;
      for (let u = 0; u < s.units; u++) {
        const p = prev(u);
        if (p !== undefined && ms.includes(p)) heldBy.set(p, (heldBy.get(p) ?? 0) + 1);
        else orphans++;
      }
      // A member keeps up to its share (base, or base + 1 for the largest holders).
      const excess = [...heldBy.values()].sort((a, b) => b - a)
        .reduce((sum, h, i) => sum + Math.max(0, h - (base + (i < s.units % s.n ? 1 : 0))), 0);
      const moved = owners.filter((o, u) => prev(u) !== undefined && ms.includes(prev(u)!) && o !== prev(u)).length;
      expect(moved).toBeLessThanOrEqual(excess);
      expect(orphans + excess).toBeGreaterThanOrEqual(moved);
    }));
  });
});

describe('keyGroupOwners', () => {
  it('cuts contiguous ranges without a seed, and a balanced shuffle of them with one, the same for the same seed', () => {
    expect(keyGroupOwners(8, 3, null)).toEqual([0, 0, 0, 1, 1, 1, 2, 2]);
    const shuffled = keyGroupOwners(64, 4, 7);
    expect(shuffled).toEqual(keyGroupOwners(64, 4, 7));
    expect(shuffled).not.toEqual(keyGroupOwners(64, 4, null));
    expect([0, 1, 2, 3].map((t) => shuffled.filter((o) => o === t).length)).toEqual([16, 16, 16, 16]);
  });
});
