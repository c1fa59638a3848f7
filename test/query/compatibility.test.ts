// Restart compatibility: a changed stateful operator is refused at start() with a message that
// names the operator, the difference and how to proceed; a change that does not touch state
// resumes with the state it had.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row, Session } from '../../src/index.js';
import { CheckpointError, DataFrame, MemoryStream, col, count, lit, sum, types as T } from '../../src/index.js';
import type { JoinHow } from '../../src/index.js';
import type { StructType } from '../../src/expr/types.js';
import type { LogicalPlan } from '../../src/plan/logical.js';
import { checkCompatibility, fingerprints, sourceFingerprints } from '../../src/query/compatibility.js';
import type { CheckpointMetadata } from '../../src/state/checkpoint-log.js';
import { sequenceRow } from '../support/sequence-source.js';
import { sortRows, testSession } from '../support/helpers.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'spate-compat-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const KEYS = 7;

function sequence(spark: Session, rows: number, maxRowsPerTrigger = 100): DataFrame {
  return spark.readStream.format('sequence').option('rows', rows).option('keys', KEYS).option('maxRowsPerTrigger', maxRowsPerTrigger).load();
}

/** Runs `df` to the end of its source with the checkpoint; returns the memory table, or the failure. */
async function runToEnd(spark: Session, df: DataFrame, name: string, checkpoint: string): Promise<Row[]> {
  const q = df.writeStream.format('memory').queryName(name).outputMode('complete').option('checkpointLocation', checkpoint).start();
  await q.processAllAvailable();
  await q.stop();
  return sortRows(await spark.table(name).collect());
}

async function failureOf(df: DataFrame, checkpoint: string, mode: 'complete' | 'append' = 'complete'): Promise<Error> {
  const q = df.writeStream.format('memory').queryName(`failing_${Math.random().toString(36).slice(2)}`).outputMode(mode)
    .option('checkpointLocation', checkpoint).start();
  await expect(q.awaitTermination()).rejects.toThrow();
  const cause = q.exception()!.cause as Error;
  expect(cause).toBeInstanceOf(CheckpointError);
  return cause;
}

/** count and sum of `value` per key over rows [0, n) passing `keep`. */
function expected(n: number, keep: (r: Row) => boolean = () => true): Row[] {
  const m = new Map<string, { key: string; n: number; total: number }>();
  for (let i = 0; i < n; i++) {
    const r = sequenceRow(i, KEYS);
    if (!keep(r)) continue;
    const e = m.get(r['key'] as string) ?? { key: r['key'] as string, n: 0, total: 0 };
    e.n++;
    e.total += r['value'] as number;
    m.set(e.key, e);
  }
  return sortRows([...m.values()]);
}

const byKey = (df: DataFrame): DataFrame => df.groupBy('key').agg(count(lit(1)).alias('n'), sum(col('value')).alias('total'));

describe('restarting with a changed stateful operator', () => {
  it('changed grouping keys fail at start, naming the operator, both key lists and the way out', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300)), 'keys_1', cp);
    const e = await failureOf(sequence(spark, 600).groupBy('key', 'value').agg(count(lit(1)).alias('n')), cp);
    expect(e.message).toContain(`the query cannot resume from checkpoint ${cp}`);
    expect(e.message).toContain("stateful operator 'aggregate-0' (aggregate) changed its grouping keys: it was [key: string] and is now [key: string, value: bigint]");
    expect(e.message).toContain('start it with a new checkpointLocation (its state starts empty), or undo the change');
  });

  it('changed aggregates fail at start, naming both aggregate lists', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300)), 'aggs_1', cp);
    const e = await failureOf(sequence(spark, 600).groupBy('key').agg(count(lit(1)).alias('n'), sum(col('id')).alias('total')), cp);
    expect(e.message).toContain("stateful operator 'aggregate-0' (aggregate) changed its aggregates: it was [count(1): bigint, sum(value): bigint] and is now [count(1): bigint, sum(id): bigint]");
    expect(e.message).toContain('new checkpointLocation');
  });

  it('a named operator is found by its name, and its change is reported under that name', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300)).named('totals-by-key'), 'named_1', cp);
    const e = await failureOf(sequence(spark, 600).groupBy('value').agg(count(lit(1)).alias('n')).named('totals-by-key'), cp);
    expect(e.message).toMatch(/stateful operator 'totals-by-key' \(aggregate\) changed its grouping keys: it was \[key: string\] and is now \[value: bigint\]/);
  });

  it('a removed stateful operator fails at start and suggests naming operators', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300)), 'removed_1', cp);
    const e = await failureOf(sequence(spark, 600).filter(col('value').gt(3)), cp, 'append');
    expect(e.message).toContain("the stateful operator 'aggregate-0' (aggregate) that the checkpoint holds state for is no longer in the query");
    expect(e.message).toContain(".named('...')");
  });

  it('a different number of sources fails at start, naming both', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300)), 'sources_1', cp);
    const e = await failureOf(byKey(sequence(spark, 600).union(sequence(spark, 600))), cp);
    expect(e.message).toContain('the checkpoint was written by a query reading 1 source (sequence), and this query reads 2 sources (sequence, sequence)');
  });
});

