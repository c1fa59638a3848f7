"""Streaming aggregations in complete, update and append mode: the Spark side of aggregations.test.ts."""
from pyspark.sql import functions as F


def per_key_complete(src):
    return src.stream('sales').groupBy('key').agg(
        F.count('*').alias('n'), F.sum('amount').alias('total'), F.avg('amount').alias('mean'),
        F.min('amount').alias('low'), F.max('amount').alias('high'), F.sum('price').alias('revenue'))


def per_key_update(src):
    return src.stream('sales').groupBy('key').agg(F.count('*').alias('n'), F.sum('amount').alias('total'))


def global_complete(src):
    return src.stream('sales').agg(F.count('*').alias('n'), F.sum('amount').alias('total'),
                                   F.count('category').alias('with_category'), F.max('price').alias('top_price'))


def default_names_complete(src):
    return src.stream('sales').groupBy('category').count()


def more_functions_complete(src):
    return src.stream('sales').groupBy('category').agg(
        F.sort_array(F.collect_list('key')).alias('keys'), F.sort_array(F.collect_set('key')).alias('distinct_keys'),
        F.expr('count_if(amount > 2)').alias('big'), F.approx_count_distinct('key').alias('approx_keys'),
        F.max_by('key', 'amount').alias('key_of_max'), F.min_by('key', 'price').alias('cheapest'),
        F.expr('bool_and(amount > 0)').alias('all_positive'), F.stddev('amount').alias('sd'))


def expression_keys_update(src):
    return (src.stream('sales').groupBy(F.upper('category').alias('cat'), (F.col('amount') % 2 == 0).alias('even'))
            .agg(F.sum('price').alias('revenue'))
            .where('revenue > 5'))


def append_with_watermark(src):
    return (src.stream('sales').withWatermark('ts', '10 minutes')
            .groupBy('ts', 'key').agg(F.sum('amount').alias('total')))


def global_update(src):
    return src.stream('sales').agg(F.count('*').alias('n'), F.sum('amount').alias('total'))


def global_update_watermarked(src):
    return src.stream('sales').withWatermark('ts', '10 minutes').agg(F.count('*').alias('n'), F.max('ts').alias('latest'))
