// JSON functions: from_json (with Spark's parse modes), to_json and schema_of_json; converters
// and writers are built once per bind from the schema. get_json_object is in json-path.ts.
import { AnalysisError, MalformedRecordError } from '../../errors.js';
import type { BoundExpr, BoundFunction } from '../bound.js';
import { MALFORMED } from '../bound.js';
import { parseTimestampMs } from '../cast.js';
import { parseSchemaDDL } from '../parser.js';
import { inTimestampRange } from '../time-range.js';
import type { DataType, Field, StructType } from '../types.js';
import {
  BOOLEAN, DOUBLE, LONG, NULL, STRING, arrayOf, fieldOf, isNumeric, structOf, typeToString,
} from '../types.js';
import { coerce, literalOf, strictFn } from './define.js';
import { compileDatePattern } from './date-pattern.js';
import { JsonNumber, jsonKind, parseFirstJsonValue, parseJson, writeJson, type JsonValue } from './json-value.js';
import type { ProjectedField } from './json-projection.js';
import { NOT_SIMPLE, projectedRecordReader } from './json-projection.js';
import { registerScalar } from './registry.js';
import { put } from './values.js';

type Options = Readonly<Record<string, unknown>>;

// ---- options ---------------------------------------------------------------------------------

/**
 * Options from the Column API (`options`) and from a `map('k', 'v', ...)` argument, with keys
 * lowercased: Spark's data source options are case-insensitive.
 */
function readOptions(fn: string, fromApi: Options | undefined, arg: BoundExpr | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(fromApi ?? {})) out.set(k.toLowerCase(), v);
  if (arg === undefined) return out;
  const lit = literalOf(arg);
  if (lit && lit.value !== null && typeof lit.value === 'object') {
    for (const [k, v] of Object.entries(lit.value)) out.set(k.toLowerCase(), v);
  } else if (arg.k === 'call' && arg.fn.name === 'map' && arg.args.every((a) => a.k === 'lit')) {
    for (let i = 0; i + 1 < arg.args.length; i += 2) {
      out.set(String(literalOf(arg.args[i])!.value).toLowerCase(), literalOf(arg.args[i + 1])!.value);
    }
  } else {
    throw new AnalysisError(`${fn}() options must be a literal map, such as map('mode', 'FAILFAST')`);
  }
  return out;
}

function booleanOption(opts: Map<string, unknown>, key: string, fallback: boolean): boolean {
  const v = opts.get(key);
  return v === undefined ? fallback : v === true || String(v).toLowerCase() === 'true';
}

/** The schema given as a DataType, or as DDL text ('a INT, b STRING' or 'array<struct<...>>'). */
function schemaOf(given: unknown): DataType {
  if (typeof given !== 'string') {
    const t = given as DataType;
    if (t.kind === 'struct' || t.kind === 'array' || t.kind === 'map') return t;
    throw new AnalysisError(`from_json() schema must be a struct, array or map type, not ${typeToString(t)}`);
  }
  // A bare type such as 'array<int>' parses as the type of a one-field schema.
  const ddl = /^\s*(struct|array|map)\s*</i.test(given) ? `__t ${given}` : given;
  const parsed = parseSchemaDDL(ddl);
  return ddl === given ? parsed : parsed.fields[0]!.type;
}

// ---- from_json -------------------------------------------------------------------------------

/** A value that does not fit its type. */
class Mismatch extends Error {}

type Convert = (v: JsonValue) => unknown;

/**
 * Spark 4's partial results (`spark.sql.json.enablePartialResults`, on by default): a struct
 * field whose value does not fit becomes null and the rest of the struct is kept, at any depth;
 * the record then counts as malformed (the corrupt-record column gets its text, DROPMALFORMED
 * drops it, FAILFAST fails). An array or map with an element that does not fit is null as a
 * whole, as in Spark; a partial struct inside one is kept.
 */
interface Conversion {
  /** The first field that did not fit in the record being converted, if any. */
  firstMismatch: Mismatch | null;
}

const SPECIAL_DOUBLES: ReadonlyMap<string, number> = new Map([
  ['NaN', NaN], ['Infinity', Infinity], ['+Infinity', Infinity], ['-Infinity', -Infinity],
  ['INF', Infinity], ['+INF', Infinity], ['-INF', -Infinity],
]);

const NON_NUMERIC_TEXT = /^[+-]?(NaN|Infinity)$/;