describe('restarting with a change that does not touch state resumes', () => {
  it('an extra filter before the aggregation applies to new rows only, on top of the restored counts', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    expect(await runToEnd(spark, byKey(sequence(spark, 300)), 'filter_1', cp)).toEqual(expected(300));
    const resumed = await runToEnd(spark, byKey(sequence(spark, 700).filter(col('value').lt(5))), 'filter_2', cp);
    const early = expected(300);
    const late = expected(700, (r) => (r['id'] as number) >= 300 && (r['value'] as number) < 5);
    expect(resumed).toEqual(sortRows(early.map((e) => {
      const l = late.find((x) => x['key'] === e['key']);
      return { key: e['key'], n: (e['n'] as number) + ((l?.['n'] as number) ?? 0), total: (e['total'] as number) + ((l?.['total'] as number) ?? 0) };
    })));
  });

  it('a new projection after the aggregation resumes with the restored state', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300)), 'project_1', cp);
    const resumed = await runToEnd(spark, byKey(sequence(spark, 700)).select(col('key'), col('n').multiply(2).alias('twice')), 'project_2', cp);
    expect(resumed).toEqual(sortRows(expected(700).map((r) => ({ key: r['key'], twice: (r['n'] as number) * 2 }))));
  });

  it('a changed rate limit resumes where the last run stopped', async () => {
    const cp = join(dir, 'cp');
    const spark = testSession();
    await runToEnd(spark, byKey(sequence(spark, 300, 50)), 'rate_1', cp);
    expect(await runToEnd(spark, byKey(sequence(spark, 700, 250)), 'rate_2', cp)).toEqual(expected(700));
  });
});

describe('fingerprints of the other stateful operators', () => {
  const spark = testSession();
  const schema = T.struct([T.field('id', T.integer()), T.field('name', T.string()), T.field('ts', T.timestamp())]);
  const other = T.struct([T.field('id', T.integer()), T.field('score', T.double())]);
  const stream = (s: StructType = schema): LogicalPlan => new MemoryStream(spark, s).toDF().plan;

  function meta(plan: LogicalPlan): CheckpointMetadata {
    return { id: 'q', conf: {}, operators: fingerprints(plan, 'append'), sources: sourceFingerprints(plan) };
  }
  function refusal(before: LogicalPlan, after: LogicalPlan): string {
    try {
      checkCompatibility(meta(before), { operators: fingerprints(after, 'append'), sources: sourceFingerprints(after) }, '/cp');
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointError);
      return (e as Error).message;
    }
    throw new Error('the change was accepted');
  }
  function join2(left: LogicalPlan, right: LogicalPlan, joinType: JoinHow): LogicalPlan {
    const l = new DataFrame(spark, left);
    const r = new DataFrame(spark, right).withColumnRenamed('id', 'rid');
    return l.join(r, col('id').equalTo(col('rid')), joinType).plan;
  }
  function groupState(stateSchema: ReturnType<typeof T.struct>): LogicalPlan {
    return new DataFrame(spark, stream()).groupByKey((r) => r['id'])
      .flatMapGroupsWithState({ outputMode: 'update', timeout: 'NoTimeout', outputSchema: schema, stateSchema }, () => []).plan;
  }

  it('changed dropDuplicates columns are refused, naming both column lists', () => {
    const df = new MemoryStream(spark, schema).toDF();
    expect(refusal(df.dropDuplicates(['id']).plan, df.dropDuplicates(['id', 'name']).plan))
      .toMatch(/stateful operator 'dedup-0' \(dropDuplicates\) changed its columns: it was \[id\] and is now \[id, name\].*new checkpointLocation/);
  });

  it('a changed type of a dropDuplicates column is refused as a state schema change', () => {
    const df = new MemoryStream(spark, schema).toDF();
    expect(refusal(df.dropDuplicates(['id']).plan, df.withColumn('id', col('id').cast('string')).dropDuplicates(['id']).plan))
      .toContain("stateful operator 'dedup-0' (dropDuplicates) changed its state schema: it was [key struct<id:int>] and is now [key struct<id:string>]");
  });

  it('a changed join type is refused, naming both types', () => {
    expect(refusal(join2(stream(), stream(other), 'inner'), join2(stream(), stream(other), 'leftOuter')))
      .toMatch(/stateful operator 'join-0' \(join\) changed its join type: it was \[inner\] and is now \[leftOuter\]/);
  });

  it('a changed schema of a join side is refused, naming both schemas', () => {
    const wider = T.struct([...other.fields, T.field('extra', T.string())]);
    expect(refusal(join2(stream(), stream(other), 'inner'), join2(stream(), stream(wider), 'inner')))
      .toContain("stateful operator 'join-0' (join) changed its right schema: it was [struct<rid:int,score:double>] and is now [struct<rid:int,score:double,extra:string>]");
  });

  it('a changed flatMapGroupsWithState state schema is refused, naming both schemas', () => {
    expect(refusal(groupState(T.struct([T.field('count', T.long())])), groupState(T.struct([T.field('count', T.long()), T.field('last', T.timestamp())]))))
      .toContain("stateful operator 'groupState-0' (flatMapGroupsWithState) changed its state schema: it was [struct<count:bigint>] and is now [struct<count:bigint,last:timestamp>]");
  });
});
