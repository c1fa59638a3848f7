// Projections and filters with SQL expressions (string, math, date-time, JSON, CASE, CAST, null
// semantics), in Spark (projections.py) and in spate, over the same three files.
import { col, fromJson, expr, callFunction } from '../../../src/index.js';
import { conformanceSuite } from '../support/conformance-case.js';
import type { StagedStream } from '../support/conformance-case.js';

const people: StagedStream = {
  schema: 'id INT, name STRING, city STRING, email STRING, padded STRING, qty INT, amount DOUBLE, ts TIMESTAMP, '
    + 'stamp STRING, stamp_iso STRING, payload STRING, code STRING',
  batches: [
    [
      { id: 1, name: 'alice', city: 'Paris', email: 'alice@mail.example.org', padded: '  a b  ', qty: 3, amount: 12.25,
        ts: '2024-02-28T23:59:30Z', stamp: '05/02/2024 10:05', stamp_iso: '2024-02-05 10:05:00', payload: '{"kind":"x","size":4,"tags":["t1","t2"]}', code: '42' },
      { id: 2, name: 'bob', city: null, email: 'bob@web.example.com', padded: '\tb', qty: null, amount: 99.5,
        ts: '2024-03-01T00:00:00Z', stamp: '31/12/2023 23:59', stamp_iso: '2024-02-05T10:05:00Z', payload: '{"kind":"y"}', code: ' 7 ' },
    ],
    [
      { id: 3, name: 'carla', city: 'Rome', email: 'c@it.example', padded: '', qty: 7, amount: 50, ts: '2024-01-01T00:00:00Z',
        stamp: 'not a date', stamp_iso: 'garbage', payload: 'not json', code: 'x1' },
      { id: 4, name: 'dan', city: 'Oslo', email: null, padded: null, qty: 12, amount: -3.5, ts: '2023-12-31T12:34:56Z',
        stamp: null, stamp_iso: '2024-02-29', payload: null, code: '3.9' },
      { id: 5, name: null, city: null, email: 'e@x.y', padded: 'e', qty: 1, amount: 0.125, ts: null,
        stamp: '01/01/2024 00:00', stamp_iso: null, payload: '{"kind":null,"size":"big","tags":[]}', code: 'true' },
    ],
    [
      { id: 6, name: 'anna', city: 'Paris', email: 'anna@a.b', padded: ' x ', qty: 2, amount: 1e-3, ts: '2024-06-15T06:07:08Z',
        stamp: '15/06/2024 06:07', stamp_iso: '2024-06-15 06:07:08.250', payload: '{"size":2,"tags":["only"]}', code: '-12' },
      // qty does not fit INT: the reader keeps the other fields (Spark 4's partial results)
      { id: 7, name: 'zed', city: 'Lima', email: 'z@l.pe', padded: 'z', qty: 'many', amount: 7, ts: '2024-06-15T06:07:09Z',
        stamp: null, stamp_iso: null, payload: '{"kind":"z","size":1} trailing', code: '' },
    ],
  ],
};

