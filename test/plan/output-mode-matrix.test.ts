// Spark's output-mode support matrix (SEMANTICS §1), one test per cell: accepted queries run a
// batch end to end, rejected ones fail at start() with Spark's key phrase and what to do.
import {
  GroupStateTimeout, MemoryStream, col, count, lit, sessionWindow, window, types as T,
} from 'spate';
import type { DataFrame, OutputMode, Session } from 'spate';
import { checkStreamingQuery } from '../../src/plan/checks.js';
import type { LogicalPlan } from '../../src/plan/logical.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([T.field('ts', T.timestamp()), T.field('user', T.string()), T.field('n', T.integer())]);
const out = T.struct([T.field('user', T.string()), T.field('events', T.long())]);

type Shape = (spark: Session, input: MemoryStream<NonNullable<(typeof schema)['__row']>>) => DataFrame;

const stateless: Shape = (_s, input) => input.toDF().filter(col('n').gt(0)).select('user', 'n');
const streamStaticJoin: Shape = (spark, input) => input.toDF()
  .join(spark.createDataFrame([{ name: 'u1', tier: 'gold' }], T.struct([T.field('name', T.string()), T.field('tier', T.string())])), col('user').eq(col('name')), 'leftOuter');
const aggWithWatermark: Shape = (_s, input) => input.toDF().withWatermark('ts', '10 minutes')
  .groupBy(window(col('ts'), '10 minutes'), col('user')).agg(count(lit(1)).alias('events'));
const aggWithoutWatermark: Shape = (_s, input) => input.toDF().groupBy('user').agg(count(lit(1)).alias('events'));
const sessionAgg: Shape = (_s, input) => input.toDF().withWatermark('ts', '10 minutes')
  .groupBy(sessionWindow(col('ts'), '5 minutes'), col('user')).agg(count(lit(1)).alias('events'));
const countEvents = (key: string, rows: unknown[]) => ({ user: key, events: rows.length });
const mapGroups: Shape = (_s, input) => input.toDF().groupByKey((r) => r.user)
  .mapGroupsWithState({ outputSchema: out }, (key, rows) => countEvents(String(key), rows));
const flatMapGroups = (outputMode: 'append' | 'update'): Shape => (_s, input) => input.toDF().groupByKey((r) => r.user)
  .flatMapGroupsWithState({ outputMode, outputSchema: out }, (key, rows) => [countEvents(String(key), rows)]);
const thenAggregate = (shape: Shape): Shape => (s, input) => shape(s, input).groupBy('user').agg(count(lit(1)).alias('calls'));

type Cell = 'accepted' | RegExp;
const rows: { shape: string; build: Shape; cells: Record<OutputMode, Cell> }[] = [
  {
    shape: 'a stateless query (select, filter)', build: stateless,
    cells: { append: 'accepted', update: 'accepted', complete: /Complete output mode not supported when there are no streaming aggregations on streaming DataFrames\/Datasets: .*use append or update mode/ },
  },
  {
    shape: 'a stream-static join (stateless)', build: streamStaticJoin,
    cells: { append: 'accepted', update: 'accepted', complete: /Complete output mode not supported when there are no streaming aggregations on streaming DataFrames\/Datasets/ },
  },
  {
    shape: 'an aggregation grouped by a window over a watermarked column', build: aggWithWatermark,
    cells: { append: 'accepted', update: 'accepted', complete: 'accepted' },
  },
  {
    shape: 'an aggregation without a watermarked grouping column', build: aggWithoutWatermark,
    cells: { append: /Append output mode not supported when there are streaming aggregations on streaming DataFrames\/DataSets without watermark: .*Add withWatermark/, update: 'accepted', complete: 'accepted' },
  },
  {
    shape: 'a session-window aggregation', build: sessionAgg,
    cells: { append: 'accepted', update: /Update output mode not supported for session window on streaming DataFrames\/DataSets: .*use append mode/, complete: 'accepted' },
  },
  {
    shape: 'mapGroupsWithState', build: mapGroups,
    cells: {
      append: /mapGroupsWithState is not supported with Append output mode on a streaming DataFrame\/Dataset: run the query with outputMode\('update'\)/,
      update: 'accepted',
      complete: /Complete output mode not supported when there are no streaming aggregations/,
    },
  },
  {
    shape: 'flatMapGroupsWithState in append mode', build: flatMapGroups('append'),
    cells: {
      append: 'accepted',
      update: /flatMapGroupsWithState in append mode is not supported with Update output mode on a streaming DataFrame\/Dataset: run the query with outputMode\('append'\)/,
      complete: /Complete output mode not supported when there are no streaming aggregations/,
    },
  },
  {
    shape: 'flatMapGroupsWithState in append mode followed by an aggregation', build: thenAggregate(flatMapGroups('append')),
    cells: {
      append: /Append output mode not supported when there are streaming aggregations on streaming DataFrames\/DataSets without watermark/,
      update: 'accepted',
      complete: 'accepted',
    },
  },
  {
    shape: 'flatMapGroupsWithState in update mode', build: flatMapGroups('update'),
    cells: {
      append: /flatMapGroupsWithState in update mode is not supported with Append output mode on a streaming DataFrame\/Dataset/,
      update: 'accepted',
      complete: /Complete output mode not supported when there are no streaming aggregations/,
    },
  },
  {
    shape: 'flatMapGroupsWithState in update mode followed by an aggregation', build: thenAggregate(flatMapGroups('update')),
    cells: {
      // Spark judges the output mode against the aggregation first.
      append: /Append output mode not supported when there are streaming aggregations on streaming DataFrames\/DataSets without watermark/,
      update: /flatMapGroupsWithState in update mode is not supported with aggregation on a streaming DataFrame\/Dataset: give flatMapGroupsWithState outputMode: 'append'/,
      complete: /flatMapGroupsWithState in update mode is not supported with aggregation/,
    },
  },
];

