"""dropDuplicates and dropDuplicatesWithinWatermark: the Spark side of dedup.test.ts."""


def keys_without_watermark(src):
    return src.stream('events').dropDuplicates(['key'])


def all_columns_without_watermark(src):
    return src.stream('events').dropDuplicates()


def with_watermark(src):
    return src.stream('events').withWatermark('ts', '10 minutes').dropDuplicates(['key', 'ts'])


def within_watermark(src):
    return src.stream('events').withWatermark('ts', '10 minutes').dropDuplicatesWithinWatermark(['key'])
