// Avro ↔ spate types (Spark's SchemaConverters): an avsc Type becomes a DataType plus value
// converters both ways. Records are structs; arrays and maps keep their shape; a union with null
// is its other branch, nullable; other unions become structs of member0, member1...; the logical
// types timestamp-millis, timestamp-micros and date are timestamps, decimal is a double.
import avro from 'avsc';
import { AnalysisError } from '../../errors.js';
import { inTimestampRange } from '../time-range.js';
import type { DataType, Field } from '../types.js';
import {
  BINARY, BOOLEAN, DOUBLE, INTEGER, LONG, NULL, STRING, TIMESTAMP, arrayOf, fieldOf, mapOf, structOf, typeToString,
} from '../types.js';
import { own, put } from '../own-properties.js';

const DAY_MS = 86_400_000;

/** A decoded time as a Date; out of range, the value is malformed (avsc's decode fails, from_avro follows the parse mode). */
function dateOf(ms: number): Date {
  if (!inTimestampRange(ms)) throw new RangeError(`timestamp ${ms} ms is out of range (years 0001 to 9999)`);
  return new Date(ms);
}

class TimestampMillis extends avro.types.LogicalType {
  protected override _fromValue(v: number): Date { return dateOf(v); }
  protected override _toValue(d: unknown): number | undefined { return d instanceof Date ? d.getTime() : undefined; }
  protected override _resolve(type: avro.Type): ((v: number) => Date) | undefined {
    return avro.Type.isType(type, 'long', 'int', 'logical:timestamp-millis') ? (v) => dateOf(v) : undefined;
  }
}

class TimestampMicros extends avro.types.LogicalType {
  protected override _fromValue(v: number): Date { return dateOf(Math.floor(v / 1000)); }
  protected override _toValue(d: unknown): number | undefined { return d instanceof Date ? d.getTime() * 1000 : undefined; }
  protected override _resolve(type: avro.Type): ((v: number) => Date) | undefined {
    return avro.Type.isType(type, 'long', 'logical:timestamp-micros') ? (v) => dateOf(Math.floor(v / 1000)) : undefined;
  }
}

class DateDays extends avro.types.LogicalType {
  protected override _fromValue(v: number): Date { return dateOf(v * DAY_MS); }
  protected override _toValue(d: unknown): number | undefined { return d instanceof Date ? Math.floor(d.getTime() / DAY_MS) : undefined; }
  protected override _resolve(type: avro.Type): ((v: number) => Date) | undefined {
    return avro.Type.isType(type, 'int', 'logical:date') ? (v) => dateOf(v * DAY_MS) : undefined;
  }
}

/** decimal(precision, scale) over bytes or fixed: big-endian two's complement unscaled value. */
class Decimal extends avro.types.LogicalType {
  private readonly scale: number;
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    this.scale = (schema as { scale?: number }).scale ?? 0;
  }
  protected override _fromValue(buf: Buffer): number {
    if (buf.length === 0) return 0;
    let n = BigInt(`0x${buf.toString('hex')}`);
    if (buf[0]! & 0x80) n -= 1n << BigInt(buf.length * 8);
    return Number(n) / 10 ** this.scale;
  }
  protected override _toValue(x: unknown): Buffer | undefined {
    if (typeof x !== 'number' || !Number.isFinite(x)) return undefined;
    let n = BigInt(Math.round(x * 10 ** this.scale));
    const bytes: number[] = [];
    const negative = n < 0n;
    do {
      bytes.unshift(Number(n & 0xffn));
      n >>= 8n;
    } while (negative ? n !== -1n || (bytes[0]! & 0x80) === 0 : n !== 0n || (bytes[0]! & 0x80) !== 0);
    return Buffer.from(bytes);
  }
  protected override _resolve(type: avro.Type): ((v: Buffer) => number) | undefined {
    return avro.Type.isType(type, 'logical:decimal') ? (v) => this._fromValue(v) : undefined;
  }
}

const LOGICAL_TYPES = {
  'timestamp-millis': TimestampMillis, 'timestamp-micros': TimestampMicros, date: DateDays, decimal: Decimal,
};

/**
 * avsc decodes maps and records into plain objects with `o[name] = value`, so a map key or a
 * field named `__proto__` is lost. Both are read through stand-ins with the same bytes: a map is
 * an array of {key, value} records (Avro encodes both as blocks of key then value), and a field
 * named `__proto__` is renamed (names are not in the bytes). avroMapping turns them back.
 */
