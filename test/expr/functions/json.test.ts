import { AnalysisError, MalformedRecordError } from '../../../src/errors.js';
import { MALFORMED } from '../../../src/expr/bound.js';
import { call, colRef, literal } from '../../../src/expr/tree.js';
import type { DataType } from '../../../src/expr/types.js';
import {
  DOUBLE, INTEGER, LONG, STRING, TIMESTAMP, arrayOf, fieldOf, mapOf, structOf, typeToString,
} from '../../../src/expr/types.js';
import { bound, evaluate, evaluateTree, typeOf, utc } from './support.js';

// The invoice schema of the notes, as the Column API passes it.
const lineItem = structOf([
  fieldOf('ItemCode', STRING), fieldOf('ItemDescription', STRING), fieldOf('ItemPrice', DOUBLE),
  fieldOf('ItemQty', INTEGER), fieldOf('TotalValue', DOUBLE),
]);
const invoiceSchema = structOf([
  fieldOf('InvoiceNumber', STRING), fieldOf('CreatedTime', LONG), fieldOf('InvoiceLineItems', arrayOf(lineItem)),
]);

const invoice = JSON.stringify({
  InvoiceNumber: '51402977',
  CreatedTime: 1595688900348,
  StoreID: 'STR7188',
  InvoiceLineItems: [
    { ItemCode: '458', ItemDescription: 'Wine glass', ItemPrice: 1644.0, ItemQty: 2, TotalValue: 3288.0 },
    { ItemCode: '283', ItemDescription: 'Portable Lamps', ItemPrice: 2236.5, ItemQty: 1, TotalValue: 2236.5 },
  ],
});

/** from_json(value, <schema>) with Column API options. */
function fromJson(value: string | null, schema: DataType, options: Record<string, unknown> = {}): unknown {
  return evaluateTree(call('from_json', [colRef(['value'])], { schema, ...options }), { value }, 'value STRING');
}

describe('from_json', () => {
  it("reads the notes' invoice, nested arrays of structs included", () => {
    expect(fromJson(invoice, invoiceSchema)).toEqual({
      InvoiceNumber: '51402977',
      CreatedTime: 1595688900348,
      InvoiceLineItems: [
        { ItemCode: '458', ItemDescription: 'Wine glass', ItemPrice: 1644, ItemQty: 2, TotalValue: 3288 },
        { ItemCode: '283', ItemDescription: 'Portable Lamps', ItemPrice: 2236.5, ItemQty: 1, TotalValue: 2236.5 },
      ],
    });
  });

  it('takes the schema as DDL text in the second argument', () => {
    expect(evaluate(`from_json('{"a": 1, "b": [1, 2]}', 'a INT, b ARRAY<INT>')`)).toEqual({ a: 1, b: [1, 2] });
    expect(typeOf(`from_json('{}', 'a INT, b ARRAY<INT>')`)).toBe('struct<a:int,b:array<int>>');
    expect(evaluate(`from_json('[1, 2]', 'array<int>')`)).toEqual([1, 2]);
  });

  it('fills missing fields with null, ignores extra fields and matches names exactly', () => {
    expect(evaluate(`from_json('{"A": 1, "c": 2}', 'a INT, c INT, d STRING')`)).toEqual({ a: null, c: 2, d: null });
  });

  it('writes a JSON number, boolean or object given for a string field as its text', () => {
    expect(evaluate(`from_json('{"a": 1.0, "b": true, "c": {"x": [1, "y"]}}', 'a STRING, b STRING, c STRING')`))
      .toEqual({ a: '1.0', b: 'true', c: '{"x":[1,"y"]}' });
  });

  it('converts nested structs, maps, timestamps and binaries', () => {
    const schema = structOf([
      fieldOf('s', structOf([fieldOf('x', INTEGER)])), fieldOf('m', mapOf(STRING, DOUBLE)),
      fieldOf('t', TIMESTAMP), fieldOf('b', { kind: 'binary' }),
    ]);
    const text = '{"s": {"x": 7}, "m": {"k": 1.5, "n": null}, "t": "2019-02-05T10:05:00.000Z", "b": "AQI="}';
    expect(fromJson(text, schema)).toEqual({
      s: { x: 7 }, m: { k: 1.5, n: null }, t: utc('2019-02-05 10:05:00'), b: Buffer.from([1, 2]),
    });
  });

  it('reads timestamps with the timestampFormat option', () => {
    const schema = structOf([fieldOf('CreatedTime', TIMESTAMP)]);
    expect(fromJson('{"CreatedTime": "05/02/2019 10:05"}', schema, { timestampFormat: 'dd/MM/yyyy HH:mm' }))
      .toEqual({ CreatedTime: utc('2019-02-05 10:05:00') });
  });

  it('reads NaN and Infinity, and single-quoted strings, as Spark does', () => {
    const row = { j: `{"a": NaN, "b": "-Infinity", 'c': 'x'}` };
    expect(evaluate("from_json(j, 'a DOUBLE, b DOUBLE, c STRING')", row, 'j STRING')).toEqual({ a: NaN, b: -Infinity, c: 'x' });
  });

  it('keeps keys such as __proto__ as data and reads no inherited names as special doubles', () => {
    const row = { j: '{"m": {"__proto__": 1, "constructor": 2}, "d": "toString"}' };
    const m = evaluate("from_json(j, 'm MAP<STRING, INT>')", row, 'j STRING') as { m: Record<string, unknown> };
    expect(Object.keys(m.m)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(m.m)).toBe(Object.prototype);
    expect(evaluate("from_json(j, 'd DOUBLE')", row, 'j STRING')).toEqual({ d: null });
  });

  it('accepts a single object for an array-of-structs schema', () => {
    expect(evaluate(`from_json('{"a": 1}', 'array<struct<a: int>>')`)).toEqual([{ a: 1 }]);
  });

  it('gives null for null input, blank input and a JSON null', () => {
    const schema = structOf([fieldOf('a', INTEGER)]);
    expect(fromJson(null, schema)).toBeNull();
    expect(fromJson('   ', schema)).toBeNull();
    expect(fromJson('null', schema)).toBeNull();
  });

  it('needs a schema, and says how to give one', () => {
    expect(() => bound('from_json(value)', 'value STRING')).toThrow(/from_json\(\) needs a schema/);
    expect(() => bound("from_json(value, 'a INT', map('mode', 'SOMETIMES'))", 'value STRING')).toThrow(/mode must be PERMISSIVE, DROPMALFORMED or FAILFAST/);
  });
});