describe('the output-mode support matrix', () => {
  for (const row of rows) {
    for (const mode of ['append', 'update', 'complete'] as const) {
      const cell = row.cells[mode];
      if (cell === 'accepted') {
        it(`accepts ${row.shape} in ${mode} mode and runs it`, async () => {
          const spark = testSession();
          const input = new MemoryStream(spark, schema);
          const q = row.build(spark, input).writeStream.format('memory').queryName(`matrix_${mode}`).outputMode(mode).start();
          input.addData([{ ts: new Date('2024-01-01T10:00:00Z'), user: 'a', n: 1 }, { ts: new Date('2024-01-01T10:01:00Z'), user: 'b', n: 2 }]);
          await q.processAllAvailable();
          await q.stop();
          expect(q.exception()).toBeNull();
          expect(q.lastProgress?.numInputRows).toBeGreaterThanOrEqual(0);
          expect(q.recentProgress.reduce((a, p) => a + p.numInputRows, 0)).toBe(2);
        });
      } else {
        it(`rejects ${row.shape} in ${mode} mode at start(), saying what to do`, () => {
          const spark = testSession();
          const input = new MemoryStream(spark, schema);
          expect(() => row.build(spark, input).writeStream.format('memory').queryName('matrix').outputMode(mode).start()).toThrow(cell);
          expect(spark.streams.active).toEqual([]);
        });
      }
    }
  }

  describe('a stream-stream join', () => {
    const join = (spark: Session): LogicalPlan => {
      const left = new MemoryStream(spark, schema).toDF();
      const right = new MemoryStream(spark, T.struct([T.field('user2', T.string())])).toDF();
      return left.join(right, col('user').equalTo(col('user2'))).plan;
    };

    it('is accepted in append mode', () => {
      expect(() => checkStreamingQuery(join(testSession()), 'append')).not.toThrow();
    });

    it('is rejected in update mode, only append being supported', () => {
      expect(() => checkStreamingQuery(join(testSession()), 'update'))
        .toThrow(/Join between two streaming DataFrames\/Datasets is not supported in Update output mode, only in Append output mode/);
    });

    it('is rejected in complete mode, having no aggregation, and also when an aggregation follows it', () => {
      const spark = testSession();
      expect(() => checkStreamingQuery(join(spark), 'complete')).toThrow(/Complete output mode not supported when there are no streaming aggregations/);
      const left = new MemoryStream(spark, schema).toDF();
      const right = new MemoryStream(spark, T.struct([T.field('user2', T.string())])).toDF();
      const plan = left.join(right, col('user').equalTo(col('user2'))).groupBy('user').count().plan;
      expect(() => checkStreamingQuery(plan, 'complete'))
        .toThrow(/Join between two streaming DataFrames\/Datasets is not supported in Complete output mode, only in Append output mode/);
    });
  });
});

