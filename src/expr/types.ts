// Schema types. A DataType is plain data (serialisable into checkpoint metadata); the phantom
// parameter lets `types.struct([...])` carry the TypeScript shape of its rows.

/**
 * A column's type (Spark's `DataType`), as plain data: `{ kind: 'string' }`, `{ kind: 'array',
 * element }`, `{ kind: 'struct', fields }`... Build them with `types` (`T.string()`,
 * `T.struct([...])`) or from DDL text (`T.fromDDL('a INT, b ARRAY<STRING>')`). Values in rows:
 * `string` and `integer`, `long`, `double` as JavaScript strings and numbers (a `long` is exact up
 * to 2^53), `boolean`, `timestamp` as a `Date` (millisecond precision; spate has no separate date
 * type), `binary` as a `Buffer`, arrays as arrays, maps as plain objects keyed by the key's text,
 * structs as plain objects; SQL's null is `null`.
 */
export type DataType =
  | StringType | IntegerType | LongType | DoubleType | BooleanType | TimestampType | BinaryType
  | NullType | ArrayType | MapType | StructType;

export interface StringType { readonly kind: 'string'; readonly __row?: string }
export interface IntegerType { readonly kind: 'integer'; readonly __row?: number }
export interface LongType { readonly kind: 'long'; readonly __row?: number }
export interface DoubleType { readonly kind: 'double'; readonly __row?: number }
export interface BooleanType { readonly kind: 'boolean'; readonly __row?: boolean }
export interface TimestampType { readonly kind: 'timestamp'; readonly __row?: Date }
export interface BinaryType { readonly kind: 'binary'; readonly __row?: Buffer }
export interface NullType { readonly kind: 'null'; readonly __row?: null }
/** An array of values of one type (Spark's `ArrayType`); elements may be null. */
export interface ArrayType<E extends DataType = DataType> {
  /** Always `'array'`. */
  readonly kind: 'array';
  /** The elements' type. */
  readonly element: E;
  /** The row value's TypeScript type, for the compiler only: never set. */
  readonly __row?: Array<RowValue<E>>;
}
/**
 * A map (Spark's `MapType`): in a row, a plain object whose keys are the map keys' text (a number
 * key 1 is stored as `'1'`); values may be null, keys may not.
 */
export interface MapType<K extends DataType = DataType, V extends DataType = DataType> {
  /** Always `'map'`. */
  readonly kind: 'map';
  /** The keys' type. */
  readonly key: K;
  /** The values' type. */
  readonly value: V;
  /** The row value's TypeScript type, for the compiler only: never set. */
  readonly __row?: Record<string, RowValue<V>>;
}
/**
 * A struct (Spark's `StructType`): named fields in order. A frame's schema is a struct; in a row a
 * struct value is a plain object keyed by field name. `R` is the TypeScript shape of its rows,
 * inferred by `types.struct([...])`.
 */
export interface StructType<R = Record<string, unknown>> {
  /** Always `'struct'`. */
  readonly kind: 'struct';
  /** The fields, in order; their names are unique. */
  readonly fields: readonly Field[];
  /** The row's TypeScript type, for the compiler only: never set. */
  readonly __row?: R;
}

export interface FieldMetadata {
  /** Set by withWatermark: the delay of the event-time column, in milliseconds. */
  readonly watermarkDelayMs?: number;
}

/** A field of a struct, i.e. a column of a schema (Spark's `StructField`); made with `types.field`. */
export interface Field<N extends string = string, T extends DataType = DataType, Nullable extends boolean = boolean> {
  /** The column's name (case-sensitive). */
  readonly name: N;
  /** The column's type. */
  readonly type: T;
  /**
   * Whether the value may be null. A non-nullable field's row value is typed without `| null`;
   * spate does not check rows against it.
   */
  readonly nullable: Nullable;
  /** What spate records about the column (the watermark delay `withWatermark` set on it). */
  readonly metadata?: FieldMetadata;
}

/** The JavaScript value a column of type T holds in a row, not null. */
export type ValueOf<T extends DataType> =
  DataType extends T ? unknown : T extends {
    /** The phantom row type every DataType carries. */
    readonly __row?: infer V;
  } ? V : unknown;

/** The JavaScript value a nullable column of type T holds in a row: its value or SQL's null. */
export type RowValue<T extends DataType> = DataType extends T ? unknown : ValueOf<T> | null;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** A field's entry in the row: `| null` unless the field is declared `nullable: false`. */
type FieldRow<F> = F extends Field<infer N, infer T, infer Nullable>
  ? { [K in N]: [Nullable] extends [false] ? ValueOf<T> : RowValue<T> }
  : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
/** The row shape of a list of fields. */
export type RowOf<F extends readonly Field[]> =
  string extends F[number]['name'] ? Record<string, unknown> : Simplify<UnionToIntersection<FieldRow<F[number]>>>;

export type AtomicKind = 'string' | 'integer' | 'long' | 'double' | 'boolean' | 'timestamp' | 'binary' | 'null';