const PROTO_FIELD = '__spate_proto_field__';
const mapEntryArrays = new WeakSet<avro.Type>();
let entryRecords = 0;

function typeHook(schema: avro.Schema, opts: avro.ForSchemaOptions): avro.Type | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return undefined;
  const s = schema as { type?: unknown; values?: avro.Schema; fields?: { name: string }[] };
  if (s.type === 'map' && s.values !== undefined) {
    const entries = avro.Type.forSchema({
      type: 'array',
      items: { type: 'record', name: `spate_map_entry_${entryRecords++}`, fields: [{ name: 'key', type: 'string' }, { name: 'value', type: s.values }] },
    } as avro.Schema, opts);
    mapEntryArrays.add(entries);
    return entries;
  }
  if ((s.type === 'record' || s.type === 'error') && s.fields?.some((f) => f.name === '__proto__')) {
    return avro.Type.forSchema({ ...s, fields: s.fields.map((f) => (f.name === '__proto__' ? { ...f, name: PROTO_FIELD } : f)) } as avro.Schema, opts);
  }
  return undefined;
}

/** Parses .avsc JSON text into an avsc type; a bad schema is an analysis error. */
export function parseAvroSchema(fn: string, text: string): avro.Type {
  let schema: avro.Schema;
  try {
    schema = JSON.parse(text) as avro.Schema;
  } catch (e) {
    throw new AnalysisError(`${fn}() schema is not valid JSON (${(e as Error).message}): pass the text of an .avsc file`);
  }
  try {
    return avro.Type.forSchema(schema, { wrapUnions: true, logicalTypes: LOGICAL_TYPES, typeHook });
  } catch (e) {
    throw new AnalysisError(`${fn}() schema is not a valid Avro schema: ${(e as Error).message}`);
  }
}

export interface AvroMapping {
  readonly type: DataType;
  /** Avro value (as avsc decodes it) → row value. */
  readonly fromAvro: (v: unknown) => unknown;
  /** Row value → Avro value (as avsc encodes it). */
  readonly toAvro: (v: unknown) => unknown;
}

type Branch = { readonly name: string; readonly mapping: AvroMapping };

const identity = (v: unknown): unknown => v;
const atomic = (type: DataType): AvroMapping => ({ type, fromAvro: identity, toAvro: identity });

/** The spate type of an avsc type, with its converters. */
export function avroMapping(t: avro.Type): AvroMapping {
  const name = t.typeName;
  switch (name) {
    case 'null': return atomic(NULL);
    case 'boolean': return atomic(BOOLEAN);
    case 'int': return atomic(INTEGER);
    case 'long': return atomic(LONG);
    case 'float': case 'double': return atomic(DOUBLE);
    case 'bytes': case 'fixed': return atomic(BINARY);
    case 'string': case 'enum': return atomic(STRING);
    case 'logical:timestamp-millis': case 'logical:timestamp-micros': case 'logical:date': return atomic(TIMESTAMP);
    case 'logical:decimal': return atomic(DOUBLE);
    case 'array': {
      if (mapEntryArrays.has(t)) return mapEntriesMapping((t as avro.types.ArrayType).itemsType as avro.types.RecordType);
      const items = avroMapping((t as avro.types.ArrayType).itemsType);
      return {
        type: arrayOf(items.type),
        fromAvro: (v) => (v as unknown[]).map((x) => (x == null ? null : items.fromAvro(x))),
        toAvro: (v) => (v as unknown[]).map((x) => (x == null ? null : items.toAvro(x))),
      };
    }
    case 'record': case 'error': {
      const fields = (t as avro.types.RecordType).fields.map((f) => ({
        name: f.name === PROTO_FIELD ? '__proto__' : f.name, avroName: f.name, mapping: avroMapping(f.type), nullable: isNullable(f.type),
      }));
      return {
        type: structOf(fields.map((f): Field => fieldOf(f.name, f.mapping.type, f.nullable))),
        fromAvro: (v) => {
          const rec = v as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const f of fields) {
            const x = rec[f.avroName];
            put(out, f.name, x == null ? null : f.mapping.fromAvro(x));
          }
          return out;
        },
        toAvro: (v) => {
          const row = v as Record<string, unknown>;
          const out: Record<string, unknown> = {};
          for (const f of fields) {
            const x = own(row, f.name);
            out[f.avroName] = x == null ? null : f.mapping.toAvro(x);
          }
          return out;
        },
      };
    }
    case 'union:wrapped': return unionMapping((t as avro.types.WrappedUnionType).types);
    default:
      throw new AnalysisError(`Avro type ${name} is not supported`);
  }
}

