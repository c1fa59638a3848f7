// The queries the cluster tests run on worker processes and in one process, from a Kafka topic:
//   words:  the notes' word count (update mode): lines in, (word, count) out as key and value;
//   trades: the notes' trades windows with a watermark (append mode): JSON trades in, each
//           closed 15-minute window out once, keyed by its start, BUY and SELL sums as JSON;
//   lines:  stateless (append mode): each non-empty line upper-cased, with its source partition and offset;
//   ads:    the notes' stream-stream join (append mode): ad impressions (the input topic) left
//           outer joined with clicks (the clicks topic) within an hour, 10-minute watermarks on
//           both; each joined or null-padded row out once, keyed by the ad, the row as JSON;
//   events: dropDuplicates on (id, time) with a 10-minute watermark (append mode): JSON events
//           in, each event out once, keyed by its id, its time as the value;
//   regions: the events inner joined with a static DataFrame of regions by id (a stream-static
//           join before the keyed step; ids without a region dropped), then as events, the value
//           {"region", "time"} as JSON;
//   sessions: session windows (5-minute gap) per id with a 10-minute watermark (append mode):
//           JSON events in, each closed session out once, keyed by its id, start, end and count as JSON;
//   visits: flatMapGroupsWithState per id with an event-time timeout (append mode): each id's
//           events counted until 15 minutes of event time pass without one (the watermark, 10
//           minutes behind), then its visit out once, keyed by its id, first and last time and count as JSON;
//   tallies: mapGroupsWithState per id without a timeout (update mode): each id's running count
//           of events out once per epoch with events of it.
import type { DataFrame, GroupState, OutputMode, Session } from '../../../src/index.js';
import { GroupStateTimeout, col, count, expr, explode, fromJson, sessionWindow, split, struct, sum, toJson, toTimestamp, types as T, window } from '../../../src/index.js';

export type QueryName = 'words' | 'trades' | 'ads' | 'events' | 'lines' | 'regions' | 'sessions' | 'visits' | 'tallies';

export const OUTPUT_MODE: Record<QueryName, OutputMode> = { words: 'update', trades: 'append', ads: 'append', events: 'append', lines: 'append', regions: 'append', sessions: 'append', visits: 'append', tallies: 'update' };

export function queryOf(name: QueryName, spark: Session, c: WordCountSource): DataFrame {
  return name === 'words' ? wordCount(spark, c) : name === 'trades' ? tradesWindows(spark, c) : name === 'ads' ? adClicks(spark, c)
    : name === 'events' ? distinctEvents(spark, c) : name === 'regions' ? regionEvents(spark, c)
    : name === 'sessions' ? eventSessions(spark, c) : name === 'visits' ? eventVisits(spark, c)
    : name === 'tallies' ? eventTallies(spark, c) : upperLines(spark, c);
}

export function upperLines(spark: Session, c: WordCountSource): DataFrame {
  return spark.readStream.format('kafka')
    .option('kafka.bootstrap.servers', c.brokers).option('subscribe', c.input)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', c.maxOffsetsPerTrigger).load()
    .selectExpr('partition', 'offset', 'CAST(value AS STRING) AS line')
    .filter("line != ''")
    .selectExpr('partition', 'offset', 'upper(line) AS line');
}

export interface WordCountSource {
  readonly brokers: string;
  readonly input: string;
  /** The clicks topic of the ads query. */
  readonly clicks?: string;
  readonly maxOffsetsPerTrigger: number;
}

function kafkaValues(spark: Session, c: WordCountSource, topic = c.input): DataFrame {
  return spark.readStream.format('kafka')
    .option('kafka.bootstrap.servers', c.brokers).option('subscribe', topic)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', c.maxOffsetsPerTrigger).load()
    .selectExpr('CAST(value AS STRING) AS value');
}

const TRADE = T.struct([
  T.field('CreatedTime', T.string()), T.field('Type', T.string()), T.field('Amount', T.integer()), T.field('BrokerCode', T.string()),
]);

