"""Apache Spark as the benchmarks' peer: one workload, in local[N], over JSON-lines files.

    python spark_peer.py <workload> <input folder> <cores> [<static folder>]

The input folder holds `warmup/` (the first batch again) and `batches/` (one file per micro-batch,
modification times increasing). A warm-up query over `warmup/` lets the JVM compile the hot
code first; then the workload runs over `batches/` with maxFilesPerTrigger=1 under
Trigger.AvailableNow into the noop sink, and the time from start() to termination is measured.
Prints one line `RESULT {json}`: events, ms, output rows, session start-up, and the peak RSS of
the JVM (VmHWM) plus this driver.
"""
import json
import os
import sys
import tempfile
import time

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

W_SCHEMA = 'eventTime TIMESTAMP, key STRING, amount INT'
TRADE_SCHEMA = 'CreatedTime TIMESTAMP, Type STRING, Amount INT, BrokerCode STRING'
YAHOO_SCHEMA = ('user_id STRING, page_id STRING, ad_id STRING, ad_type STRING, event_type STRING, '
                'event_time STRING, ip_address STRING')


def windowed_sum(spark, folder, _static):
    events = spark.readStream.schema(W_SCHEMA).option('maxFilesPerTrigger', 1).json(folder)
    query = events.groupBy(F.window('eventTime', '10 seconds'), 'key').agg(F.sum('amount').alias('total'))
    return query, 'update'


def yahoo(spark, folder, static):
    ads = spark.read.schema('ad_id STRING, campaign_id STRING').json(static)
    events = (spark.readStream.option('maxFilesPerTrigger', 1).text(folder)
              .select(F.from_json('value', YAHOO_SCHEMA).alias('e')).select('e.*'))
    query = (events.where(F.col('event_type') == 'view').join(ads, 'ad_id')
             .groupBy(F.window(F.expr('timestamp_millis(cast(event_time as long))'), '10 seconds'), 'campaign_id')
             .count())
    return query, 'update'


def trades_window(spark, folder, _static):
    trades = spark.readStream.schema(TRADE_SCHEMA).option('maxFilesPerTrigger', 1).json(folder)
    query = (trades.withWatermark('CreatedTime', '30 minutes')
             .groupBy(F.window('CreatedTime', '15 minutes'), 'BrokerCode')
             .agg(F.sum(F.expr("case when Type == 'BUY' then Amount end")).alias('BUY'),
                  F.sum(F.expr("case when Type == 'SELL' then Amount end")).alias('SELL'))
             .select('window.*', 'BrokerCode', 'BUY', 'SELL'))
    return query, 'append'


WORKLOADS = {'windowed-sum': windowed_sum, 'yahoo': yahoo, 'trades-window': trades_window}


def run(spark, workload, folder, static):
    query, mode = WORKLOADS[workload](spark, folder, static)
    with tempfile.TemporaryDirectory() as checkpoint:
        started = time.monotonic()
        q = (query.writeStream.format('noop').outputMode(mode).option('checkpointLocation', checkpoint)
             .trigger(availableNow=True).start())
        q.awaitTermination()
        ms = (time.monotonic() - started) * 1000
    progress = [json.loads(p.json) for p in q.recentProgress]
    return {
        'ms': ms,
        'events': sum(p['numInputRows'] for p in progress),
        'outputRows': sum(max(0, p['sink'].get('numOutputRows', 0)) for p in progress),
        'batches': len(progress),
    }


def peak_rss_mib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmHWM:'):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    workload, folder, cores = sys.argv[1], sys.argv[2], int(sys.argv[3])
    static = sys.argv[4] if len(sys.argv) > 4 else None
    started = time.monotonic()
    spark = (SparkSession.builder.master(f'local[{cores}]').appName(f'spate-peer-{workload}')
             .config('spark.ui.enabled', 'false').config('spark.ui.showConsoleProgress', 'false')
             .config('spark.sql.shuffle.partitions', str(cores))
             .config('spark.sql.session.timeZone', 'UTC')
             .config('spark.driver.extraJavaOptions', '-Duser.timezone=UTC')
             .config('spark.driver.memory', '2g')
             .config('spark.driver.host', '127.0.0.1').config('spark.driver.bindAddress', '127.0.0.1')
             .getOrCreate())
    spark.sparkContext.setLogLevel('ERROR')
    startup_ms = (time.monotonic() - started) * 1000
    try:
        run(spark, workload, os.path.join(folder, 'warmup'), static)
        result = run(spark, workload, os.path.join(folder, 'batches'), static)
        jvm = spark.sparkContext._gateway.proc.pid
        result['peakRssMiB'] = peak_rss_mib(jvm) + peak_rss_mib(os.getpid())
        result['startupMs'] = startup_ms
    finally:
        spark.stop()
    print('RESULT ' + json.dumps(result), flush=True)


if __name__ == '__main__':
    main()
