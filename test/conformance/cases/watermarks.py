"""Two streams with their own watermarks under the min and max policies: the Spark side of watermarks.test.ts."""
from pyspark.sql import functions as F


def _union(src):
    left = src.stream('left').withWatermark('ts', '10 minutes')
    right = src.stream('right').withWatermark('ts', '5 minutes')
    return left.union(right)


def union_min_policy(src):
    return _union(src).groupBy(F.window('ts', '10 minutes')).agg(F.count('*').alias('n'), F.sum('v').alias('total'))


def union_max_policy(src):
    return _union(src).groupBy(F.window('ts', '10 minutes')).agg(F.count('*').alias('n'), F.sum('v').alias('total'))


def union_max_policy_update(src):
    return _union(src).groupBy(F.window('ts', '10 minutes'), 'v').count()
