// The notes' word count: lines split into words, counted per word (complete mode).
import { MemoryStream, Session, col, explode, split, types as T } from '../../src/index.js';
import type { Scenario } from '../harness.js';
import { consume, measure } from '../harness.js';
import { counted } from '../noop-sink.js';

export const wordCount: Scenario = {
  name: 'word-count',
  description: 'word count over 5M words, 1,000 distinct, complete mode',
  async run(scale) {
    const words = Math.round(5_000_000 * scale);
    const lines: { value: string }[] = [];
    const vocabulary = Array.from({ length: 1000 }, (_, i) => `w${i.toString(36)}`);
    for (let i = 0; i < words; i += 10) {
      const w: string[] = [];
      for (let j = 0; j < 10; j++) w.push(vocabulary[(i * 7 + j * 13) % 1000]!);
      lines.push({ value: w.join(' ') });
    }

    const handLoop = await measure(() => {
      const counts = new Map<string, number>();
      let n = 0;
      for (const line of lines) {
        for (const w of line.value.split(' ')) {
          counts.set(w, (counts.get(w) ?? 0) + 1);
          n++;
        }
      }
      consume(counts);
      return n;
    });

    const spark = Session.builder().appName('bench').config('spate.sql.shuffle.partitions', 8).create();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]));
    input.addData(lines);
    const spate = await measure(async () => {
      const q = input.toDF().select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count()
        .writeStream.format('noop').outputMode('complete').start();
      await q.processAllAvailable();
      await q.stop();
      if (counted.rows !== 1000) throw new Error(`expected 1000 groups, got ${counted.rows}`);
      return words;
    });
    return { scenario: this.name, description: this.description, spate, handLoop };
  },
};
