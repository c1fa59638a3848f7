// The state-watermark solver (Spark's StreamingJoinHelper): conjuncts `a + c1 <(=) b + c2`
// between the two sides' event times, solved against the other side's watermark.
import { types as T } from 'spate';
import type { DataFrame } from 'spate';
import { joinStateWatermarks, stateValueBounds, stateWatermarkMs, watermarkKeyIndex } from '../../../src/operators/join/state-watermark.js';
import type { JoinNode } from '../../../src/plan/logical.js';
import { testSession } from '../../support/helpers.js';
import { at, clickSchema, impressionSchema } from './support.js';

const HOUR = 3_600_000;

function joinOf(condition: string, watermarks: { impressions?: boolean; clicks?: boolean } = { impressions: true, clicks: true }): JoinNode {
  const spark = testSession();
  let impressions: DataFrame = spark.createDataFrame([], impressionSchema);
  let clicks: DataFrame = spark.createDataFrame([], clickSchema);
  if (watermarks.impressions) impressions = impressions.withWatermark('impressionTime', '10 minutes');
  if (watermarks.clicks) clicks = clicks.withWatermark('clickTime', '10 minutes');
  const plan = impressions.join(clicks, condition).plan;
  if (plan.k !== 'join') throw new Error('expected a join');
  return plan;
}

const impressionBounds = (node: JoinNode) => stateValueBounds(node, 'left', (c) => c === 'impressionTime');
const clickBounds = (node: JoinNode) => stateValueBounds(node, 'right', (c) => c === 'clickTime');

describe('state watermarks of a stream-stream join', () => {
  it("solves the notes' constraint: impressions before W - 1 hour and clicks before W are done", () => {
    const node = joinOf('clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour');
    expect(impressionBounds(node)).toEqual([{ coefficient: 1, offsetMs: -HOUR - 1 }]);
    expect(clickBounds(node)).toEqual([{ coefficient: 1, offsetMs: -1 }]);
    const w = joinStateWatermarks(node);
    const W = at('11:00').getTime();
    expect(stateWatermarkMs(w.left!, W)).toBe(at('10:00').getTime() - 1);
    expect(stateWatermarkMs(w.right!, W)).toBe(W - 1);
  });

  it('reads BETWEEN as the same two bounds', () => {
    const node = joinOf('clickAdId = impressionAdId AND clickTime BETWEEN impressionTime AND impressionTime + interval 1 hour');
    expect(impressionBounds(node)).toEqual([{ coefficient: 1, offsetMs: -HOUR - 1 }]);
    expect(clickBounds(node)).toEqual([{ coefficient: 1, offsetMs: -1 }]);
  });

  it('keeps strict bounds exact and solves either operand order', () => {
    const node = joinOf('impressionTime + interval 1 hour > clickTime AND clickTime - interval 5 minutes > impressionTime - interval 10 minutes');
    expect(impressionBounds(node)).toEqual([{ coefficient: 1, offsetMs: -HOUR }]);
    expect(clickBounds(node)).toEqual([{ coefficient: 1, offsetMs: -300_000 }]);
  });

  it('evicts by the lowest of several bounds on one side, as Spark does', () => {
    const node = joinOf('clickTime <= impressionTime + interval 1 hour AND clickTime < impressionTime + interval 2 hours');
    const w = joinStateWatermarks(node);
    expect(stateWatermarkMs(w.left!, 10 * HOUR)).toBe(8 * HOUR);
  });

  it('counts plain numbers as seconds, as Spark does', () => {
    const node = joinOf('cast(clickTime as bigint) <= cast(impressionTime as bigint) + 3600');
    expect(impressionBounds(node)).toEqual([{ coefficient: 1, offsetMs: -HOUR - 1 }]);
  });

  it('finds no bound without a watermark on the other side, through months, or against a non-event-time column', () => {
    expect(impressionBounds(joinOf('clickTime <= impressionTime + interval 1 hour', { impressions: true }))).toBeNull();
    expect(impressionBounds(joinOf('clickTime <= impressionTime + interval 1 month'))).toBeNull();
    expect(impressionBounds(joinOf('clickTime >= impressionTime'))).toBeNull();
    const spark = testSession();
    const clicks = spark.createDataFrame([], T.struct([T.field('clickTime', T.timestamp()), T.field('shownAt', T.timestamp())])).withWatermark('clickTime', '1 minute');
    const plan = spark.createDataFrame([], impressionSchema).withWatermark('impressionTime', '1 minute')
      .join(clicks, 'shownAt <= impressionTime + interval 1 hour').plan as JoinNode;
    expect(stateValueBounds(plan, 'left', () => true)).toBeNull();
  });

  it('uses a watermarked join key for both sides when there is one', () => {
    const spark = testSession();
    const l = spark.createDataFrame([], T.struct([T.field('lts', T.timestamp())])).withWatermark('lts', '1 minute');
    const r = spark.createDataFrame([], T.struct([T.field('rts', T.timestamp())]));
    const node = l.join(r, 'rts = lts').plan as JoinNode;
    expect(watermarkKeyIndex(node)).toBe(0);
    expect(joinStateWatermarks(node)).toEqual({ left: { kind: 'key', keyIndex: 0 }, right: { kind: 'key', keyIndex: 0 } });
  });
});