export function tradesWindows(spark: Session, c: WordCountSource): DataFrame {
  return kafkaValues(spark, c)
    .select(fromJson(col('value'), TRADE).alias('t')).select('t.*')
    .withColumn('CreatedTime', toTimestamp(col('CreatedTime'), 'yyyy-MM-dd HH:mm:ss'))
    .withWatermark('CreatedTime', '30 minutes')
    .groupBy(window(col('CreatedTime'), '15 minutes'))
    .agg(sum(expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
      sum(expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
    .select(col('window.start').cast('string').alias('key'), toJson(struct(col('BUY'), col('SELL'))).alias('value'));
}

export function wordCount(spark: Session, c: WordCountSource): DataFrame {
  return spark.readStream.format('kafka')
    .option('kafka.bootstrap.servers', c.brokers).option('subscribe', c.input)
    .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', c.maxOffsetsPerTrigger).load()
    .selectExpr('CAST(value AS STRING) AS line')
    .select(explode(split(col('line'), ' ')).alias('word'))
    .groupBy('word').count()
    .select(col('word').alias('key'), col('count').cast('string').alias('value'));
}


const AD_EVENT = T.struct([T.field('adId', T.string()), T.field('time', T.string())]);

/** Impressions or clicks as JSON { adId, time: 'yyyy-MM-dd HH:mm:ss' }, as (<side>AdId, <side>Time) with a 10-minute watermark. */
function adEvents(spark: Session, c: WordCountSource, topic: string, side: 'impression' | 'click'): DataFrame {
  return kafkaValues(spark, c, topic)
    .select(fromJson(col('value'), AD_EVENT).alias('e'))
    .select(col('e.adId').alias(`${side}AdId`), toTimestamp(col('e.time'), 'yyyy-MM-dd HH:mm:ss').alias(`${side}Time`))
    .withWatermark(`${side}Time`, '10 minutes');
}

export function adClicks(spark: Session, c: WordCountSource): DataFrame {
  if (!c.clicks) throw new Error('the ads query needs a clicks topic');
  return adEvents(spark, c, c.input, 'impression')
    .join(adEvents(spark, c, c.clicks, 'click'),
      expr('clickAdId = impressionAdId AND clickTime >= impressionTime AND clickTime <= impressionTime + interval 1 hour'), 'leftOuter')
    .select(col('impressionAdId').alias('key'),
      toJson(struct(col('impressionTime').cast('string').alias('impression'), col('clickTime').cast('string').alias('click'))).alias('value'));
}

export function distinctEvents(spark: Session, c: WordCountSource): DataFrame {
  return kafkaValues(spark, c)
    .select(fromJson(col('value'), AD_EVENT).alias('e'))
    .select(col('e.adId').alias('id'), toTimestamp(col('e.time'), 'yyyy-MM-dd HH:mm:ss').alias('time'))
    .withWatermark('time', '10 minutes')
    .dropDuplicates(['id', 'time'])
    .select(col('id').alias('key'), col('time').cast('string').alias('value'));
}

/** The static side of the regions query: ids ev-0 .. ev-29, each but every fourth one with a region. */
export const REGIONS: readonly { readonly regionId: string; readonly region: string }[] = Array.from({ length: 30 }, (_, i) => i)
  .filter((i) => i % 4 !== 3).map((i) => ({ regionId: `ev-${i}`, region: ['north', 'south', 'east'][i % 3]! }));

export function regionEvents(spark: Session, c: WordCountSource): DataFrame {
  const regions = spark.createDataFrame([...REGIONS], T.struct([T.field('regionId', T.string()), T.field('region', T.string())]));
  return kafkaValues(spark, c)
    .select(fromJson(col('value'), AD_EVENT).alias('e'))
    .select(col('e.adId').alias('id'), toTimestamp(col('e.time'), 'yyyy-MM-dd HH:mm:ss').alias('time'))
    .join(regions, expr('id = regionId'), 'inner')
    .withWatermark('time', '10 minutes')
    .dropDuplicates(['id', 'time'])
    .select(col('id').alias('key'), toJson(struct(col('region'), col('time').cast('string').alias('time'))).alias('value'));
}

export function eventSessions(spark: Session, c: WordCountSource): DataFrame {
  return kafkaValues(spark, c)
    .select(fromJson(col('value'), AD_EVENT).alias('e'))
    .select(col('e.adId').alias('id'), toTimestamp(col('e.time'), 'yyyy-MM-dd HH:mm:ss').alias('time'))
    .withWatermark('time', '10 minutes')
    .groupBy(sessionWindow(col('time'), '5 minutes'), col('id'))
    .agg(count('*').alias('n'))
    .select(col('id').alias('key'), toJson(struct(col('session_window.start').cast('string').alias('start'),
      col('session_window.end').cast('string').alias('end'), col('n'))).alias('value'));
}

interface Visit { first: number; last: number; n: number }

export function eventVisits(spark: Session, c: WordCountSource): DataFrame {
  return kafkaValues(spark, c)
    .select(fromJson(col('value'), AD_EVENT).alias('e'))
    .select(col('e.adId').alias('id'), toTimestamp(col('e.time'), 'yyyy-MM-dd HH:mm:ss').alias('time'))
    .withWatermark('time', '10 minutes')
    .groupByKey((r) => r['id'] as string)
    .flatMapGroupsWithState({
      outputMode: 'append', timeout: GroupStateTimeout.EventTimeTimeout,
      outputSchema: T.struct([T.field('key', T.string()), T.field('value', T.string())]),
    }, (id: string, rows, state: GroupState<Visit>) => {
      const out = (v: Visit): { key: string; value: string } =>
        ({ key: id, value: JSON.stringify({ first: new Date(v.first).toISOString(), last: new Date(v.last).toISOString(), n: v.n }) });
      if (state.hasTimedOut) {
        const v = state.get();
        state.remove();
        return [out(v)];
      }
      // The epoch's rows in time order: a gap over 15 minutes ends a visit here, before any timeout.
      const closed: Visit[] = [];
      let v = state.getOption();
      for (const t of rows.map((r) => (r['time'] as Date).getTime()).sort((a, b) => a - b)) {
        if (v && t > v.last + 15 * 60_000) {
          closed.push(v);
          v = undefined;
        }
        v = v ? { first: Math.min(v.first, t), last: Math.max(v.last, t), n: v.n + 1 } : { first: t, last: t, n: 1 };
      }
      state.update(v!);
      state.setTimeoutTimestamp(v!.last, '15 minutes');
      return closed.map(out);
    });
}

export function eventTallies(spark: Session, c: WordCountSource): DataFrame {
  return kafkaValues(spark, c)
    .select(fromJson(col('value'), AD_EVENT).alias('e'))
    .select(col('e.adId').alias('id'))
    .groupByKey((r) => r['id'] as string)
    .mapGroupsWithState({ outputSchema: T.struct([T.field('key', T.string()), T.field('value', T.string())]) },
      (id: string, rows, state: GroupState<number>) => {
        state.update((state.getOption() ?? 0) + rows.length);
        return { key: id, value: String(state.get()) };
      });
}