function integral(v: JsonValue, bits: bigint, name: string): number {
  if (v instanceof JsonNumber && /^-?\d+$/.test(v.text)) {
    const n = BigInt(v.text);
    const limit = 1n << (bits - 1n);
    if (n >= -limit && n < limit) return Number(n);
  }
  throw new Mismatch(`${name} expected, got ${jsonKind(v)}`);
}

/** The conversion of a parsed JSON value into a value of `type`; throws Mismatch. */
function converter(type: DataType, timestamp: (s: string) => number | null, conversion: Conversion): Convert {
  const orNull = (c: Convert): Convert => (v) => (v === null ? null : c(v));
  switch (type.kind) {
    case 'string': return orNull((v) => (typeof v === 'string' ? v : writeJson(v)));
    case 'integer': return orNull((v) => integral(v, 32n, 'an int'));
    case 'long': return orNull((v) => integral(v, 64n, 'a bigint'));
    case 'double': return orNull((v) => {
      if (v instanceof JsonNumber) {
        const n = Number(v.text);
        // 1e400 does not fit a double: out of range, not Infinity (NaN and Infinity are written as such).
        if (!Number.isFinite(n) && !NON_NUMERIC_TEXT.test(v.text)) throw new Mismatch(`a double expected, got ${v.text}, which is out of range`);
        return n;
      }
      if (typeof v === 'string' && SPECIAL_DOUBLES.has(v)) return SPECIAL_DOUBLES.get(v);
      throw new Mismatch(`a double expected, got ${jsonKind(v)}`);
    });
    case 'boolean': return orNull((v) => {
      if (typeof v === 'boolean') return v;
      throw new Mismatch(`a boolean expected, got ${jsonKind(v)}`);
    });
    case 'timestamp': return orNull((v) => {
      const ms = typeof v === 'string' ? timestamp(v)
        : v instanceof JsonNumber && /^-?\d+$/.test(v.text) ? Number(v.text) * 1000 : null;
      if (ms === null) throw new Mismatch(`a timestamp expected, got ${jsonKind(v)}`);
      if (!inTimestampRange(ms)) throw new Mismatch(`a timestamp expected, got ${jsonKind(v)}, which is out of range (years 0001 to 9999)`);
      return new Date(ms);
    });
    case 'binary': return orNull((v) => {
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      throw new Mismatch(`base64 text expected, got ${jsonKind(v)}`);
    });
    case 'null': return () => null;
    case 'array': {
      const elem = converter(type.element, timestamp, conversion);
      return orNull((v) => {
        if (!Array.isArray(v)) throw new Mismatch(`an array expected, got ${jsonKind(v)}`);
        return v.map(elem);
      });
    }
    case 'map': {
      const value = converter(type.value, timestamp, conversion);
      return orNull((v) => {
        if (!(v instanceof Map)) throw new Mismatch(`an object expected, got ${jsonKind(v)}`);
        const out: Record<string, unknown> = {};
        for (const [k, x] of v) put(out, k, value(x));
        return out;
      });
    }
    case 'struct': return orNull(structConverter(type.fields, timestamp, conversion));
  }
}

function structConverter(fields: readonly Field[], timestamp: (s: string) => number | null, conversion: Conversion): Convert {
  const convs = fields.map((f) => converter(f.type, timestamp, conversion));
  return (v) => {
    if (!(v instanceof Map)) throw new Mismatch(`an object expected, got ${jsonKind(v)}`);
    const out: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      const x = v.get(f.name);
      let value: unknown = null;
      if (x !== undefined) {
        try {
          value = convs[i]!(x);
        } catch (e) {
          if (!(e instanceof Mismatch)) throw e;
          conversion.firstMismatch ??= new Mismatch(`field ${f.name}: ${e.message}`);
        }
      }
      put(out, f.name, value);
    });
    return out;
  };
}

/** The top-level conversion: an object alone is accepted for an array-of-structs schema. */
function rootConverter(schema: DataType, timestamp: (s: string) => number | null, conversion: Conversion): Convert {
  const conv = converter(schema, timestamp, conversion);
  if (schema.kind === 'array' && schema.element.kind === 'struct') {
    const one = converter(schema.element, timestamp, conversion);
    return (v) => (v instanceof Map ? [one(v)] : conv(v));
  }
  return conv;
}

