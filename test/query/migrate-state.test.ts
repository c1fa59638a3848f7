// `spate state migrate` for each change a restart refuses today: a renamed grouping column,
// aggregates added (with a default) and removed, and a changed state schema of
// mapGroupsWithState. Each test shows the error the changed query gets before, and the run that
// resumes after, with the state carried over. Also: what cannot be migrated is refused, and a
// migration interrupted half-way blocks every start until it is run again.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, col, count, lit, max, migrateState, sum, types as T } from '../../src/index.js';
import type { DataFrame, GroupState, Row, Session } from '../../src/index.js';
import type { BlobWrite } from '../../src/state/backend.js';
import { LocalDirBackend } from '../../src/state/local-backend.js';
import { migrateBackend } from '../../src/query/migrate-state.js';
import { sortRows, testSession } from '../support/helpers.js';

const schema = T.struct([T.field('broker', T.string()), T.field('amount', T.integer())]);
let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'spate-migrate-')); });
afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

let tables = 0;
/** Runs `df` in update mode on the checkpoint until everything available is committed; its rows, or the error it failed with. */
async function runOnce(spark: Session, df: DataFrame): Promise<{ rows: Row[]; error: string | null }> {
  const name = `m${tables++}`;
  const query = df.writeStream.format('memory').queryName(name).outputMode('update').option('checkpointLocation', dir).start();
  let error: string | null = null;
  await query.processAllAvailable().catch((e: Error) => { error = e.message; });
  await query.stop();
  return { rows: error === null ? sortRows(await spark.table(name).collect()) : [], error };
}

const metadata = (): { migrations?: { operator: string; changes: string[] }[]; operators: Record<string, { properties: Record<string, string> }> } =>
  JSON.parse(readFileSync(join(dir, 'metadata'), 'utf8'));

