"""Projections and filters with SQL expressions: the Spark side of projections.test.ts."""
from pyspark.sql import functions as F


def string_functions(src):
    return src.stream('people').selectExpr(
        'id',
        'upper(name) AS up', 'lower(name) AS low', 'length(name) AS len',
        "concat(name, '-', city) AS joined", "concat_ws('/', name, city) AS joined_ws",
        'substring(name, 2, 3) AS sub', 'trim(padded) AS trimmed', "lpad(name, 8, '*') AS padded_left",
        "rpad(name, 8, '.') AS padded_right", "regexp_replace(name, '[aeiou]', '_') AS no_vowels",
        "regexp_extract(email, '([a-z]+)@([a-z.]+)', 2) AS domain", "split(email, '@') AS parts",
        "replace(city, 'a', 'A') AS replaced", 'initcap(city) AS capitalised', 'reverse(name) AS backwards',
        "instr(name, 'a') AS first_a", "translate(name, 'ab', 'xy') AS translated",
        "substring_index(email, '.', 1) AS before_dot",
    ).where("name LIKE '%a%' OR city IS NULL")


def math_functions(src):
    return src.stream('people').selectExpr(
        'id', 'qty + 1 AS plus', 'qty * amount AS product', 'qty / 4 AS quotient', 'qty div 4 AS int_quotient',
        'qty % 4 AS remainder', 'pmod(qty - 10, 4) AS positive_mod', 'amount / 0 AS by_zero',
        'abs(amount - 50) AS distance', 'round(amount, 1) AS rounded', 'bround(amount, 1) AS banker',
        'floor(amount) AS down', 'ceil(amount) AS up', 'sqrt(qty) AS root', 'pow(qty, 2) AS squared',
        'greatest(qty, 5) AS at_least_5', 'least(qty, 5) AS at_most_5', 'signum(amount - 50) AS sign',
        'log10(amount) AS digits', '-qty AS negated',
    ).where('qty IS NOT NULL AND qty > 0')


def datetime_functions(src):
    return src.stream('people').selectExpr(
        'id', 'year(ts) AS y', 'month(ts) AS m', 'dayofmonth(ts) AS d', 'hour(ts) AS h', 'minute(ts) AS mi',
        'second(ts) AS s', "date_format(ts, 'yyyy-MM-dd HH:mm') AS formatted",
        'unix_timestamp(ts) AS epoch_seconds', "ts + INTERVAL 90 MINUTES AS later",
        "date_trunc('hour', ts) AS hour_start", "to_timestamp(stamp, 'dd/MM/yyyy HH:mm') AS parsed",
        "from_unixtime(unix_timestamp(ts), 'yyyy/MM/dd') AS round_trip", 'datediff(ts, TIMESTAMP \'2024-01-01 00:00:00\') AS days_since',
        'ts < TIMESTAMP \'2024-03-01 00:00:00\' AS before_march',
    )


def json_functions(src):
    return (src.stream('people')
            .select('id', F.from_json('payload', 'kind STRING, size INT, tags ARRAY<STRING>').alias('p'),
                    F.get_json_object('payload', '$.size').alias('size_text'))
            .selectExpr('id', 'p.kind AS kind', 'p.size * 2 AS double_size', 'size(p.tags) AS tag_count',
                        'p.tags[0] AS first_tag', 'size_text',
                        "to_json(named_struct('id', id, 'kind', p.kind)) AS back"))


def case_and_nulls(src):
    return src.stream('people').selectExpr(
        'id',
        "CASE WHEN qty IS NULL THEN 'none' WHEN qty < 3 THEN 'few' WHEN qty < 10 THEN 'some' ELSE 'many' END AS how_many",
        "CASE city WHEN 'Paris' THEN 1 WHEN 'Rome' THEN 2 END AS city_code",
        "coalesce(city, name, 'unknown') AS place", 'nvl(qty, -1) AS qty_or_minus_one',
        'nullif(qty, 3) AS not_three', "if(amount > 50, 'big', 'small') AS size_word",
        'qty IN (1, 3, 5) AS odd_small', 'qty BETWEEN 2 AND 6 AS mid', 'city = NULL AS eq_null',
        'city IS NULL AND qty > 100 AS and_null', 'city IS NOT NULL OR qty > 100 AS or_null',
        '(qty > 2) AND (city = \'Paris\') AS three_valued', 'NOT (qty > 2) AS negation',
        'city <=> NULL AS null_safe',
    ).where("qty IS NULL OR qty <> 7")


def casts(src):
    return src.stream('people').selectExpr(
        'id', 'CAST(code AS INT) AS code_int', 'CAST(code AS DOUBLE) AS code_double', 'CAST(code AS BIGINT) AS code_long',
        'CAST(code AS BOOLEAN) AS code_bool', 'CAST(amount AS INT) AS amount_int', 'CAST(amount AS STRING) AS amount_text',
        'CAST(qty AS STRING) AS qty_text', 'CAST(ts AS STRING) AS ts_text', 'CAST(ts AS BIGINT) AS ts_seconds',
        "CAST(stamp_iso AS TIMESTAMP) AS parsed", 'CAST(qty AS DOUBLE) / 3 AS third',
    )
