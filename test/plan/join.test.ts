// DataFrame.join as an API: Spark's join-type spellings, the forms of `on`, resolving columns
// across the two sides (aliases, ambiguity, clashes), and every join type between two static
// frames through collect().
import { col, types as T } from 'spate';
import type { DataFrame, Row } from 'spate';
import { sortRows, testSession } from '../support/helpers.js';

const leftSchema = T.struct([T.field('id', T.long()), T.field('a', T.string())]);
const rightSchema = T.struct([T.field('rid', T.long()), T.field('b', T.string())]);

function frames() {
  const spark = testSession();
  const left = spark.createDataFrame([{ id: 1, a: 'x' }, { id: 2, a: 'y' }, { id: null, a: 'z' }], leftSchema);
  const right = spark.createDataFrame([{ rid: 1, b: 'p' }, { rid: 1, b: 'q' }, { rid: 3, b: 'r' }, { rid: null, b: 's' }], rightSchema);
  return { spark, left, right };
}

const lr = (id: number | null, a: string | null, rid: number | null, b: string | null): Row => ({ id, a, rid, b });
const collect = async (df: DataFrame) => sortRows(await df.collect());

describe('join between static DataFrames (collect)', () => {
  const inner = [lr(1, 'x', 1, 'p'), lr(1, 'x', 1, 'q')];
  const leftOnly = [lr(2, 'y', null, null), lr(null, 'z', null, null)];
  const rightOnly = [lr(null, null, 3, 'r'), lr(null, null, null, 's')];

  it.each([
    ['inner', inner],
    ['cross', inner],
    ['left', [...inner, ...leftOnly]],
    ['leftouter', [...inner, ...leftOnly]],
    ['left_outer', [...inner, ...leftOnly]],
    ['right', [...inner, ...rightOnly]],
    ['rightOuter', [...inner, ...rightOnly]],
    ['full', [...inner, ...leftOnly, ...rightOnly]],
    ['outer', [...inner, ...leftOnly, ...rightOnly]],
    ['FULL_OUTER', [...inner, ...leftOnly, ...rightOnly]],
    ['semi', [{ id: 1, a: 'x' }]],
    ['left_semi', [{ id: 1, a: 'x' }]],
    ['anti', [{ id: 2, a: 'y' }, { id: null, a: 'z' }]],
    ['leftAnti', [{ id: 2, a: 'y' }, { id: null, a: 'z' }]],
  ] as const)("how = '%s' gives Spark's rows (a null key matches nothing)", async (how, expected) => {
    const { left, right } = frames();
    expect(await collect(left.join(right, col('id').eq(col('rid')), how))).toEqual(sortRows([...expected]));
  });

  it('a null-safe equality (<=>) matches null with null', async () => {
    const { left, right } = frames();
    expect(await collect(left.join(right, 'id <=> rid'))).toEqual(sortRows([...inner, lr(null, 'z', null, 's')]));
  });

  it('a condition on one side only filters that side (an outer join still keeps the failing rows)', async () => {
    const { left, right } = frames();
    expect(await collect(left.join(right, "id = rid AND b = 'q' AND a != 'y'", 'left'))).toEqual(sortRows([
      lr(1, 'x', 1, 'q'), lr(2, 'y', null, null), lr(null, 'z', null, null),
    ]));
  });

  it('without a condition (crossJoin) pairs every row with every row', async () => {
    const { left, right } = frames();
    expect(await left.crossJoin(right).count()).toBe(12);
  });

  it('rejects an unknown join type, listing the accepted spellings', () => {
    const { left, right } = frames();
    expect(() => left.join(right, 'id = rid', 'sideways')).toThrow(/Unsupported join type 'sideways'. Supported join types include: 'inner', 'outer'.*'left_anti', 'anti', 'cross'/);
  });

  it('rejects a condition that is not boolean', () => {
    const { left, right } = frames();
    expect(() => left.join(right, 'id + rid')).toThrow(/join condition \(id \+ rid\) is bigint, not a boolean/);
  });
});