conformanceSuite('projections', [
  {
    name: 'string_functions',
    title: 'string functions and LIKE agree row for row',
    streams: { people },
    outputMode: 'append',
    query: ({ stream }) => stream('people').selectExpr(
      'id',
      'upper(name) AS up', 'lower(name) AS low', 'length(name) AS len',
      "concat(name, '-', city) AS joined", "concat_ws('/', name, city) AS joined_ws",
      'substring(name, 2, 3) AS sub', 'trim(padded) AS trimmed', "lpad(name, 8, '*') AS padded_left",
      "rpad(name, 8, '.') AS padded_right", "regexp_replace(name, '[aeiou]', '_') AS no_vowels",
      "regexp_extract(email, '([a-z]+)@([a-z.]+)', 2) AS domain", "split(email, '@') AS parts",
      "replace(city, 'a', 'A') AS replaced", 'initcap(city) AS capitalised', 'reverse(name) AS backwards',
      "instr(name, 'a') AS first_a", "translate(name, 'ab', 'xy') AS translated",
      "substring_index(email, '.', 1) AS before_dot",
    ).where("name LIKE '%a%' OR city IS NULL"),
  },
  {
    name: 'math_functions',
    title: 'arithmetic, division, rounding and math functions agree',
    streams: { people },
    outputMode: 'append',
    query: ({ stream }) => stream('people').selectExpr(
      'id', 'qty + 1 AS plus', 'qty * amount AS product', 'qty / 4 AS quotient', 'qty div 4 AS int_quotient',
      'qty % 4 AS remainder', 'pmod(qty - 10, 4) AS positive_mod', 'amount / 0 AS by_zero',
      'abs(amount - 50) AS distance', 'round(amount, 1) AS rounded', 'bround(amount, 1) AS banker',
      'floor(amount) AS down', 'ceil(amount) AS up', 'sqrt(qty) AS root', 'pow(qty, 2) AS squared',
      'greatest(qty, 5) AS at_least_5', 'least(qty, 5) AS at_most_5', 'signum(amount - 50) AS sign',
      'log10(amount) AS digits', '-qty AS negated',
    ).where('qty IS NOT NULL AND qty > 0'),
  },
  {
    name: 'datetime_functions',
    title: 'date-time functions, intervals and timestamp comparisons agree (UTC session)',
    streams: { people },
    outputMode: 'append',
    query: ({ stream }) => stream('people').selectExpr(
      'id', 'year(ts) AS y', 'month(ts) AS m', 'dayofmonth(ts) AS d', 'hour(ts) AS h', 'minute(ts) AS mi',
      'second(ts) AS s', "date_format(ts, 'yyyy-MM-dd HH:mm') AS formatted",
      'unix_timestamp(ts) AS epoch_seconds', 'ts + INTERVAL 90 MINUTES AS later',
      "date_trunc('hour', ts) AS hour_start", "to_timestamp(stamp, 'dd/MM/yyyy HH:mm') AS parsed",
      "from_unixtime(unix_timestamp(ts), 'yyyy/MM/dd') AS round_trip", "datediff(ts, TIMESTAMP '2024-01-01 00:00:00') AS days_since",
      "ts < TIMESTAMP '2024-03-01 00:00:00' AS before_march",
    ),
  },
  {
    name: 'json_functions',
    title: 'from_json (PERMISSIVE: malformed gives null), get_json_object and to_json agree',
    streams: { people },
    outputMode: 'append',
    query: ({ stream }) => stream('people')
      .select(col('id'), fromJson(col('payload'), 'kind STRING, size INT, tags ARRAY<STRING>').alias('p'),
        callFunction('get_json_object', col('payload'), expr("'$.size'")).alias('size_text'))
      .selectExpr('id', 'p.kind AS kind', 'p.size * 2 AS double_size', 'size(p.tags) AS tag_count',
        'p.tags[0] AS first_tag', 'size_text',
        "to_json(named_struct('id', id, 'kind', p.kind)) AS back"),
  },
  {
    name: 'case_and_nulls',
    title: 'CASE, coalesce, IN, BETWEEN and three-valued logic with nulls agree',
    streams: { people },
    outputMode: 'append',
    query: ({ stream }) => stream('people').selectExpr(
      'id',
      "CASE WHEN qty IS NULL THEN 'none' WHEN qty < 3 THEN 'few' WHEN qty < 10 THEN 'some' ELSE 'many' END AS how_many",
      "CASE city WHEN 'Paris' THEN 1 WHEN 'Rome' THEN 2 END AS city_code",
      "coalesce(city, name, 'unknown') AS place", 'nvl(qty, -1) AS qty_or_minus_one',
      'nullif(qty, 3) AS not_three', "if(amount > 50, 'big', 'small') AS size_word",
      'qty IN (1, 3, 5) AS odd_small', 'qty BETWEEN 2 AND 6 AS mid', 'city = NULL AS eq_null',
      'city IS NULL AND qty > 100 AS and_null', 'city IS NOT NULL OR qty > 100 AS or_null',
      "(qty > 2) AND (city = 'Paris') AS three_valued", 'NOT (qty > 2) AS negation',
      'city <=> NULL AS null_safe',
    ).where('qty IS NULL OR qty <> 7'),
  },
  {
    name: 'casts',
    title: 'CAST between strings, numbers, booleans and timestamps agrees (non-ANSI)',
    streams: { people },
    outputMode: 'append',
    query: ({ stream }) => stream('people').selectExpr(
      'id', 'CAST(code AS INT) AS code_int', 'CAST(code AS DOUBLE) AS code_double', 'CAST(code AS BIGINT) AS code_long',
      'CAST(code AS BOOLEAN) AS code_bool', 'CAST(amount AS INT) AS amount_int', 'CAST(amount AS STRING) AS amount_text',
      'CAST(qty AS STRING) AS qty_text', 'CAST(ts AS STRING) AS ts_text', 'CAST(ts AS BIGINT) AS ts_seconds',
      'CAST(stamp_iso AS TIMESTAMP) AS parsed', 'CAST(qty AS DOUBLE) / 3 AS third',
    ),
  },
]);
