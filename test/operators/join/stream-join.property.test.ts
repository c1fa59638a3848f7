// Invariants of the stream-stream join: however two streams are cut into micro-batches, the
// rows joined equal the join of all rows at once (a nested loop over both, within the time
// constraint). Without watermarks nothing is dropped or evicted; with watermarks the streams are
// generated never later than the watermark delay, so no row is late and eviction must lose no
// match, and a left outer join emits each unmatched row exactly once when it is evicted.
import fc from 'fast-check';
import { MemoryStream, Session, types as T } from 'spate';
import type { DataFrame, Row } from 'spate';
import { sortRows, testSession } from '../../support/helpers.js';
import { record } from './support.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const BASE = Date.UTC(2024, 2, 1, 10);
const CONDITION = 'lk = rk AND rt >= lt AND rt <= lt + interval 1 hour';

const leftSchema = T.struct([T.field('lk', T.string()), T.field('lt', T.timestamp())]);
const rightSchema = T.struct([T.field('rk', T.string()), T.field('rt', T.timestamp())]);
type L = { lk: string | null; lt: Date };
type R = { rk: string | null; rt: Date };

const key = fc.constantFrom('a', 'b', 'c', null);
const cuts = fc.array(fc.nat(30), { maxLength: 6 });

/** Event times anywhere in four hours. */
const anyTimes = fc.array(fc.record({ k: key, minute: fc.integer({ min: 0, max: 240 }) }), { maxLength: 25 })
  .map((es) => es.map((e) => ({ k: e.k, t: new Date(BASE + e.minute * MINUTE) })));

/** Event times that move forward and are never more than 25 minutes behind the stream's latest. */
const orderlyTimes = fc.array(fc.record({ k: fc.constantFrom('a', 'b', null), step: fc.integer({ min: 0, max: 12 }), back: fc.integer({ min: 0, max: 25 }) }), { maxLength: 30 })
  .map((es) => {
    let latest = BASE;
    return es.map((e) => {
      const t = latest + e.step * MINUTE - e.back * MINUTE;
      latest = Math.max(latest, t);
      return { k: e.k, t: new Date(t) };
    });
  });

function expectedJoin(ls: L[], rs: R[], outer: boolean): Row[] {
  const out: Row[] = [];
  for (const l of ls) {
    let matched = false;
    for (const r of rs) {
      if (l.lk !== null && l.lk === r.rk && r.rt >= l.lt && r.rt.getTime() <= l.lt.getTime() + HOUR) {
        matched = true;
        out.push({ ...l, ...r });
      }
    }
    if (outer && !matched) out.push({ ...l, rk: null, rt: null });
  }
  return sortRows(out);
}

function slices<X>(rows: X[], at: number[]): X[][] {
  const bounds = [...new Set(at.filter((c) => c > 0 && c < rows.length))].sort((a, b) => a - b);
  return [...bounds, rows.length].map((end, i, all) => rows.slice(i === 0 ? 0 : all[i - 1], end));
}

/** Feeds both streams batch by batch (the i-th slice of each), then returns every row emitted. */
async function runSplit(ls: L[], rs: R[], leftCuts: number[], rightCuts: number[], build: (l: DataFrame, r: DataFrame) => DataFrame, tail: { l: L[]; r: R[] } = { l: [], r: [] }): Promise<Row[]> {
  const spark = testSession();
  try {
    const left = new MemoryStream(spark, leftSchema);
    const right = new MemoryStream(spark, rightSchema);
    const run = record(build(left.toDF(), right.toDF()));
    const lb = slices(ls, leftCuts);
    const rb = slices(rs, rightCuts);
    for (let i = 0; i < Math.max(lb.length, rb.length); i++) {
      if (lb[i]?.length) left.addData(lb[i]!);
      if (rb[i]?.length) right.addData(rb[i]!);
      await run.query.processAllAvailable();
    }
    for (const [stream, rows] of [[left, tail.l], [right, tail.r]] as const) {
      if (rows.length === 0) continue;
      (stream as MemoryStream<Row>).addData(rows);
      await run.query.processAllAvailable();
    }
    await run.query.stop();
    return run.all();
  } finally {
    await spark.stop();
  }
}

const toLeft = (es: { k: string | null; t: Date }[]): L[] => es.map((e) => ({ lk: e.k, lt: e.t }));
const toRight = (es: { k: string | null; t: Date }[]): R[] => es.map((e) => ({ rk: e.k, rt: e.t }));

describe('stream-stream join invariants', () => {
  afterAll(() => Session.setActive(null));

  it('without watermarks, the inner join of any micro-batch split equals the join of all rows', async () => {
    await fc.assert(fc.asyncProperty(anyTimes, anyTimes, cuts, cuts, async (le, re, lc, rc) => {
      const ls = toLeft(le);
      const rs = toRight(re);
      const got = await runSplit(ls, rs, lc, rc, (l, r) => l.join(r, CONDITION));
      expect(got).toEqual(expectedJoin(ls, rs, false));
    }), { numRuns: 60 });
  });

  it('with watermarks and no late rows, the inner join loses no match to eviction, whatever the split', async () => {
    await fc.assert(fc.asyncProperty(orderlyTimes, orderlyTimes, cuts, cuts, async (le, re, lc, rc) => {
      const ls = toLeft(le);
      const rs = toRight(re);
      const got = await runSplit(ls, rs, lc, rc, (l, r) => l.withWatermark('lt', '30 minutes').join(r.withWatermark('rt', '30 minutes'), CONDITION));
      expect(got).toEqual(expectedJoin(ls, rs, false));
    }), { numRuns: 60 });
  });

  it('with watermarks, a left outer join emits every match once and every unmatched left row once it is evicted', async () => {
    await fc.assert(fc.asyncProperty(orderlyTimes, orderlyTimes, cuts, cuts, async (le, re, lc, rc) => {
      const ls = toLeft(le);
      const rs = toRight(re);
      // A final row far ahead on each stream moves the watermark past every real row.
      const far = new Date(BASE + 48 * HOUR);
      const tail = { l: [{ lk: 'end', lt: far }], r: [{ rk: 'end!', rt: far }] };
      const got = await runSplit(ls, rs, lc, rc,
        (l, r) => l.withWatermark('lt', '30 minutes').join(r.withWatermark('rt', '30 minutes'), CONDITION, 'left_outer'), tail);
      expect(got.filter((row) => row['lk'] !== 'end')).toEqual(expectedJoin(ls, rs, true));
    }), { numRuns: 60 });
  });
});