describe('from_json on malformed records', () => {
  const schema = structOf([fieldOf('a', INTEGER), fieldOf('b', STRING)]);
  const withCorrupt = structOf([fieldOf('a', INTEGER), fieldOf('_corrupt_record', STRING), fieldOf('b', STRING)]);

  it('PERMISSIVE (the default) gives a struct of nulls', () => {
    expect(fromJson('{"a": 1', schema)).toEqual({ a: null, b: null });
    expect(fromJson('not json at all', schema, { mode: 'PERMISSIVE' })).toEqual({ a: null, b: null });
  });

  it('PERMISSIVE puts the raw text in the corrupt-record column when the schema has one', () => {
    expect(fromJson('{"a": 1', withCorrupt)).toEqual({ a: null, _corrupt_record: '{"a": 1', b: null });
    expect(fromJson('{"a": 1, "b": "x"}', withCorrupt)).toEqual({ a: 1, _corrupt_record: null, b: 'x' });
    const named = structOf([fieldOf('a', INTEGER), fieldOf('bad', STRING)]);
    expect(fromJson('[', named, { columnNameOfCorruptRecord: 'bad' })).toEqual({ a: null, bad: '[' });
  });

  it('keeps the rest of a record whose field does not fit, as Spark 4 does (partial results)', () => {
    expect(fromJson('{"a": "one", "b": "x"}', schema)).toEqual({ a: null, b: 'x' });
    expect(fromJson('{"a": 1.5}', schema)).toEqual({ a: null, b: null });
    expect(fromJson('{"a": 3000000000, "b": "y"}', schema)).toEqual({ a: null, b: 'y' });
    expect(fromJson('{"a": "x", "b": "y"}', withCorrupt)).toEqual({ a: null, _corrupt_record: '{"a": "x", "b": "y"}', b: 'y' });
  });

  it('keeps partial structs at any depth, and nulls an array or map with an element that does not fit', () => {
    expect(evaluate(`from_json('{"s": {"a": "x", "b": {"c": "y", "d": 1}}, "t": 1}', 's STRUCT<a: INT, b: STRUCT<c: INT, d: INT>>, t INT')`))
      .toEqual({ s: { a: null, b: { c: null, d: 1 } }, t: 1 });
    expect(evaluate(`from_json('{"a": "x", "b": [1, "y", 3]}', 'a INT, b ARRAY<INT>')`)).toEqual({ a: null, b: null });
    expect(evaluate(`from_json('{"m": {"k": "v", "j": 1}, "a": 2}', 'm MAP<STRING, INT>, a INT')`)).toEqual({ m: null, a: 2 });
    expect(evaluate(`from_json('{"s": [{"a": 1}, {"a": "x"}], "t": 1}', 's ARRAY<STRUCT<a: INT>>, t INT')`))
      .toEqual({ s: [{ a: 1 }, { a: null }], t: 1 });
    expect(evaluate(`from_json('[{"a": 1}, {"a": "x", "b": 2}]', 'array<struct<a: int, b: int>>')`)).toEqual([{ a: 1, b: null }, { a: null, b: 2 }]);
  });

  it('counts a partial record as malformed under DROPMALFORMED and FAILFAST', () => {
    const e = call('from_json', [colRef(['value'])], { schema, mode: 'DROPMALFORMED' });
    expect(evaluateTree(e, { value: '{"a": "one", "b": "x"}' }, 'value STRING')).toBe(MALFORMED);
    expect(() => fromJson('{"a": "one", "b": "x"}', schema, { mode: 'FAILFAST' })).toThrow(/field a: an int expected/);
  });

  it('reads the first JSON value of the text and ignores what follows, as Jackson does in Spark', () => {
    expect(fromJson('{"a": 1, "b": "x"} trailing', schema)).toEqual({ a: 1, b: 'x' });
    expect(fromJson('{"a": 1}{"a": 2}', schema)).toEqual({ a: 1, b: null });
    expect(fromJson('{"a": 1', schema)).toEqual({ a: null, b: null });
  });

  it('treats a top-level value that is not an object as malformed for a struct schema', () => {
    expect(fromJson('[{"a": 1}]', schema)).toEqual({ a: null, b: null });
    expect(fromJson('42', schema)).toEqual({ a: null, b: null });
  });

  it('DROPMALFORMED asks for the row to be dropped', () => {
    const e = call('from_json', [colRef(['value'])], { schema, mode: 'DROPMALFORMED' });
    expect(evaluateTree(e, { value: '{"a": 1' }, 'value STRING')).toBe(MALFORMED);
    expect(evaluateTree(e, { value: '{"a": 1}' }, 'value STRING')).toEqual({ a: 1, b: null });
    const b = bound("from_json(value, 'a INT', map('mode', 'DROPMALFORMED'))", 'value STRING');
    expect(b.k === 'call' && b.fn.mayDropRow).toBe(true);
  });

  it('FAILFAST throws a MalformedRecordError quoting the record and saying how to keep going', () => {
    const longBad = `{"a": ${'9'.repeat(200)}`;
    let error: unknown;
    try {
      fromJson(longBad, schema, { mode: 'FAILFAST' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MalformedRecordError);
    const message = (error as Error).message;
    expect(message).toContain(`'${longBad.slice(0, 100)}...'`);
    expect(message).not.toContain(longBad);
    expect(message).toContain('use mode PERMISSIVE or DROPMALFORMED to keep going');
    expect(() => evaluate(`from_json('{"a": "x"}', 'a INT', map('mode', 'failfast'))`)).toThrow(MalformedRecordError);
  });

  it('gives null, not a struct, for a malformed record under an array schema in PERMISSIVE mode', () => {
    expect(evaluate(`from_json('[1, "x"]', 'array<int>')`)).toBeNull();
  });
});

describe('to_json', () => {
  it('omits null fields of structs, as Spark does', () => {
    expect(evaluate("to_json(named_struct('a', 1, 'b', CAST(NULL AS STRING), 'c', 'x'))")).toBe('{"a":1,"c":"x"}');
  });

  it('keeps nulls when ignoreNullFields is false', () => {
    const e = call('to_json', [call('named_struct', [literal('a', STRING), literal(null, STRING)])], { ignoreNullFields: false });
    expect(evaluateTree(e)).toBe('{"a":null}');
  });

  it('writes timestamps as ISO-8601 in UTC with milliseconds, and binaries as base64', () => {
    const row = { t: utc('2019-02-05 10:05:00'), b: Buffer.from([1, 2]) };
    expect(evaluate("to_json(named_struct('t', t, 'b', b))", row, 't TIMESTAMP, b BINARY')).toBe('{"t":"2019-02-05T10:05:00.000Z","b":"AQI="}');
  });

  it('writes doubles as Java does', () => {
    expect(evaluate("to_json(named_struct('a', 1.0, 'b', 2.5, 'c', 1e20, 'd', CAST('NaN' AS DOUBLE)))"))
      .toBe('{"a":1.0,"b":2.5,"c":1.0E20,"d":"NaN"}');
  });

  it('writes nested arrays and maps, and arrays at the top level', () => {
    const row = { xs: [{ k: 'a', v: [1, null] }], m: { x: 1, y: null } };
    const ddl = 'xs ARRAY<STRUCT<k: STRING, v: ARRAY<INT>>>, m MAP<STRING, INT>';
    expect(evaluate('to_json(xs)', row, ddl)).toBe('[{"k":"a","v":[1,null]}]');
    expect(evaluate('to_json(m)', row, ddl)).toBe('{"x":1,"y":null}');
  });

  it('serialises struct(*) of a row, as the notes do before writing to Kafka', () => {
    const row = { ItemCode: '458', ItemPrice: 1644.5, ItemQty: 2, Note: null };
    expect(evaluate('to_json(struct(*))', row, 'ItemCode STRING, ItemPrice DOUBLE, ItemQty INT, Note STRING'))
      .toBe('{"ItemCode":"458","ItemPrice":1644.5,"ItemQty":2}');
  });

  it('round-trips what from_json read', () => {
    expect(evaluateTree(call('to_json', [call('from_json', [colRef(['value'])], { schema: invoiceSchema })]), { value: invoice }, 'value STRING'))
      .toBe(JSON.stringify({
        InvoiceNumber: '51402977',
        CreatedTime: 1595688900348,
        InvoiceLineItems: [
          { ItemCode: '458', ItemDescription: 'Wine glass', ItemPrice: '1644.0', ItemQty: 2, TotalValue: '3288.0' },
          { ItemCode: '283', ItemDescription: 'Portable Lamps', ItemPrice: 2236.5, ItemQty: 1, TotalValue: 2236.5 },
        ],
      }).replace(/"(\d+\.0)"/g, '$1'));
  });

  it('refuses an atomic value and gives null for null', () => {
    expect(() => evaluate('to_json(1)')).toThrow(/to_json\(\) takes a struct, an array or a map/);
    expect(evaluate('to_json(m)', { m: null }, 'm MAP<STRING, INT>')).toBeNull();
  });
});

describe('schema_of_json and get_json_object', () => {
  it('schema_of_json infers a DDL schema with fields in name order', () => {
    expect(evaluate(`schema_of_json('{"b": [1, 2.5], "a": 1, "c": {"x": "y"}, "d": null}')`))
      .toBe('STRUCT<a: BIGINT, b: ARRAY<DOUBLE>, c: STRUCT<x: STRING>, d: STRING>');
    expect(() => evaluate('schema_of_json(s)', {}, 's STRING')).toThrow(AnalysisError);
  });

  it('get_json_object follows a path and returns text', () => {
    const json = '{"a": {"b": [10, {"c": "x"}], "n": 1.50}, "s": "str"}';
    const row = { j: json };
    expect(evaluate("get_json_object(j, '$.a.b[0]')", row, 'j STRING')).toBe('10');
    expect(evaluate("get_json_object(j, '$.a.b[1].c')", row, 'j STRING')).toBe('x');
    expect(evaluate("get_json_object(j, '$.a.n')", row, 'j STRING')).toBe('1.50');
    expect(evaluate("get_json_object(j, '$.a.b')", row, 'j STRING')).toBe('[10,{"c":"x"}]');
    expect(evaluate(`get_json_object(j, "$['s']")`, row, 'j STRING')).toBe('str');
    expect(evaluate("get_json_object(j, '$.a.b[*]')", row, 'j STRING')).toBe('[10,{"c":"x"}]');
  });

  it('get_json_object gives null for a missing path, bad JSON or a bad path', () => {
    expect(evaluate(`get_json_object('{"a": 1}', '$.b')`)).toBeNull();
    expect(evaluate(`get_json_object('{"a": 1', '$.a')`)).toBeNull();
    expect(evaluate(`get_json_object('{"a": 1}', 'a')`)).toBeNull();
    expect(evaluate(`get_json_object('{"a": null}', '$.a')`)).toBeNull();
  });

  it('get_json_object reads the first JSON value and ignores text after it, as Spark does', () => {
    expect(evaluate(`get_json_object('{"a": 1} trailing', '$.a')`)).toBe('1');
  });
});

describe('result types', () => {
  it('is the given schema for from_json and string for to_json', () => {
    const e = bound("from_json(value, 'a INT')", 'value STRING');
    expect(typeToString(e.type)).toBe('struct<a:int>');
    expect(typeOf("to_json(named_struct('a', 1))")).toBe('string');
  });
});