describe('join on column names (USING)', () => {
  const kv = T.struct([T.field('k', T.long()), T.field('v', T.string())]);
  const kw = T.struct([T.field('k', T.long()), T.field('w', T.string())]);
  const sides = () => {
    const spark = testSession();
    return {
      left: spark.createDataFrame([{ k: 1, v: 'a' }, { k: 2, v: 'b' }], kv),
      right: spark.createDataFrame([{ k: 2, w: 'B' }, { k: 3, w: 'C' }], kw),
    };
  };

  it('outputs each USING column once, first, then the other columns of each side', async () => {
    const { left, right } = sides();
    const joined = left.join(right, 'k');
    expect(joined.columns).toEqual(['k', 'v', 'w']);
    expect(await joined.collect()).toEqual([{ k: 2, v: 'b', w: 'B' }]);
  });

  it('takes the USING value from whichever side has it in a full outer join', async () => {
    const { left, right } = sides();
    expect(await collect(left.join(right, ['k'], 'full_outer'))).toEqual(sortRows([
      { k: 1, v: 'a', w: null }, { k: 2, v: 'b', w: 'B' }, { k: 3, v: null, w: 'C' },
    ]));
  });

  it("takes the right side's value in a right outer join", async () => {
    const { left, right } = sides();
    expect(await collect(left.join(right, ['k'], 'right'))).toEqual(sortRows([{ k: 2, v: 'b', w: 'B' }, { k: 3, v: null, w: 'C' }]));
  });

  it('refuses a USING column missing on one side, naming the side and its columns', () => {
    const { left, right } = sides();
    expect(() => left.join(right, ['k', 'v'])).toThrow(/USING column `v` cannot be resolved on the right side of the join. The right-side columns: \[k, w\]/);
  });
});

describe('column names across the two sides', () => {
  const schema = T.struct([T.field('id', T.long()), T.field('ts', T.timestamp())]);
  const pair = () => {
    const spark = testSession();
    const rows = [{ id: 1, ts: new Date(0) }, { id: 2, ts: new Date(1000) }];
    return { a: spark.createDataFrame(rows, schema), b: spark.createDataFrame([rows[0]!], schema) };
  };

  it('refuses an unqualified name both sides have, suggesting aliases, renaming or USING', () => {
    const { a, b } = pair();
    expect(() => a.join(b, 'id = id', 'left_semi'))
      .toThrow(/Reference `id` is ambiguous in the join condition, could be: the left side's `id` or the right side's `id`. Qualify it with aliases.*withColumnRenamed.*join\(other, 'id'\)/);
  });

  it("resolves names qualified by the frames' aliases", async () => {
    const { a, b } = pair();
    const semi = a.alias('l').join(b.alias('r'), 'l.id = r.id AND l.ts >= r.ts', 'left_semi');
    expect(await semi.collect()).toEqual([{ id: 1, ts: new Date(0) }]);
    const viaColumns = a.as('l').join(b.as('r'), col('l.id').eq(col('r.id')), 'leftanti');
    expect(await viaColumns.collect()).toEqual([{ id: 2, ts: new Date(1000) }]);
  });

  it('refuses output columns of one name from both sides, with the ways out', () => {
    const { a, b } = pair();
    expect(() => a.alias('l').join(b.alias('r'), 'l.id = r.id'))
      .toThrow(/both sides of the join have a column named 'id'.*withColumnRenamed\('id', 'other_id'\).*join\(other, 'id', how\)/);
  });

  it('names an unknown column and both sides\' columns', () => {
    const { a, b } = pair();
    const renamed = b.withColumnRenamed('id', 'bid').withColumnRenamed('ts', 'bts');
    expect(() => a.join(renamed, 'id = nope'))
      .toThrow(/cannot resolve column `nope` in the join condition: the left side's columns are \[id, ts\], the right side's \[bid, bts\]/);
    expect(() => a.alias('l').join(renamed.alias('r'), 'l.id = r.id'))
      .toThrow(/the right side \(aliased 'r'\) has no column 'id'; its columns are \[bid, bts\]/);
  });
});