/** A map read as its {key, value} entries (see typeHook): a spate map with string keys. */
function mapEntriesMapping(entry: avro.types.RecordType): AvroMapping {
  const values = avroMapping(entry.fields[1]!.type);
  return {
    type: mapOf(STRING, values.type),
    fromAvro: (v) => {
      const out: Record<string, unknown> = {};
      for (const e of v as { key: string; value: unknown }[]) put(out, e.key, e.value == null ? null : values.fromAvro(e.value));
      return out;
    },
    toAvro: (v) => Object.entries(v as Record<string, unknown>).map(([key, x]) => ({ key, value: x == null ? null : values.toAvro(x) })),
  };
}

function isNullable(t: avro.Type): boolean {
  return t.typeName === 'null' || (t.typeName === 'union:wrapped' && (t as avro.types.WrappedUnionType).types.some((b) => b.typeName === 'null'));
}

function unionMapping(types: readonly avro.Type[]): AvroMapping {
  const branches: Branch[] = types.filter((b) => b.typeName !== 'null').map((b) => ({ name: b.branchName!, mapping: avroMapping(b) }));
  if (branches.length === 0) return atomic(NULL);
  if (branches.length === 1) {
    const [only] = branches as [Branch];
    return {
      type: only.mapping.type,
      fromAvro: (v) => (v == null ? null : only.mapping.fromAvro((v as Record<string, unknown>)[only.name])),
      toAvro: (v) => (v == null ? null : { [only.name]: only.mapping.toAvro(v) }),
    };
  }
  // Spark widens int/long unions to long and float/double to double; others become member structs.
  const kinds = new Set(branches.map((b) => b.mapping.type.kind));
  if ([...kinds].every((k) => k === 'integer' || k === 'long') || [...kinds].every((k) => k === 'double')) {
    const type = kinds.has('long') ? LONG : kinds.has('integer') ? INTEGER : DOUBLE;
    const widest = branches.find((b) => b.mapping.type.kind === type.kind)!;
    return {
      type,
      fromAvro: (v) => (v == null ? null : Object.values(v as Record<string, unknown>)[0]),
      toAvro: (v) => (v == null ? null : { [widest.name]: v }),
    };
  }
  const members = branches.map((b, i) => ({ ...b, field: `member${i}` }));
  return {
    type: structOf(members.map((m) => fieldOf(m.field, m.mapping.type))),
    fromAvro: (v) => {
      const out: Record<string, unknown> = {};
      const [branch, value] = Object.entries(v as Record<string, unknown>)[0]!;
      for (const m of members) out[m.field] = m.name === branch ? m.mapping.fromAvro(value) : null;
      return out;
    },
    toAvro: (v) => {
      const row = v as Record<string, unknown>;
      const m = members.find((x) => row[x.field] != null);
      return m ? { [m.name]: m.mapping.toAvro(row[m.field]) } : null;
    },
  };
}

/** Spark's SchemaConverters.toAvroType: the Avro schema to_avro writes a spate type with. */
export function avroSchemaOf(type: DataType, nullable: boolean, recordName = 'topLevelRecord', namespace = ''): avro.Schema {
  const wrap = (s: avro.Schema): avro.Schema => (nullable && type.kind !== 'null' ? [s, 'null'] as unknown as avro.Schema : s);
  switch (type.kind) {
    case 'null': return 'null';
    case 'boolean': return wrap('boolean');
    case 'integer': return wrap('int');
    case 'long': return wrap('long');
    case 'double': return wrap('double');
    case 'string': return wrap('string');
    case 'binary': return wrap('bytes');
    case 'timestamp': return wrap({ type: 'long', logicalType: 'timestamp-micros' } as avro.Schema);
    case 'array': return wrap({ type: 'array', items: avroSchemaOf(type.element, true, recordName, namespace) } as avro.Schema);
    case 'map':
      if (type.key.kind !== 'string') throw new AnalysisError(`to_avro() writes maps with string keys only, not ${typeToString(type)}`);
      return wrap({ type: 'map', values: avroSchemaOf(type.value, true, recordName, namespace) } as avro.Schema);
    case 'struct': {
      const child = namespace === '' ? recordName : `${namespace}.${recordName}`;
      return wrap({
        type: 'record', name: recordName, ...(namespace ? { namespace } : {}),
        fields: type.fields.map((f) => ({ name: f.name, type: avroSchemaOf(f.type, f.nullable, f.name, child) })),
      } as avro.Schema);
    }
  }
}