type Mode = 'PERMISSIVE' | 'DROPMALFORMED' | 'FAILFAST';

function modeOf(opts: Map<string, unknown>): Mode {
  const m = String(opts.get('mode') ?? 'PERMISSIVE').toUpperCase();
  if (m !== 'PERMISSIVE' && m !== 'DROPMALFORMED' && m !== 'FAILFAST') {
    throw new AnalysisError(`from_json() mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, not '${String(opts.get('mode'))}'`);
  }
  return m;
}

function quoteRecord(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/** How a timestamp string is read: with `timestampFormat` when given, else Spark's lenient forms. */
function timestampParser(opts: Map<string, unknown>): (s: string) => number | null {
  const f = opts.get('timestampformat');
  if (f === undefined) return parseTimestampMs;
  const p = compileDatePattern(String(f));
  return (s) => p.parse(s);
}

registerScalar({
  name: 'from_json', minArgs: 1, maxArgs: 3,
  bind(args, options) {
    // With the schema in `options` (Column API) a 2nd argument can only be the options map.
    const schemaArg = options?.['schema'] === undefined ? args[1] : undefined;
    const optionsArg = schemaArg ? args[2] : args[1];
    let given: unknown = options?.['schema'];
    if (schemaArg) {
      const lit = literalOf(schemaArg);
      if (!lit || typeof lit.value !== 'string') throw new AnalysisError("from_json() schema must be a literal DDL string such as 'a INT, b STRING'");
      given = lit.value;
    }
    if (given === undefined || given === null) {
      throw new AnalysisError("from_json() needs a schema: pass a StructType, or DDL text such as 'a INT, b STRING'");
    }
    const opts = readOptions('from_json', options, optionsArg);
    return fromJson(schemaOf(given), modeOf(opts), opts, coerce('from_json', args[0]!, 0, 'string'));
  },
});

function fromJson(schema: DataType, mode: Mode, opts: Map<string, unknown>, toText: ((v: unknown) => unknown) | undefined): BoundFunction {
  const corruptName = String(opts.get('columnnameofcorruptrecord') ?? '_corrupt_record');
  const corrupt = schema.kind === 'struct' ? schema.fields.find((f) => f.name === corruptName) : undefined;
  if (corrupt && corrupt.type.kind !== 'string') {
    throw new AnalysisError(`from_json() corrupt record column '${corruptName}' must be a string, not ${typeToString(corrupt.type)}`);
  }
  const parseSchema = corrupt && schema.kind === 'struct' ? structOf(schema.fields.filter((f) => f !== corrupt)) : schema;
  const conversion: Conversion = { firstMismatch: null };
  const convert = rootConverter(parseSchema, timestampParser(opts), conversion);
  /** The record in schema order with the corrupt-record column set; `parsed` null means all nulls. */
  const record = (parsed: Record<string, unknown> | null, raw: string | null): unknown => {
    if (schema.kind !== 'struct') return null;
    const out: Record<string, unknown> = {};
    for (const f of schema.fields) put(out, f.name, f === corrupt ? raw : parsed ? parsed[f.name] : null);
    return out;
  };
  const malformed = (text: string, why: string): unknown => {
    if (mode === 'DROPMALFORMED') return MALFORMED;
    if (mode === 'FAILFAST') {
      throw new MalformedRecordError(
        `from_json() met a malformed record (${why}): '${quoteRecord(text)}'; use mode PERMISSIVE or DROPMALFORMED to keep going`,
      );
    }
    return record(null, text);
  };
  const impl = (text: string): unknown => {
    if (text.trim() === '') return null;
    let parsed: JsonValue;
    try {
      parsed = parseFirstJsonValue(text);
    } catch (e) {
      return malformed(text, `not valid JSON: ${(e as Error).message}`);
    }
    if (parsed === null) return null;
    conversion.firstMismatch = null;
    let v: unknown;
    try {
      v = convert(parsed);
    } catch (e) {
      if (e instanceof Mismatch) return malformed(text, e.message);
      throw e;
    }
    // Set by the struct converters while convert() ran (TypeScript cannot see that).
    const partial = conversion.firstMismatch as Mismatch | null;
    if (partial && mode !== 'PERMISSIVE') return malformed(text, partial.message);
    return corrupt ? record(v as Record<string, unknown>, partial ? text : null) : v;
  };
  const extra = mode === 'DROPMALFORMED' ? { mayDropRow: true } : {};
  const fn = strictFn('from_json', schema, [toText], impl, extra);
  if (schema.kind !== 'struct' || corrupt) return fn;
  const timestamp = timestampParser(opts);
  // A value the projected reader converts must fit whole: a nested field that does not (a
  // partial result) makes it throw, and the record is decoded fully.
  const projecting: Conversion = { firstMismatch: null };
  const strict = (c: Convert): Convert => (v) => {
    projecting.firstMismatch = null;
    const out = c(v);
    const partial = projecting.firstMismatch as Mismatch | null;
    if (partial) throw partial;
    return out;
  };
  const fields: ProjectedField[] = schema.fields.map((f) => ({ name: f.name, isString: f.type.kind === 'string', convert: strict(converter(f.type, timestamp, projecting)) }));
  /** from_json reading only `wanted`: the projected reader, or full decoding (then the wanted fields) for any other record. */
  const project = (wanted: readonly string[]): BoundFunction => {
    const read = projectedRecordReader(fields, wanted);
    const projected = (text: string): unknown => {
      if (text.trim() === '') return null;
      const r = read(text);
      if (r !== NOT_SIMPLE) return r;
      const full = impl(text);
      if (full === null || full === MALFORMED) return full;
      const out: Record<string, unknown> = {};
      for (const f of schema.fields) if (wanted.includes(f.name)) put(out, f.name, (full as Record<string, unknown>)[f.name]);
      return out;
    };
    const type = structOf(schema.fields.filter((f) => wanted.includes(f.name)));
    return strictFn('from_json', type, [toText], projected, extra);
  };
  return { ...fn, project };
}

// ---- to_json ---------------------------------------------------------------------------------

type Write = (v: unknown) => string;

/** Java's Double.toString, which Jackson uses: 1.0, 1.0E10, 1.0E-5; NaN and infinities quoted. */
function javaDouble(x: number): string {
  if (Number.isNaN(x)) return '"NaN"';
  if (!Number.isFinite(x)) return x > 0 ? '"Infinity"' : '"-Infinity"';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) return Number.isInteger(x) ? `${x}.0` : String(x);
  const [m, e] = x.toExponential().split('e') as [string, string];
  return `${m.includes('.') ? m : `${m}.0`}E${Number(e)}`;
}

