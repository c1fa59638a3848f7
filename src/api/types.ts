// The schema builders, exported as `types` (import { types as T } from 'spate').
import type { DataType, Field, FieldMetadata, StructType } from '../expr/types.js';
import {
  BINARY, BOOLEAN, DOUBLE, INTEGER, LONG, STRING, TIMESTAMP, arrayOf, fieldOf, mapOf, structOf, treeString,
} from '../expr/types.js';
import { parseSchemaDDL } from '../expr/parser.js';

export type { ArrayType, DataType, Field, MapType, RowOf, RowValue, StructType, ValueOf } from '../expr/types.js';

export const string = () => STRING;
export const integer = () => INTEGER;
export const long = () => LONG;
export const double = () => DOUBLE;
export const boolean = () => BOOLEAN;
export const timestamp = () => TIMESTAMP;
export const binary = () => BINARY;
export const array = arrayOf;
export const map = mapOf;
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
