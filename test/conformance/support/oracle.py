"""The conformance suite's Apache Spark side: one SparkSession for a whole test run.

Started once by the suite's jest globalSetup, it prints `READY <port>` on stdout once the session
is up, then serves requests on 127.0.0.1:<port>, one at a time (one Spark session runs one query
at a time). A request is one JSON line and gets one JSON line back. It names a case: a function
of test/conformance/cases/<family>.py, called with a `Sources` object that reads the staged input;
the function returns the streaming DataFrame, which runs to completion under Trigger.AvailableNow
with every micro-batch collected through foreachBatch, normalised inside Spark (timestamps to epoch
microseconds, decimals to strings, binary to base64) so that both sides compare as plain JSON.
Every request carries the token the suite gave this process in SPATE_ORACLE_TOKEN.
"""
import glob
import importlib
import json
import math
import os
import socketserver
import sys
import time
import traceback

CASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'cases')
MAX_SAFE_INTEGER = 2 ** 53


def build_session():
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(os.environ.get('SPATE_ORACLE_MASTER', 'local[2]'))
        .appName('spate-conformance')
        .config('spark.ui.enabled', 'false')
        .config('spark.ui.showConsoleProgress', 'false')
        .config('spark.sql.shuffle.partitions', '2')
        .config('spark.sql.session.timeZone', 'UTC')
        .config('spark.driver.extraJavaOptions', '-Duser.timezone=UTC')
        .config('spark.executor.extraJavaOptions', '-Duser.timezone=UTC')
        .config('spark.driver.host', '127.0.0.1')
        .config('spark.driver.bindAddress', '127.0.0.1')
        .config('spark.sql.streaming.stopTimeout', '60s')
        # spate implements Spark's non-ANSI semantics (docs/differences-from-spark.md)
        .config('spark.sql.ansi.enabled', 'false')
    )
    jars_dir = os.environ.get('SPARK_KAFKA_JARS')
    if jars_dir:
        jars = sorted(glob.glob(os.path.join(jars_dir, '*.jar')))
        builder = builder.config('spark.jars', ','.join(jars))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel('ERROR')
    return spark


class Sources:
    """What a case reads: the staged streams, static tables and Kafka topics of its request."""

    def __init__(self, spark, request):
        self.spark = spark
        self.request = request

    def stream(self, name):
        s = self.request['streams'][name]
        return (self.spark.readStream.format('json').schema(s['schema'])
                .option('maxFilesPerTrigger', 1).load(s['path']))

    def static(self, name):
        s = self.request['statics'][name]
        return self.spark.read.format('json').schema(s['schema']).load(s['path'])

    def kafka(self, name):
        k = self.request['kafka'][name]
        return (self.spark.readStream.format('kafka')
                .option('kafka.bootstrap.servers', k['bootstrap'])
                .option('subscribe', k['topic'])
                .option('startingOffsets', 'earliest')
                .option('maxOffsetsPerTrigger', k['maxOffsetsPerTrigger'])
                .load())


def normalised(df):
    """The frame with every value in a JSON-comparable form, computed inside Spark."""
    from pyspark.sql import functions as F
    return df.select(*[norm(F.col(f'`{f.name}`'), f.dataType).alias(f.name) for f in df.schema.fields])


def norm(c, dt):
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
    if isinstance(dt, (T.TimestampType, T.TimestampNTZType)):
        return F.unix_micros(c.cast('timestamp'))
    if isinstance(dt, T.DateType):
        return F.unix_micros(c.cast('timestamp'))
    if isinstance(dt, T.DecimalType):
        return c.cast('string')
    if isinstance(dt, T.BinaryType):
        return F.base64(c)
    if isinstance(dt, T.StructType):
        fields = [norm(c[f.name], f.dataType).alias(f.name) for f in dt.fields]
        return F.when(c.isNull(), F.lit(None)).otherwise(F.struct(*fields))
    if isinstance(dt, T.ArrayType):
        return F.transform(c, lambda x: norm(x, dt.elementType))
    if isinstance(dt, T.MapType):
        return F.transform_values(c, lambda _k, v: norm(v, dt.valueType))
    return c


def plain(v):
    """A collected value as JSON: rows as objects, NaN and infinities as strings, longs above 2^53 as strings."""
    from pyspark.sql import Row
    if isinstance(v, Row):
        return {k: plain(x) for k, x in v.asDict(recursive=False).items()}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v) if abs(v) > MAX_SAFE_INTEGER else v
    if isinstance(v, float):
        if math.isnan(v):
            return 'NaN'
        if math.isinf(v):
            return 'Infinity' if v > 0 else '-Infinity'
        return v
    return str(v)


def progress_figures(p):
    """The per-batch figures the suite compares, from Spark's progress JSON."""
    j = json.loads(p.json)
    return {
        'batchId': j['batchId'],
        'numInputRows': j['numInputRows'],
        'watermark': (j.get('eventTime') or {}).get('watermark'),
        'stateOperators': [
            {k: op.get(k) for k in ('operatorName', 'numRowsTotal', 'numRowsUpdated', 'numRowsDroppedByWatermark')}
            for op in j.get('stateOperators', [])
        ],
    }


def run_case(spark, request):
    module = importlib.import_module(request['module'])
    case = getattr(module, request['case'], None)
    if case is None or request['case'].startswith('_'):
        raise ValueError(f"no case {request['case']} in cases/{request['module']}.py")
    conf = request.get('conf', {})
    previous = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    try:
        df = case(Sources(spark, request))
        batches = []

        def collect(batch_df, batch_id):
            rows = [plain(r) for r in normalised(batch_df).collect()]
            batches.append({'batchId': batch_id, 'rows': rows})

        started = time.monotonic()
        query = (df.writeStream.outputMode(request['outputMode'])
                 .option('checkpointLocation', request['checkpoint'])
                 .foreachBatch(collect)
                 .trigger(availableNow=True)
                 .start())
        query.awaitTermination()
        seconds = time.monotonic() - started
        return {
            'schema': df.schema.simpleString(),
            'batches': sorted(batches, key=lambda b: b['batchId']),
            'progress': [progress_figures(p) for p in query.recentProgress],
            'seconds': seconds,
        }
    finally:
        for k, v in previous.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)


def serve(spark, token):
    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            line = self.rfile.readline()
            try:
                request = json.loads(line)
                if request.get('token') != token:
                    reply = {'error': 'wrong token'}
                elif request.get('op') == 'stop':
                    self.wfile.write(b'{"stopped":true}\n')
                    self.server.stopping = True
                    return
                elif request.get('op') == 'ping':
                    reply = {'pong': True, 'version': spark.version}
                else:
                    reply = run_case(spark, request)
            except Exception as e:  # the failure goes back to the test that asked
                reply = {'error': f'{type(e).__name__}: {str(e)[:3000]}', 'trace': traceback.format_exc()[-3000:]}
            self.wfile.write((json.dumps(reply) + '\n').encode())

    class Server(socketserver.TCPServer):
        allow_reuse_address = True
        stopping = False

    with Server(('127.0.0.1', 0), Handler) as server:
        print(f'READY {server.server_address[1]}', flush=True)
        while not server.stopping:
            server.handle_request()


def main():
    token = os.environ['SPATE_ORACLE_TOKEN']
    sys.path.insert(0, os.path.abspath(CASES_DIR))
    started = time.monotonic()
    spark = build_session()
    print(f'session started in {time.monotonic() - started:.1f} s, Spark {spark.version}', file=sys.stderr, flush=True)
    try:
        serve(spark, token)
    finally:
        spark.stop()


if __name__ == '__main__':
    main()
