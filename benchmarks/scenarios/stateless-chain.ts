// A stateless select / filter / withColumn chain, fused into one generated function. Both sides
// run twice: the first runs are the headline (a fresh process, as a job starts), the second show
// the steady state of a long-running worker, once the first query paid XState's and V8's warm-up.
import { MemoryStream, Session, col, upper, types as T } from '../../src/index.js';
import type { Scenario } from '../harness.js';
import { consume, measure, perSecond } from '../harness.js';
import { counted } from '../noop-sink.js';

export const statelessChain: Scenario = {
  name: 'stateless-chain',
  description: 'select/filter/withColumn over 5M rows',
  async run(scale) {
    const n = Math.round(5_000_000 * scale);
    const rows: { id: number; amount: number; category: string }[] = [];
    const categories = Array.from({ length: 10 }, (_, i) => `category-${i}`);
    for (let i = 0; i < n; i++) rows.push({ id: i, amount: i % 1000, category: categories[i % 10]! });

    const handRun = (): number => {
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
    };
    const handLoop = await measure(handRun);

    const spark = Session.builder().appName('bench').create();
    const input = new MemoryStream(spark, T.struct([T.field('id', T.long()), T.field('amount', T.integer()), T.field('category', T.string())]));
    input.addData(rows);
    const expected = rows.filter((r) => r.amount > 100).length;
    const spateRun = async (): Promise<number> => {
      counted.rows = 0;
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
    };
    const spate = await measure(spateRun);
    const warmHand = await measure(handRun);
    const warmSpate = await measure(spateRun);
    const figures = {
      'second run, ratio spate/hand': perSecond(warmSpate) / perSecond(warmHand),
      'second run, ratio by CPU time': (warmHand.cpuMs ?? 0) / (warmSpate.cpuMs ?? 1),
    };
    return { scenario: this.name, description: this.description, spate, handLoop, figures };
  },
};