describe('spate state migrate', () => {
  it('a renamed grouping column: refused before, resumes with the totals after', async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, schema);
    const v1 = input.toDF().groupBy('broker').agg(sum(col('amount')).alias('total')).named('totals');
    const v2 = () => input.toDF().withColumnRenamed('broker', 'brokerCode').groupBy('brokerCode').agg(sum(col('amount')).alias('total')).named('totals');
    input.addData([{ broker: 'ABX', amount: 5 }, { broker: 'XYZ', amount: 1 }]);
    expect((await runOnce(spark, v1)).rows).toEqual([{ broker: 'ABX', total: 5 }, { broker: 'XYZ', total: 1 }]);

    input.addData([{ broker: 'ABX', amount: 2 }]);
    expect((await runOnce(spark, v2())).error).toContain(
      "stateful operator 'totals' (aggregate) changed its grouping keys: it was [broker: string] and is now [brokerCode: string]",
    );

    const record = await migrateState(dir, 'totals', { query: () => v2() });
    expect(record.changes).toEqual(["operator 'totals': grouping column renamed: broker → brokerCode"]);
    expect((await runOnce(spark, v2())).rows).toEqual([{ brokerCode: 'ABX', total: 7 }]);
    expect(metadata().migrations).toEqual([expect.objectContaining({ operator: 'totals', batch: 0, changes: record.changes })]);
  });

  it('aggregates added with a default and without, then one removed: refused before, resumes after', async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, schema);
    const v1 = input.toDF().groupBy('broker').agg(sum(col('amount')).alias('total')).named('totals');
    const v2 = () => input.toDF().groupBy('broker')
      .agg(sum(col('amount')).alias('total'), count(lit(1)).alias('trades'), max(col('amount')).alias('largest')).named('totals');
    const v3 = () => input.toDF().groupBy('broker').agg(count(lit(1)).alias('trades'), max(col('amount')).alias('largest')).named('totals');
    input.addData([{ broker: 'ABX', amount: 5 }, { broker: 'ABX', amount: 3 }]);
    await runOnce(spark, v1);

    input.addData([{ broker: 'ABX', amount: 2 }]);
    expect((await runOnce(spark, v2())).error).toContain(
      "changed its aggregates: it was [sum(amount): bigint] and is now [sum(amount): bigint, count(1): bigint, max(amount): int]",
    );
    const record = await migrateState(dir, 'totals', { query: () => v2(), defaults: { largest: 100 } });
    expect(record.changes).toEqual([
      "operator 'totals': aggregate count(1) (trades) added, existing groups starting from empty",
      "operator 'totals': aggregate max(amount) (largest) added, existing groups starting from the default 100",
    ]);
    // The old groups' totals carry on; the new count starts from the batch after the migration.
    expect((await runOnce(spark, v2())).rows).toEqual([{ broker: 'ABX', total: 10, trades: 1, largest: 100 }]);

    input.addData([{ broker: 'ABX', amount: 1 }]);
    expect((await runOnce(spark, v3())).error).toContain("changed its aggregates");
    expect((await migrateState(dir, 'totals', { query: () => v3() })).changes).toEqual(["operator 'totals': aggregate sum(amount) removed, its accumulators dropped"]);
    expect((await runOnce(spark, v3())).rows).toEqual([{ broker: 'ABX', trades: 2, largest: 100 }]);
    expect(metadata().migrations!.map((m) => m.changes.length)).toEqual([2, 1]);
  });

  it("a changed state schema of mapGroupsWithState: refused before, asks for a state function, resumes with the mapped state after", async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, schema);
    const out = T.struct([T.field('broker', T.string()), T.field('n', T.long()), T.field('last', T.integer())]);
    const v1 = input.toDF().groupByKey((r) => r['broker'] as string).mapGroupsWithState(
      { outputSchema: out, stateSchema: T.struct([T.field('n', T.long())]) },
      (broker: string, rows: Row[], state: GroupState<{ n: number }>) => {
        const n = (state.getOption()?.n ?? 0) + rows.length;
        state.update({ n });
        return { broker, n, last: null };
      },
    ).named('per-broker');
    const v2 = () => input.toDF().groupByKey((r) => r['broker'] as string).mapGroupsWithState(
      { outputSchema: out, stateSchema: T.struct([T.field('count', T.long()), T.field('last', T.integer())]) },
      (broker: string, rows: Row[], state: GroupState<{ count: number; last: number }>) => {
        const count = state.get().count + rows.length;
        const last = rows[rows.length - 1]!['amount'] as number;
        state.update({ count, last });
        return { broker, n: count, last };
      },
    ).named('per-broker');
    input.addData([{ broker: 'ABX', amount: 5 }, { broker: 'ABX', amount: 3 }]);
    await runOnce(spark, v1);

    input.addData([{ broker: 'ABX', amount: 2 }]);
    expect((await runOnce(spark, v2())).error).toContain(
      "stateful operator 'per-broker' (mapGroupsWithState) changed its state schema: it was [struct<n:bigint>] and is now [struct<count:bigint,last:int>]",
    );
    await expect(migrateState(dir, 'per-broker', { query: () => v2() })).rejects.toThrow('give the migration a state(old, key) function');
    const record = await migrateState(dir, 'per-broker', { query: () => v2(), state: (old) => ({ count: (old as { n: number }).n, last: -1 }) });
    expect(record.changes).toEqual([
      "operator 'per-broker': state schema changed from [struct<n:bigint>] to [struct<count:bigint,last:int>], each key's state mapped by the migration's state function",
    ]);
    expect((await runOnce(spark, v2())).rows).toEqual([{ broker: 'ABX', n: 3, last: 2 }]);
  });

  it('refuses what it cannot convert, names the operators a query has, and needs the query stopped', async () => {
    const spark = testSession();
    const input = new MemoryStream<Row>(spark, schema);
    const v1 = input.toDF().groupBy('broker').agg(sum(col('amount')).alias('total')).named('totals');
    input.addData([{ broker: 'ABX', amount: 5 }]);
    await runOnce(spark, v1);
    const byAmount = () => input.toDF().groupBy('amount').agg(sum(col('amount')).alias('total')).named('totals');
    await expect(migrateState(dir, 'totals', { query: () => byAmount() })).rejects.toThrow(
      "operator 'totals' (aggregate) changed its grouping keys from [broker: string] to [amount: int]: spate state migrate converts renamed grouping columns",
    );
    await expect(migrateState(dir, 'totals', { query: () => input.toDF().groupBy('broker').agg(sum(col('amount')).alias('total')).named('sums') }))
      .rejects.toThrow("the changed query has no stateful operator 'totals' (it has 'sums')");
    await expect(migrateState(dir, 'totals', { query: () => v1 })).rejects.toThrow('there is nothing to migrate');

    const running = v1.writeStream.format('memory').queryName('still_running').outputMode('update').option('checkpointLocation', dir).start();
    await running.processAllAvailable();
    await expect(migrateState(dir, 'totals', { query: () => byAmount() })).rejects.toThrow('spate state migrate needs the query stopped');
    await running.stop();
  });

  it('a migration interrupted half-way blocks every start until it is run again, which finishes it from the old state', async () => {
    const spark = testSession({ 'spate.sql.shuffle.partitions': 4 });
    const input = new MemoryStream<Row>(spark, schema);
    const brokers = ['ABX', 'XYZ', 'QRS', 'LMN', 'DEF'];
    const v1 = input.toDF().groupBy('broker').agg(sum(col('amount')).alias('total'), count(lit(1)).alias('trades')).named('totals');
    // Dropping an aggregate twice would read past the end of the accumulators: the rollback must happen.
    const v2 = () => input.toDF().groupBy('broker').agg(count(lit(1)).alias('trades')).named('totals');
    input.addData(brokers.map((broker) => ({ broker, amount: 1 })));
    await runOnce(spark, v1);

    // The store fails after writing the first of the new snapshots.
    class FailingMidway extends LocalDirBackend {
      override async writeAll(writes: readonly BlobWrite[]): Promise<void> {
        if (!writes.some((w) => w.path.endsWith('.snapshot'))) return super.writeAll(writes);
        await this.write(writes[0]!.path, writes[0]!.data);
        throw new Error('disk full');
      }
    }
    await expect(migrateBackend(new FailingMidway(dir), { operator: 'totals', plan: v2().plan })).rejects.toThrow('disk full');
    for (const df of [v1, v2()]) {
      expect((await runOnce(spark, df)).error).toContain("a state migration of operator 'totals' in checkpoint");
    }

    await migrateState(dir, 'totals', { query: () => v2() });
    input.addData(brokers.map((broker) => ({ broker, amount: 1 })));
    expect((await runOnce(spark, v2())).rows).toEqual(sortRows(brokers.map((broker) => ({ broker, trades: 2 }))));
    expect(metadata().migrations).toHaveLength(1);
  });
});
