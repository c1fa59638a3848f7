// Plans as messages: what a worker thread rebuilds from an encoded region is the same plan,
// function implementations bound again by name, shared nodes shared, nodes outside the region
// stood in for, and the nodes a user closure keeps on the driver found by placement.
import { MessageChannel } from 'node:worker_threads';
import { MemoryStream, Session, col, expr, lit, sum, udf, types as T } from '../../src/index.js';
import type { LogicalPlan } from '../../src/plan/logical.js';
import { nodes } from '../../src/plan/logical.js';
import { decodePlan, encodePlan, userClosure } from '../../src/cluster/plan-codec.js';
import { placeQuery } from '../../src/cluster/placement.js';
import { executeBatch } from '../../src/query/batch-execution.js';

const schema = T.struct([T.field('name', T.string()), T.field('n', T.long())]);

/** Encodes the plan without its leaves, sends it through a real port (a structured clone), decodes it. */
async function roundTrip(plan: LogicalPlan): Promise<{ decoded: LogicalPlan; external: number[] }> {
  const all = [...new Set(nodes(plan))];
  const ids = new Map(all.map((n, i) => [n, i]));
  const included = new Set(all.filter((n) => n.k !== 'static' && n.k !== 'source'));
  const encoded = encodePlan(included, ids);
  const { port1, port2 } = new MessageChannel();
  const received = await new Promise<typeof encoded>((resolve) => {
    port2.once('message', resolve);
    port1.postMessage(encoded);
  });
  port1.close();
  port2.close();
  const byId = decodePlan(received, (id) => all[id]!);
  return { decoded: byId.get(ids.get(plan)!)!, external: [...received.external] };
}

describe('plan encoding', () => {
  it('rebuilds a plan whose functions are bound again and give the same rows', async () => {
    const spark = Session.builder().create();
    const rows = [{ name: 'Ada', n: 3 }, { name: 'bob', n: 4 }, { name: null, n: 5 }];
    const df = spark.createDataFrame(rows, schema)
      .select(expr("upper(name) || '-' || cast(n * 2 as string)").alias('label'), col('n'), lit(Buffer.from('bin')).alias('b'))
      .filter(expr('n > 3 or label is null'))
      .groupBy('label').agg(sum('n').alias('total'));
    const { decoded, external } = await roundTrip(df.plan);
    expect(external).toHaveLength(1);
    expect(await executeBatch(decoded)).toEqual(await executeBatch(df.plan));
    const project = nodes(decoded).find((n) => n.k === 'project')!;
    expect(Buffer.isBuffer((project as unknown as { items: { expr: { value?: unknown } }[] }).items[2]!.expr.value)).toBe(true);
  });

  it('keeps a node read twice as one node', async () => {
    const spark = Session.builder().create();
    const base = spark.createDataFrame([{ name: 'a', n: 1 }], schema).filter(expr('n > 0'));
    const both = base.union(base);
    const { decoded } = await roundTrip(both.plan);
    const children = (decoded as unknown as { children: LogicalPlan[] }).children;
    expect(children[0]).toBe(children[1]);
  });

  it('finds the user closures that keep a node on the driver thread', () => {
    const spark = Session.builder().master('local[2]').create();
    const input = new MemoryStream(spark, schema).toDF();
    const shout = udf((s: string) => `${s}!`, T.string());
    const withUdf = input.select(shout(col('name')).alias('loud'));
    expect(userClosure(withUdf.plan)).toBe('user function udf');
    expect(userClosure(input.map((r) => r, schema).plan)).toBe('map function');
    expect(userClosure(input.select(expr('upper(name)')).plan)).toBeNull();
    const placement = placeQuery(withUdf.groupBy('loud').count().plan, { threads: 2, splittable: () => false });
    expect([...placement.onDriver.values()]).toEqual([
      'reads a memory source object held by the driver',
      'holds a user closure (user function udf), which cannot leave the driver thread',
    ]);
    expect(placement.regions).toHaveLength(1);
  });

  it('sends a closure the driver keeps for itself as a stand-in that refuses to be called', async () => {
    const spark = Session.builder().create();
    const plan = spark.createDataFrame([{ name: 'a', n: 1 }], schema).filter(expr('n > 0')).plan;
    const withHook = { ...plan, driverHook: () => 1 } as unknown as LogicalPlan;
    const { decoded } = await roundTrip(withHook);
    expect(() => (decoded as unknown as { driverHook: () => unknown }).driverHook()).toThrow(/function of the driver thread, called on a worker thread/);
  });
});
