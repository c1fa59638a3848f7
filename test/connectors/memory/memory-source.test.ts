// The memory source hands rows over as they were added (never copied) in chunks of bounded
// size, and a query reads them by the schema's names: a missing field is null, an extra field
// or another field order never reaches the output.
import fc from 'fast-check';
import { MemoryStream, col, types as T } from 'spate';
import { MemoryStreamData } from '../../../src/connectors/memory/memory-source.js';
import { record } from '../../support/batches.js';
import { testSession } from '../../support/helpers.js';

const schema = T.struct([T.field('id', T.integer()), T.field('name', T.string())]);

describe('MemoryStreamData', () => {
  it('reads any range of the rows added, in order, in chunks of at most chunkRows, as the very objects added', () => {
    fc.assert(fc.property(
      fc.array(fc.nat(20), { maxLength: 8 }), fc.integer({ min: 1, max: 7 }), fc.nat(), fc.nat(),
      (sizes, chunkRows, a, b) => {
        const data = new MemoryStreamData(schema, 'p');
        const all: { id: number }[] = [];
        for (const n of sizes) {
          const rows = Array.from({ length: n }, (_, i) => ({ id: all.length + i }));
          all.push(...rows);
          data.append(rows);
        }
        const total = all.length;
        const start = total === 0 ? 0 : a % (total + 1);
        const end = start + (total - start === 0 ? 0 : b % (total - start + 1));
        const chunks = [...data.slices(start, end, chunkRows)];
        expect(chunks.every((c) => c.length > 0 && c.length <= chunkRows)).toBe(true);
        const read = chunks.flat();
        expect(read).toHaveLength(end - start);
        read.forEach((r, i) => expect(r).toBe(all[start + i]));
      },
    ));
  });

  it('keeps its own copy of the array, so the caller may reuse it', () => {
    const data = new MemoryStreamData(schema, 'copy');
    const rows = [{ id: 1, name: 'a' }];
    data.append(rows);
    rows.push({ id: 2, name: 'b' });
    expect(data.latestOffset).toBe(1);
    expect([...data.slices(0, 1)].flat()).toEqual([{ id: 1, name: 'a' }]);
  });
});

describe('a query over a MemoryStream', () => {
  it('sees rows in the schema shape whatever shape they were added in', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF(), 'append');
    input.addData([
      { id: 1, name: 'a' },
      { name: 'b', id: 2 },
      { id: 3 } as { id: number; name: string },
      { id: 4, name: 'd', extra: true } as { id: number; name: string },
    ]);
    await run.query.processAllAvailable();
    await run.query.stop();
    const rows = run.rowsOf(0);
    expect(rows).toEqual([{ id: 1, name: 'a' }, { id: 2, name: 'b' }, { id: 3, name: null }, { id: 4, name: 'd' }]);
    expect(rows.map((r) => Object.keys(r))).toEqual(Array(4).fill(['id', 'name']));
  });

  it('reads the schema columns by name through filters and aggregations', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const run = record(input.toDF().filter(col('name').isNotNull()).groupBy('name').count(), 'complete');
    input.addData([{ name: 'x', id: 1 }, { id: 2 } as { id: number; name: string }, { id: 3, name: 'x', other: 1 } as { id: number; name: string }]);
    await run.query.processAllAvailable();
    await run.query.stop();
    expect(run.rowsOf(0)).toEqual([{ name: 'x', count: 2 }]);
  });
});