describe('other rules of the unsupported-operation checker', () => {
  it('rejects a union of a stream with a static frame, and runs a union of two streams', async () => {
    const spark = testSession();
    const one = T.struct([T.field('user', T.string())]);
    const a = new MemoryStream(spark, one);
    const b = new MemoryStream(spark, one);
    expect(() => a.toDF().union(spark.createDataFrame([{ user: 'x' }], one)).writeStream.format('console').start())
      .toThrow(/Union between streaming and batch DataFrames\/Datasets is not supported: read every side with readStream/);
    const q = a.toDF().union(b.toDF()).writeStream.format('memory').queryName('two_streams').start();
    a.addData([{ user: 'a1' }]);
    b.addData([{ user: 'b1' }, { user: 'b2' }]);
    await q.processAllAvailable();
    await q.stop();
    expect((await spark.table('two_streams').collect()).map((r) => r['user']).sort()).toEqual(['a1', 'b1', 'b2']);
  });

  it('rejects two mapGroupsWithState operators in one query', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const twice = mapGroups(spark, input).groupByKey((r) => r.user).mapGroupsWithState({ outputSchema: out }, (k, rs) => countEvents(String(k), rs));
    expect(() => twice.writeStream.format('console').outputMode('update').start()).toThrow(/Multiple mapGroupsWithStates are not supported/);
  });

  it('rejects mixing mapGroupsWithState and flatMapGroupsWithState', () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const mixed = mapGroups(spark, input).groupByKey((r) => r.user)
      .flatMapGroupsWithState({ outputMode: 'update', outputSchema: out }, (k, rs) => [countEvents(String(k), rs)]);
    expect(() => mixed.writeStream.format('console').outputMode('update').start()).toThrow(/Mixing mapGroupsWithStates and flatMapGroupsWithStates are not supported/);
  });

  it('accepts several flatMapGroupsWithState only when all are in append mode and the query too', () => {
    const spark = testSession();
    const twice = (mode: 'append' | 'update') => flatMapGroups(mode)(spark, new MemoryStream(spark, schema)).groupByKey((r) => r.user)
      .flatMapGroupsWithState({ outputMode: mode, outputSchema: out }, (k, rs) => [countEvents(String(k), rs)]);
    expect(() => twice('update').writeStream.format('console').outputMode('update').start())
      .toThrow(/Multiple flatMapGroupsWithStates are not supported when they are not all in append mode or the output mode is not append/);
    const q = twice('append').writeStream.format('console').outputMode('append').start();
    return q.stop();
  });

  it('rejects EventTimeTimeout without a watermark, with Spark message', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF().groupByKey((r) => r.user)
      .mapGroupsWithState({ outputSchema: out, timeout: GroupStateTimeout.EventTimeTimeout }, (k, rs) => countEvents(String(k), rs));
    expect(() => df.writeStream.format('console').outputMode('update').start()).toThrow(
      "Watermark must be specified in the query using '[Dataset/DataFrame].withWatermark()' for using event-time timeout in a mapGroupsWithState. Event-time timeout not supported without watermark.",
    );
  });

  it('rejects dropDuplicatesWithinWatermark without a watermark, and on a static frame', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF().dropDuplicatesWithinWatermark(['user']);
    expect(() => df.writeStream.format('console').start()).toThrow(/dropDuplicatesWithinWatermark is not supported on streaming DataFrames\/DataSets without watermark: call withWatermark/);
    const stat = spark.createDataFrame([{ user: 'a' }], T.struct([T.field('user', T.string())]));
    expect(() => stat.dropDuplicatesWithinWatermark(['user'])).toThrow(/not supported with batch DataFrames\/DataSets: use dropDuplicates/);
  });

  it('rejects a stateful operator after an aggregation in update mode, and accepts the same chain in append mode', async () => {
    const spark = testSession();
    const input = new MemoryStream(spark, schema);
    const chained = aggWithWatermark(spark, input).groupBy('window').agg(count(lit(1)).alias('users'));
    expect(() => chained.writeStream.format('console').outputMode('update').start())
      .toThrow(/Detected pattern of possible 'correctness' issue due to global watermark.*a streaming aggregation in Update output mode.*append mode/s);
    const q = chained.writeStream.format('memory').queryName('chained').outputMode('append').start();
    await q.processAllAvailable();
    await q.stop();
    expect(q.exception()).toBeNull();
  });

  it('rejects a stateful operator after flatMapGroupsWithState with EventTimeTimeout', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF().withWatermark('ts', '1 minute').groupByKey((r) => r.user)
      .flatMapGroupsWithState({ outputMode: 'append', outputSchema: out, timeout: GroupStateTimeout.EventTimeTimeout }, () => [])
      .groupBy('user').count();
    expect(() => df.writeStream.format('console').outputMode('update').start())
      .toThrow(/Detected pattern of possible 'correctness' issue.*flatMapGroupsWithState with EventTimeTimeout/s);
  });

  it('rejects a session-window aggregation without a watermark in append mode', () => {
    const spark = testSession();
    const df = new MemoryStream(spark, schema).toDF().groupBy(sessionWindow(col('ts'), '5 minutes'), col('user')).count();
    expect(() => df.writeStream.format('console').outputMode('append').start())
      .toThrow(/Append output mode not supported when there are streaming aggregations on streaming DataFrames\/DataSets without watermark: the aggregation grouped by \[user, session_window\]/);
  });

  it('refuses a flatMapGroupsWithState output mode other than append or update', () => {
    const spark = testSession();
    const grouped = new MemoryStream(spark, schema).toDF().groupByKey((r) => r.user);
    expect(() => grouped.flatMapGroupsWithState({ outputMode: 'complete' as 'update', outputSchema: out }, () => []))
      .toThrow(/The output mode of function should be append or update, got 'complete'/);
  });

  it('refuses an unknown output mode, naming the accepted ones', () => {
    const spark = testSession();
    expect(() => stateless(spark, new MemoryStream(spark, schema)).writeStream.outputMode('upsert'))
      .toThrow("Unknown output mode upsert. Accepted output modes are 'append', 'complete', 'update'");
  });
});