function writer(type: DataType, opts: { ignoreNulls: boolean; timestamp: (d: Date) => string }): Write {
  switch (type.kind) {
    case 'string': return (v) => JSON.stringify(v);
    case 'integer': case 'long': return (v) => String(v);
    case 'double': return (v) => javaDouble(v as number);
    case 'boolean': return (v) => (v ? 'true' : 'false');
    case 'timestamp': return (v) => JSON.stringify(opts.timestamp(v as Date));
    case 'binary': return (v) => JSON.stringify((v as Buffer).toString('base64'));
    case 'null': return () => 'null';
    case 'array': {
      const elem = writer(type.element, opts);
      return (v) => `[${(v as unknown[]).map((x) => (x == null ? 'null' : elem(x))).join(',')}]`;
    }
    case 'map': {
      const value = writer(type.value, opts);
      return (v) => `{${Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${JSON.stringify(k)}:${x == null ? 'null' : value(x)}`).join(',')}}`;
    }
    case 'struct': {
      const fields = type.fields.map((f) => ({ key: JSON.stringify(f.name), name: f.name, write: writer(f.type, opts) }));
      return (v) => {
        const o = v as Record<string, unknown>;
        const parts: string[] = [];
        for (const f of fields) {
          const x = o[f.name];
          // Spark leaves null fields out (ignoreNullFields defaults to true).
          if (x == null) {
            if (!opts.ignoreNulls) parts.push(`${f.key}:null`);
          } else parts.push(`${f.key}:${f.write(x)}`);
        }
        return `{${parts.join(',')}}`;
      };
    }
  }
}

registerScalar({
  name: 'to_json', minArgs: 1, maxArgs: 2,
  bind(args, options) {
    const t = args[0]!.type;
    if (t.kind !== 'struct' && t.kind !== 'array' && t.kind !== 'map' && t.kind !== 'null') {
      throw new AnalysisError(`to_json() takes a struct, an array or a map, but got ${typeToString(t)}; wrap columns with struct(...)`);
    }
    const opts = readOptions('to_json', options, args[1]);
    const pattern = compileDatePattern(String(opts.get('timestampformat') ?? "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"));
    const write = writer(t, { ignoreNulls: booleanOption(opts, 'ignorenullfields', true), timestamp: (d) => pattern.format(d) });
    return strictFn('to_json', STRING, [], (v: unknown) => write(v));
  },
});

// ---- schema_of_json --------------------------------------------------------------------------

/** The type Spark infers for a JSON value; fields sorted by name, nulls as strings in the end. */
function inferType(v: JsonValue): DataType {
  if (v === null) return NULL;
  if (typeof v === 'string') return STRING;
  if (typeof v === 'boolean') return BOOLEAN;
  if (v instanceof JsonNumber) return /^-?\d+$/.test(v.text) ? LONG : DOUBLE;
  if (Array.isArray(v)) return arrayOf(v.map(inferType).reduce<DataType>(mergeTypes, NULL));
  const names = [...v.keys()].sort();
  return structOf(names.map((n) => fieldOf(n, inferType(v.get(n)!))));
}

function mergeTypes(a: DataType, b: DataType): DataType {
  if (a.kind === 'null') return b;
  if (b.kind === 'null') return a;
  if (typeToString(a) === typeToString(b)) return a;
  if (isNumeric(a) && isNumeric(b)) return DOUBLE;
  if (a.kind === 'array' && b.kind === 'array') return arrayOf(mergeTypes(a.element, b.element));
  if (a.kind === 'struct' && b.kind === 'struct') {
    const names = [...new Set([...a.fields, ...b.fields].map((f) => f.name))].sort();
    const typeIn = (s: StructType, n: string): DataType => s.fields.find((f) => f.name === n)?.type ?? NULL;
    return structOf(names.map((n) => fieldOf(n, mergeTypes(typeIn(a, n), typeIn(b, n)))));
  }
  return STRING;
}

/** Spark's DDL rendering: STRUCT<a: BIGINT, b: ARRAY<STRING>>. */
function ddl(t: DataType): string {
  switch (t.kind) {
    case 'null': case 'string': return 'STRING';
    case 'long': return 'BIGINT';
    case 'integer': return 'INT';
    case 'array': return `ARRAY<${ddl(t.element)}>`;
    case 'map': return `MAP<${ddl(t.key)}, ${ddl(t.value)}>`;
    case 'struct': return `STRUCT<${t.fields.map((f) => `${/^[A-Za-z_]\w*$/.test(f.name) ? f.name : `\`${f.name.replace(/`/g, '``')}\``}: ${ddl(f.type)}`).join(', ')}>`;
    default: return t.kind.toUpperCase();
  }
}

