// The window-assignment module against the definitions of SEMANTICS §3, by property.
import fc from 'fast-check';
import { Codegen } from '../../src/expr/codegen.js';
import { coverSession, timeWindowLoopCode, timeWindowStarts } from '../../src/operators/window-assignment.js';
import type { SessionBounds, TimeWindowShape } from '../../src/operators/window-assignment.js';

const shape = fc.record({ windowMs: fc.integer({ min: 1, max: 100 }), slide: fc.integer({ min: 1, max: 100 }), start: fc.integer({ min: -99, max: 99 }) })
  .filter((s) => s.slide <= s.windowMs && Math.abs(s.start) < s.slide)
  .map((s): TimeWindowShape => ({ windowMs: s.windowMs, slideMs: s.slide, startMs: s.start }));

/** Every window by definition: starts at startTime + k·slide and contains ms. */
function bruteForce(ms: number, w: TimeWindowShape): number[] {
  const out: number[] = [];
  for (let start = ms - w.windowMs - w.slideMs; start <= ms; start++) {
    if ((((start - w.startMs) % w.slideMs) + w.slideMs) % w.slideMs === 0 && start <= ms && ms < start + w.windowMs) out.push(start);
  }
  return out.sort((a, b) => b - a);
}

function compiledStarts(w: TimeWindowShape): (ms: number) => number[] {
  const loop = timeWindowLoopCode(w, 'ms', 'ws', 'L1');
  return new Codegen().compile<(ms: number) => number[]>(['ms'], ['const out = [];', ...loop.open, 'out.push(ws);', loop.close, 'return out;']);
}

describe('window assignment', () => {
  it('assigns exactly the windows that contain the instant, for any window, slide, startTime and instant', () => {
    fc.assert(fc.property(shape, fc.integer({ min: -10_000, max: 10_000 }), (w, ms) => {
      expect(timeWindowStarts(ms, w)).toEqual(bruteForce(ms, w));
    }));
  });

  it('generates code that assigns the same windows as the function', () => {
    fc.assert(fc.property(shape, fc.array(fc.integer({ min: -10_000, max: 10_000 }), { maxLength: 20 }), (w, instants) => {
      const starts = compiledStarts(w);
      for (const ms of instants) expect(starts(ms)).toEqual(timeWindowStarts(ms, w));
    }));
  });

  it('merges sessions into the connected groups of overlapping or touching intervals, whatever the insertion order', () => {
    const events = fc.array(fc.record({ t: fc.integer({ min: 0, max: 200 }), gap: fc.integer({ min: 1, max: 20 }) }), { maxLength: 30 });
    fc.assert(fc.property(events, (evs) => {
      type S = SessionBounds & { n: number };
      const sessions: S[] = [];
      for (const e of evs) {
        const c = coverSession<S>(sessions, { start: e.t, end: e.t + e.gap }, (b) => ({ ...b, n: 0 }), (into, from) => { into.n += from.n; });
        c.session.n++;
      }
      // Reference: sort by start, merge while start <= current end (inclusive), as Spark's MergingSessionsIterator.
      const sorted = [...evs].map((e) => ({ start: e.t, end: e.t + e.gap })).sort((a, b) => a.start - b.start);
      const expected: S[] = [];
      for (const s of sorted) {
        const last = expected[expected.length - 1];
        if (last && s.start <= last.end) { last.end = Math.max(last.end, s.end); last.n++; } else expected.push({ ...s, n: 1 });
      }
      expect(sessions).toEqual(expected);
    }));
  });
});
