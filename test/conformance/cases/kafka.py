"""Spark's own Kafka source over a real broker: the Spark side of kafka.test.ts."""
from pyspark.sql import functions as F


def kafka_rows(src):
    return src.kafka('events').selectExpr(
        'CAST(key AS STRING) AS user', 'CAST(value AS STRING) AS text', 'partition', 'offset', 'timestamp', 'timestampType')


def kafka_windowed_sum(src):
    events = (src.kafka('events')
              .select(F.col('key').cast('string').alias('user'),
                      F.from_json(F.col('value').cast('string'), 'ts TIMESTAMP, amount INT').alias('e'))
              .select('user', 'e.*'))
    return (events.withWatermark('ts', '10 minutes').groupBy(F.window('ts', '10 minutes'), 'user')
            .agg(F.sum('amount').alias('total'), F.count('*').alias('n')))