registerScalar({
  name: 'schema_of_json', minArgs: 1, maxArgs: 2,
  bind(args) {
    const lit = literalOf(args[0]);
    if (!lit || typeof lit.value !== 'string') throw new AnalysisError("schema_of_json() takes a literal JSON string, such as schema_of_json('{\"a\": 1}')");
    let text: string;
    try {
      text = ddl(inferType(parseJson(lit.value)));
    } catch (e) {
      throw new AnalysisError(`schema_of_json() cannot read '${quoteRecord(lit.value)}': ${(e as Error).message}`);
    }
    return { name: 'schema_of_json', type: STRING, impl: () => text, nullIntolerant: false };
  },
});

// ---- for the file connectors -------------------------------------------------------------------

/**
 * from_json's record parser for a JSON-lines file source: the text of one record → its struct,
 * null (blank), or MALFORMED (DROPMALFORMED); FAILFAST throws MalformedRecordError.
 */
export function jsonRecordParser(schema: DataType, options: Readonly<Record<string, unknown>>): (text: string) => unknown {
  const opts = readOptions('from_json', options, undefined);
  return fromJson(schema, modeOf(opts), opts, undefined).impl as (text: string) => unknown;
}

/** to_json's writer for one row of `schema` (the JSON-lines file sink). */
export function jsonRowWriter(schema: StructType, options: Readonly<Record<string, unknown>> = {}): (row: Record<string, unknown>) => string {
  const opts = readOptions('to_json', options, undefined);
  const pattern = compileDatePattern(String(opts.get('timestampformat') ?? "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"));
  return writer(schema, { ignoreNulls: booleanOption(opts, 'ignorenullfields', true), timestamp: (d) => pattern.format(d) });
}
