"""Chained stateful operators in append mode: the Spark side of chained.test.ts."""
from pyspark.sql import functions as F


def join_then_window(src):
    imps = src.stream('impressions').withWatermark('impTime', '10 minutes')
    clicks = src.stream('clicks').withWatermark('clickTime', '20 minutes')
    joined = imps.join(clicks, F.expr('clickAdId = adId AND clickTime >= impTime AND clickTime <= impTime + interval 15 minutes'))
    return joined.groupBy(F.window('clickTime', '30 minutes')).agg(F.count('*').alias('clicks'))


def window_then_window(src):
    per_key = (src.stream('events').withWatermark('ts', '10 minutes')
               .groupBy(F.window('ts', '5 minutes'), 'key').agg(F.sum('amount').alias('total')))
    return per_key.groupBy(F.window('window', '20 minutes')).agg(F.sum('total').alias('total'), F.count('*').alias('groups'))


def dedup_then_window(src):
    return (src.stream('events').withWatermark('ts', '10 minutes').dropDuplicates(['key', 'ts'])
            .groupBy(F.window('ts', '10 minutes')).agg(F.count('*').alias('n')))
