"""Tumbling, sliding and session windows with watermarks and late rows: the Spark side of windows.test.ts."""
from pyspark.sql import functions as F


def _events(src):
    return src.stream('events').withWatermark('ts', '10 minutes')


def tumbling_update(src):
    return _events(src).groupBy(F.window('ts', '10 minutes'), 'key').agg(
        F.sum('amount').alias('total'), F.count('*').alias('n'))


def tumbling_append(src):
    return (_events(src).groupBy(F.window('ts', '10 minutes'), 'key').agg(F.sum('amount').alias('total'))
            .select('window.start', 'window.end', 'key', 'total'))


def sliding_update(src):
    return _events(src).groupBy(F.window('ts', '10 minutes', '5 minutes')).agg(F.count('*').alias('n'))


def sliding_append(src):
    return _events(src).groupBy(F.window('ts', '15 minutes', '5 minutes'), 'key').agg(F.max('amount').alias('top'))


def start_time_complete(src):
    return (src.stream('events').groupBy(F.window('ts', '20 minutes', '20 minutes', '5 minutes'))
            .agg(F.sum('amount').alias('total')))


def session_append(src):
    return _events(src).groupBy(F.session_window('ts', '5 minutes'), 'key').agg(
        F.count('*').alias('n'), F.sum('amount').alias('total'))


def session_complete(src):
    return src.stream('events').groupBy('key', F.session_window('ts', '5 minutes')).agg(F.count('*').alias('n'))


def session_dynamic_gap_append(src):
    gap = F.expr("CASE WHEN key = 'a' THEN '2 minutes' ELSE '10 minutes' END")
    return _events(src).groupBy(F.session_window('ts', gap), 'key').agg(F.sum('amount').alias('total'))
