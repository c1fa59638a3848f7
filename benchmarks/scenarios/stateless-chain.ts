// A stateless select / filter / withColumn chain, fused into one generated function.
import { MemoryStream, Session, col, upper, types as T } from '../../src/index.js';
import type { Scenario } from '../harness.js';
import { consume, measure } from '../harness.js';
import { counted } from '../noop-sink.js';

export const statelessChain: Scenario = {
  name: 'stateless-chain',
  description: 'select/filter/withColumn over 5M rows',
  async run(scale) {
    const n = Math.round(5_000_000 * scale);
    const rows: { id: number; amount: number; category: string }[] = [];
    const categories = Array.from({ length: 10 }, (_, i) => `category-${i}`);
    for (let i = 0; i < n; i++) rows.push({ id: i, amount: i % 1000, category: categories[i % 10]! });

    const handLoop = await measure(() => {
      let kept = 0;
      let last: unknown = null;
      for (const r of rows) {
        if (!(r.amount > 100)) continue;
        last = { id: r.id, amount: r.amount, category: r.category, doubled: r.amount * 2, label: r.category.toUpperCase() };
        kept++;
      }
      consume(last);
      consume(kept);
      return n;
    });

    const spark = Session.builder().appName('bench').create();
    const input = new MemoryStream(spark, T.struct([T.field('id', T.long()), T.field('amount', T.integer()), T.field('category', T.string())]));
    input.addData(rows);
    const expected = rows.filter((r) => r.amount > 100).length;
    const spate = await measure(async () => {
      const q = input.toDF()
        .select('id', 'amount', 'category')
        .filter(col('amount').gt(100))
        .withColumn('doubled', col('amount').multiply(2))
        .withColumn('label', upper(col('category')))
        .writeStream.format('noop').start();
      await q.processAllAvailable();
      await q.stop();
      if (counted.rows !== expected) throw new Error(`expected ${expected} rows, got ${counted.rows}`);
      return n;
    });
    return { scenario: this.name, description: this.description, spate, handLoop };
  },
};
