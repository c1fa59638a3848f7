// The schema builders, exported as `types` (import { types as T } from 'spate').
import type { DataType, Field, FieldMetadata, StructType } from '../expr/types.js';
import {
  BINARY, BOOLEAN, DOUBLE, INTEGER, LONG, STRING, TIMESTAMP, arrayOf, fieldOf, mapOf, structOf, treeString,
} from '../expr/types.js';
import { parseSchemaDDL } from '../expr/parser.js';

export type { ArrayType, DataType, Field, MapType, RowOf, RowValue, StructType, ValueOf } from '../expr/types.js';

/** The `string` type (Spark's `StringType`); values are JavaScript strings. */
export const string = () => STRING;
/** The `integer` type, a 32-bit signed whole number (Spark's `IntegerType`, SQL `INT`). */
export const integer = () => INTEGER;
/**
 * The `long` type, a 64-bit signed whole number (Spark's `LongType`, SQL `BIGINT`); values are
 * JavaScript numbers, exact up to 2^53.
 */
export const long = () => LONG;
/** The `double` type, a 64-bit float (Spark's `DoubleType`). */
export const double = () => DOUBLE;
/** The `boolean` type (Spark's `BooleanType`). */
export const boolean = () => BOOLEAN;
/**
 * The `timestamp` type (Spark's `TimestampType`); values are `Date`s, in milliseconds, shown in UTC
 * (the session time zone).
 */
export const timestamp = () => TIMESTAMP;
/** The `binary` type (Spark's `BinaryType`); values are `Buffer`s (Kafka keys and values). */
export const binary = () => BINARY;
/** An array type of the given element type (Spark's `ArrayType`): `T.array(T.string())`. */
export const array = arrayOf;
/**
 * A map type (Spark's `MapType`): `T.map(T.string(), T.long())`. In rows a map is a plain object
 * keyed by the keys' text.
 */
export const map = mapOf;
/**
 * A struct type from fields (Spark's `StructType`): `T.struct([T.field('a', T.string()), ...])`.
 * The row type of a frame read with it follows the fields.
 *
 * @throws Error when two fields share a name.
 */
export const struct = structOf;

/**
 * A struct field; nullable unless told otherwise. The row type follows: a nullable field's value
 * is typed `| null`, a `nullable: false` one is not.
 */
export function field<N extends string, T extends DataType, Nullable extends boolean = true>(name: N, type: T, nullable?: Nullable, metadata?: FieldMetadata): Field<N, T, Nullable> {
  return fieldOf(name, type, nullable, metadata);
}

/** A schema from DDL text: `'a INT, b STRING, c ARRAY<DOUBLE>'`. */
export function fromDDL(ddl: string): StructType {
  return parseSchemaDDL(ddl);
}

/** The schema as Spark's printSchema() prints it. */
export function schemaTree(schema: StructType): string {
  return treeString(schema);
}
