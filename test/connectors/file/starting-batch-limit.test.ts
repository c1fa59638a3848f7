// startingBatchLimit on the file source: the backlog a run finds when it starts (a cold start,
// a restart after a day down) is read in batches of at most that many files; once it is caught
// up, batches are unbounded again. Progress shows what is left in files and in seconds.
import { mkdir } from 'node:fs/promises';
import { SimulatedClock } from 'xstate';
import { types as T } from '../../../src/index.js';
import type { Row, StreamingQuery } from '../../../src/index.js';
import { testSession } from '../../support/helpers.js';
import type { TempDir } from './support.js';
import { tempDir } from './support.js';

let dir: TempDir;
beforeEach(async () => { dir = await tempDir(); });
afterEach(async () => { await dir.remove(); });

const schema = T.struct([T.field('n', T.integer())]);
const ORIGIN_MS = Date.UTC(2024, 0, 1);
const DAY_S = 86_400;

/** Files f<from>…f<to - 1>, one row each, modified `second` + i seconds after the origin. */
async function files(from: number, to: number, second: number): Promise<void> {
  for (let i = from; i < to; i++) await dir.file(`in/f${String(i).padStart(3, '0')}.json`, `{"n":${i}}\n`, second + i - from);
}

function start(clock: SimulatedClock): { q: StreamingQuery; batches: Row[][] } {
  const batches: Row[][] = [];
  const q = testSession().readStream.format('json').schema(schema).option('startingBatchLimit', 3).load(dir.path('in'))
    .writeStream.option('checkpointLocation', dir.path('cp')).clock(clock)
    .foreachBatch(async (b) => { batches.push(await b.collect()); })
    .start();
  return { q, batches };
}

describe('the file source with startingBatchLimit', () => {
  it('catches up a restart after a day down in bounded batches, shows the backlog, then reads new files in one batch', async () => {
    const clock = new SimulatedClock();
    clock.set(ORIGIN_MS + 10_000);
    await files(0, 2, 0);
    const first = start(clock);
    await first.q.processAllAvailable();
    await first.q.stop();
    expect(first.batches.map((b) => b.length)).toEqual([2]);

    // A day down: seven files arrived meanwhile.
    await files(2, 9, DAY_S);
    clock.set(ORIGIN_MS + 2 * DAY_S * 1000);
    const second = start(clock);
    await second.q.processAllAvailable();
    expect(second.batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(second.batches.flat().map((r) => r['n'])).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const backlog = second.q.recentProgress.filter((p) => p.numInputRows > 0).map((p) => p.sources[0]!.backlog);
    // Seconds: from the newest file read (modified a day and a few seconds after the origin) to the clock, two days after it.
    expect(backlog).toEqual([
      { files: 4, seconds: DAY_S - 2 }, { files: 1, seconds: DAY_S - 5 }, { files: 0, seconds: 0 },
    ]);

    // Caught up: new files are no longer held to the starting limit.
    await files(9, 14, DAY_S + 100);
    await second.q.processAllAvailable();
    await second.q.stop();
    expect(second.batches.map((b) => b.length)).toEqual([3, 3, 1, 5]);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await mkdir(dir.path('in'), { recursive: true });
    const read = (v: string) => testSession().readStream.format('json').schema(schema).option('startingBatchLimit', v).load(dir.path('in'));
    expect(() => read('0')).toThrow('option startingBatchLimit must be a valid number in range');
    expect(() => read('many')).toThrow("got 'many'");
  });
});
