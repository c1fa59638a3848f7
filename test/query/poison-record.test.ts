// A record that fails the query fails every replay of its epoch: the error names the record's
// source position, and a restart policy gives up on it after recordRetries restarts.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, types as T } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import { decideRecordRestart } from '../../src/actors/restart-policy.js';
import { testSession } from '../support/helpers.js';

const poison = (row: Row): Row => {
  if (row['value'] === 'poison') throw new RangeError('cannot handle poison');
  return row;
};

describe('a record that fails the query', () => {
  it('is named in the error, and restarting stops after recordRetries restarts that failed on it', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, T.struct([T.field('value', T.string())]), 'events');
    let calls = 0;
    const q = input.toDF().map((row) => { if (row['value'] === 'poison') calls++; return poison(row); }, input.toDF().schema)
      .writeStream.format('memory').queryName('poisoned').restartPolicy({ type: 'always', intervalMs: 1, recordRetries: 2 }).start();
    input.addData([{ value: 'a' }, { value: 'b' }, { value: 'poison' }, { value: 'c' }]);
    await expect(q.awaitTermination()).rejects.toThrow('cannot handle poison (record at MemoryStream[events], offset 2)');
    expect(calls).toBe(3 * 2); // three runs, each failing on the row, then locating it
    expect(q.isActive).toBe(false);
  });

  it('names the file and line of a record read from a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spate-poison-'));
    try {
      await mkdir(join(dir, 'in'));
      const file = join(dir, 'in', 'a.txt');
      await writeFile(file, 'a\n\nb\npoison\nc\n');
      const spark = testSession();
      const df = spark.readStream.format('text').load(join(dir, 'in'));
      const q = df.map(poison, df.schema).writeStream.format('memory').queryName('poisoned_file').option('checkpointLocation', join(dir, 'cp')).start();
      await expect(q.awaitTermination()).rejects.toThrow(`cannot handle poison (record at file ${file}, line 4)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts failures on one record in a row, and starts again for another record or none', () => {
    const policy = { type: 'always', recordRetries: 1 } as const;
    let state = decideRecordRestart(policy, null, 'file a, line 1');
    expect(state.giveUp).toBe(false);
    state = decideRecordRestart(policy, state.failures, 'file a, line 1');
    expect(state).toEqual({ failures: { position: 'file a, line 1', count: 2 }, giveUp: true });
    expect(decideRecordRestart(policy, state.failures, 'file a, line 2')).toEqual({ failures: { position: 'file a, line 2', count: 1 }, giveUp: false });
    expect(decideRecordRestart(policy, state.failures, undefined)).toEqual({ failures: null, giveUp: false });
    expect(decideRecordRestart({ type: 'always' }, { position: 'p', count: 3 }, 'p').giveUp).toBe(true); // default: 3 restarts
  });
});