export const STRING: StringType = { kind: 'string' };
export const INTEGER: IntegerType = { kind: 'integer' };
export const LONG: LongType = { kind: 'long' };
export const DOUBLE: DoubleType = { kind: 'double' };
export const BOOLEAN: BooleanType = { kind: 'boolean' };
export const TIMESTAMP: TimestampType = { kind: 'timestamp' };
export const BINARY: BinaryType = { kind: 'binary' };
export const NULL: NullType = { kind: 'null' };

export function arrayOf<E extends DataType>(element: E): ArrayType<E> {
  return { kind: 'array', element };
}
export function mapOf<K extends DataType, V extends DataType>(key: K, value: V): MapType<K, V> {
  return { kind: 'map', key, value };
}
export function structOf<const F extends readonly Field[]>(fields: F): StructType<RowOf<F>> {
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw new Error(`struct has two fields named '${f.name}': field names must be unique`);
    seen.add(f.name);
  }
  return { kind: 'struct', fields };
}
export function fieldOf<N extends string, T extends DataType, Nullable extends boolean = true>(
  name: N, type: T, nullable?: Nullable, metadata?: FieldMetadata,
): Field<N, T, Nullable> {
  const n = (nullable ?? true) as Nullable;
  return metadata ? { name, type, nullable: n, metadata } : { name, type, nullable: n };
}

export function isNumeric(t: DataType): boolean {
  return t.kind === 'integer' || t.kind === 'long' || t.kind === 'double';
}
export function isIntegral(t: DataType): boolean {
  return t.kind === 'integer' || t.kind === 'long';
}

export function sameType(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}

/** Spark's simple string form: `struct<a:string,b:array<int>>`. */
export function typeToString(t: DataType): string {
  switch (t.kind) {
    case 'integer': return 'int';
    case 'long': return 'bigint';
    case 'array': return `array<${typeToString(t.element)}>`;
    case 'map': return `map<${typeToString(t.key)},${typeToString(t.value)}>`;
    case 'struct': return `struct<${t.fields.map((f) => `${f.name}:${typeToString(f.type)}`).join(',')}>`;
    default: return t.kind;
  }
}

/** Parses a type name as written in `cast(x as int)` or `col.cast('string')`; undefined if unknown. */
export function parseTypeName(name: string): DataType | undefined {
  const n = name.trim().toLowerCase();
  switch (n) {
    case 'string': case 'varchar': case 'char': return STRING;
    case 'int': case 'integer': case 'smallint': case 'tinyint': case 'short': case 'byte': return INTEGER;
    case 'long': case 'bigint': return LONG;
    case 'double': case 'float': case 'real': case 'decimal': return DOUBLE;
    case 'boolean': case 'bool': return BOOLEAN;
    case 'timestamp': case 'date': return TIMESTAMP;
    case 'binary': return BINARY;
    default: {
      const arr = /^array\s*<(.*)>$/.exec(n);
      if (arr) {
        const e = parseTypeName(arr[1]!);
        return e ? arrayOf(e) : undefined;
      }
      if (/^(decimal|varchar|char)\s*\(.*\)$/.test(n)) return n.startsWith('decimal') ? DOUBLE : STRING;
      return undefined;
    }
  }
}

/** The smallest type both numeric types widen to. */
export function widerNumeric(a: DataType, b: DataType): DataType {
  if (a.kind === 'double' || b.kind === 'double') return DOUBLE;
  if (a.kind === 'long' || b.kind === 'long') return LONG;
  return INTEGER;
}

export function fieldNames(s: StructType): string[] {
  return s.fields.map((f) => f.name);
}

/** Renders a schema tree the way Spark's printSchema does (StructType.treeString). */
export function treeString(s: StructType): string {
  const lines = ['root'];
  const walk = (t: DataType, prefix: string): void => {
    const nested = `${prefix}    |`;
    if (t.kind === 'struct') {
      for (const f of t.fields) {
        lines.push(`${prefix}-- ${escapeMetaCharacters(f.name)}: ${typeName(f.type)} (nullable = ${f.nullable})`);
        walk(f.type, nested);
      }
    } else if (t.kind === 'array') {
      lines.push(`${prefix}-- element: ${typeName(t.element)} (containsNull = true)`);
      walk(t.element, nested);
    } else if (t.kind === 'map') {
      lines.push(`${prefix}-- key: ${typeName(t.key)}`);
      walk(t.key, nested);
      lines.push(`${prefix}-- value: ${typeName(t.value)} (valueContainsNull = true)`);
      walk(t.value, nested);
    }
  };
  walk(s, ' |');
  return lines.join('\n');
}

/** Spark's DataType.typeName: `integer`, `long`, `struct`, `array`, `void` for the null type. */
export function typeName(t: DataType): string {
  return t.kind === 'null' ? 'void' : t.kind;
}

/** Control characters in a field name, written as escapes (Spark's SchemaUtils.escapeMetaCharacters). */
function escapeMetaCharacters(name: string): string {
  return name.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').replace(/\f/g, '\\f')
    .replace(/\x08/g, '\\b').replace(/\v/g, '\\v').replace(/\x07/g, '\\a');
}
