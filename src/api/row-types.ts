// The row types DataFrame methods compute, as far as TypeScript can follow a query: column names
// (`'a'`, `'s.*'`, `'s.f'`) read the input row's types, a Column named with alias() (or by its
// function, as col('a') and window()) adds its name with its value type, and anything TypeScript
// cannot name falls back to Row (an object of unknown values) for that part of the row.
import type { Row } from '../data/row.js';
import type { JoinHow } from '../plan/join.js';
import type { Column } from './column.js';

/** An intersection flattened into one object type, for readable hovers and exact comparisons. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every field of T may also be null (the side an outer join pads). */
export type NullableRow<T> = { [K in keyof T]: T[K] | null };

/** A column name of R as select, groupBy or orderBy take it: a name, `*`, `struct.field` or `struct.*`. */
export type ColumnName<R> = (keyof R & string) | '*' | `${keyof R & string}.${string}`;

/** A Column's value type, read from R when the Column only names one of R's columns (col('a')). */
export type ColumnValue<R, C> = C extends Column<infer V, infer N>
  ? unknown extends V ? (N extends keyof R ? R[N] : unknown) : V
  : unknown;

/** The fields of struct column S of R, nullable when S is. */
type StructFields<R, S extends keyof R> = NonNullable<R[S]> extends infer T
  ? T extends Row ? (null extends R[S] ? NullableRow<T> : T) : Row
  : Row;

/** A field F of struct column S of R. */
type StructField<R, S extends keyof R, F extends string> = NonNullable<R[S]> extends infer T
  ? T extends Row ? (F extends keyof T ? (null extends R[S] ? T[F] | null : T[F]) : unknown) : unknown
  : unknown;

/** What one select item, grouping column or aggregate adds to the row. */
export type ItemRow<R, C> =
  C extends Column<unknown, infer N>
    ? string extends N ? Row : { [K in N]: ColumnValue<R, C> }
    : C extends '*' ? R
    : C extends `${infer S}.*` ? (S extends keyof R ? StructFields<R, S> : Row)
    : C extends keyof R ? { [K in C]: R[C] }
    : C extends `${infer S}.${infer F}` ? (S extends keyof R ? { [K in F]: StructField<R, S, F> } : Row)
    : Row;

/** The row of a select list (or of grouping columns), item by item. */
export type SelectRow<R, Cs extends readonly unknown[]> =
  Cs extends readonly [] ? Row : Simplify<UnionToIntersection<{ [I in keyof Cs]: ItemRow<R, Cs[I]> }[number]>>;

/** The grouping columns' part of an aggregation's row (none: a global aggregation). */
export type KeysRow<R, Cs extends readonly unknown[]> = Cs extends readonly [] ? {} : SelectRow<R, Cs>;

/** T where a row type is required: TypeScript cannot always prove a computed type is one. */
export type AsRow<T> = T extends Row ? T : Row;

/** R with column N set to V (withColumn). */
export type WithColumnRow<R, N extends string, V> = Simplify<Omit<R, N> & { [K in N]: V }>;

/** R with column E renamed to N (withColumnRenamed: a missing column leaves R as it is). */
export type RenamedRow<R, E extends string, N extends string> = E extends keyof R ? Simplify<Omit<R, E> & { [K in N]: R[E] }> : R;

/** The row of `left.join(right, on, how)`: an outer join's padded side may be null, a semi or anti join keeps the left. */
export type JoinRow<L, R, H> =
  H extends 'inner' | 'cross' ? Simplify<L & R>
  : H extends 'left' | 'leftouter' | 'left_outer' | 'leftOuter' ? Simplify<L & NullableRow<R>>
  : H extends 'right' | 'rightouter' | 'right_outer' | 'rightOuter' ? Simplify<NullableRow<L> & R>
  : H extends 'outer' | 'full' | 'fullouter' | 'full_outer' | 'fullOuter' ? Simplify<NullableRow<L> & NullableRow<R>>
  : H extends 'semi' | 'leftsemi' | 'left_semi' | 'leftSemi' | 'anti' | 'leftanti' | 'left_anti' | 'leftAnti' ? L
  : Row;

/** The join types, spelled as Spark takes them; any other string is refused at join(). */
export type JoinHowName = JoinHow | (string & {});
