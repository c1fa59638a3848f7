import avro from 'avsc';
import { col, fromAvro } from '../../../src/index.js';
import { ParseError } from '../../../src/errors.js';
import { MALFORMED } from '../../../src/expr/bound.js';
import { jsonRecordParser } from '../../../src/expr/functions/json.js';
import { parseSchemaDDL } from '../../../src/expr/parser.js';
import { evaluate, evaluateTree } from './support.js';

const invalid = new Date(NaN);

describe('values out of range', () => {
  it('make a JSON record with a timestamp beyond year 9999 malformed in every mode', () => {
    const schema = parseSchemaDDL('ts TIMESTAMP, n INT');
    const text = '{"ts": 99999999999999, "n": 2}';
    // Spark 4 keeps the fields that parsed (spark.sql.json.enablePartialResults): only ts is null.
    expect(jsonRecordParser(schema, { mode: 'PERMISSIVE' })(text)).toEqual({ ts: null, n: 2 });
    expect(jsonRecordParser(schema, { mode: 'DROPMALFORMED' })(text)).toBe(MALFORMED);
    expect(() => jsonRecordParser(schema, { mode: 'FAILFAST' })(text))
      .toThrow('a timestamp expected, got the number 99999999999999, which is out of range (years 0001 to 9999)');
    expect(jsonRecordParser(schema, { mode: 'DROPMALFORMED' })('{"ts": "10000-01-01 00:00:00", "n": 1}')).toBe(MALFORMED);
    expect(jsonRecordParser(schema, { mode: 'DROPMALFORMED' })('{"ts": 1700000000, "n": 1}')).toEqual({ ts: new Date(1_700_000_000_000), n: 1 });
  });

  it('make a JSON double beyond a double\'s range malformed, while NaN and Infinity stay values', () => {
    const parse = jsonRecordParser(parseSchemaDDL('x DOUBLE'), { mode: 'DROPMALFORMED' });
    expect(parse('{"x": 1e400}')).toBe(MALFORMED);
    expect(parse('{"x": -1e400}')).toBe(MALFORMED);
    expect(parse('{"x": Infinity}')).toEqual({ x: Infinity });
    expect(parse('{"x": 1e300}')).toEqual({ x: 1e300 });
  });

  it('give null, never an Invalid Date, from CAST and the timestamp functions', () => {
    expect(evaluate('cast(99999999999999 as timestamp)')).toBeNull();
    expect(evaluate("cast('0000-01-01' as timestamp)")).toBeNull();
    expect(evaluate('timestamp_millis(9999999999999999)')).toBeNull();
    expect(evaluate('timestamp_seconds(1e300)')).toBeNull();
    expect(evaluate("to_timestamp('99999-01-01', 'yyyyy-MM-dd')")).toBeNull();
    expect(evaluate("date_add(cast('9999-12-31' as timestamp), 1)")).toBeNull();
    expect(evaluate("cast('9999-12-31 23:00:00' as timestamp) + interval 2 hours")).toBeNull();
    expect(evaluate("from_unixtime(99999999999999)")).toBeNull();
    expect(evaluate("date_format(cast('9999-12-31 23:00:00' as timestamp), 'yyyy')")).toBe('9999');
  });

  it('give null, never NaN or an exception, for an Invalid Date that user code put in a row', () => {
    const ddl = 'd TIMESTAMP';
    for (const sql of ["date_format(d, 'yyyy-MM-dd')", 'cast(d as string)', 'cast(d as long)', 'cast(d as double)', 'year(d)', 'unix_millis(d)', 'd + interval 1 hour']) {
      expect([sql, evaluate(sql, { d: invalid }, ddl)]).toEqual([sql, null]);
    }
  });

  it('refuse a numeric literal beyond a double\'s range with a ParseError', () => {
    expect(() => evaluate('1e400')).toThrow(ParseError);
    expect(() => evaluate('1e400')).toThrow('numeric literal 1e400 is out of range for DOUBLE');
    expect(() => evaluate('-1e400d')).toThrow('numeric literal -1e400d is out of range for DOUBLE');
  });

  it('make an Avro timestamp beyond year 9999 malformed', () => {
    const schema = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }] });
    const raw = avro.Type.forSchema({ type: 'record', name: 'E', fields: [{ name: 'at', type: 'long' }] } as avro.Schema);
    const b = raw.toBuffer({ at: 9_000_000_000_000_000 });
    expect(evaluateTree(fromAvro(col('b'), schema, { mode: 'PERMISSIVE' }).expr, { b }, 'b BINARY')).toBeNull();
    expect(() => evaluateTree(fromAvro(col('b'), schema).expr, { b }, 'b BINARY')).toThrow(/timestamp .* ms is out of range/);
  });
});
