// An aggregation without grouping keys has one group, updated by every batch: Spark aggregates
// even an empty batch to one row (count 0), saves it and, in update mode, emits it.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trigger, count, sum, types as T } from 'spate';
import { record } from '../support/batches.js';
import { testSession } from '../support/helpers.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'spate-global-agg-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

async function files(...contents: string[]): Promise<string> {
  const input = join(dir, 'in');
  await mkdir(input);
  for (const [i, text] of contents.entries()) {
    const file = join(input, `part-${i}.json`);
    await writeFile(file, text);
    await utimes(file, new Date(1_700_000_000_000 + i * 1000), new Date(1_700_000_000_000 + i * 1000));
  }
  return input;
}

describe('a global aggregation', () => {
  it('emits its one row for every batch in update mode, empty batches (the first one too) included', async () => {
    const spark = testSession();
    const input = await files('', '{"n":2}\n{"n":3}\n', '', '{"n":5}\n');
    const totals = spark.readStream.format('json').schema(T.fromDDL('n INT')).option('maxFilesPerTrigger', 1).load(input)
      .agg(count('*').alias('rows'), sum('n').alias('total'));
    const q = record(totals, 'update', (w) => w.trigger(Trigger.AvailableNow()).option('checkpointLocation', join(dir, 'cp')));
    await q.query.awaitTermination();
    expect(q.batches.map((b) => b.rows)).toEqual([
      [{ rows: 0, total: null }], [{ rows: 2, total: 5 }], [{ rows: 2, total: 5 }], [{ rows: 3, total: 10 }],
    ]);
    expect(q.query.recentProgress.map((p) => p.stateOperators[0]!.numRowsUpdated)).toEqual([1, 1, 1, 1]);
  });
});
