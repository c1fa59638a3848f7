"""Stream-static and stream-stream joins: the Spark side of joins.test.ts."""
from pyspark.sql import functions as F


def _orders(src):
    return src.stream('orders')


def static_inner(src):
    products = src.static('products')
    return (_orders(src).join(products, F.col('product') == F.col('id'))
            .select('order', 'name', (F.col('qty') * F.col('price')).alias('cost')))


def static_left_outer(src):
    products = src.static('products')
    return _orders(src).join(products, F.col('product') == F.col('id'), 'left_outer').select('order', 'product', 'name')


def static_left_anti(src):
    products = src.static('products')
    return _orders(src).join(products, F.col('product') == F.col('id'), 'left_anti')


def static_using_column(src):
    stock = src.static('stock')
    return _orders(src).join(stock, 'product').select('order', 'product', 'warehouse')


def _impressions(src):
    return src.stream('impressions').withWatermark('impTime', '10 minutes')


def _clicks(src):
    return src.stream('clicks').withWatermark('clickTime', '20 minutes')


CONDITION = 'clickAdId = adId AND clickTime >= impTime AND clickTime <= impTime + interval 15 minutes'


def stream_inner(src):
    return _impressions(src).join(_clicks(src), F.expr(CONDITION))


def stream_left_outer(src):
    return _impressions(src).join(_clicks(src), F.expr(CONDITION), 'left_outer')


def stream_right_outer(src):
    return _impressions(src).join(_clicks(src), F.expr(CONDITION), 'right_outer')


def stream_full_outer(src):
    return _impressions(src).join(_clicks(src), F.expr(CONDITION), 'full_outer')


def stream_left_semi(src):
    return _impressions(src).join(_clicks(src), F.expr(CONDITION), 'left_semi')


def stream_left_outer_right_watermark_only(src):
    return src.stream('impressions').join(_clicks(src), F.expr(CONDITION), 'left_outer')
