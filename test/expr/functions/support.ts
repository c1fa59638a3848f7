// Runs functions through the real pipeline: parse, bind against a schema, generate code, call.
import v8 from 'node:v8';
import '../../../src/expr/functions/index.js';
import { bind } from '../../../src/expr/analyze.js';
import type { BoundExpr } from '../../../src/expr/bound.js';
import { compileValue } from '../../../src/expr/codegen.js';
import { lookupAggregate, type BoundAggregate } from '../../../src/expr/functions/registry.js';
import { parseExpression, parseSchemaDDL } from '../../../src/expr/parser.js';
import type { Expr } from '../../../src/expr/tree.js';
import type { StructType } from '../../../src/expr/types.js';
import { structOf, typeToString } from '../../../src/expr/types.js';

type Row = Record<string, unknown>;

const schemaOf = (ddl?: string): StructType => (ddl ? parseSchemaDDL(ddl) : structOf([]));

/** The bound form of `sql` over the columns of `ddl` (e.g. 's STRING, n INT'). */
export function bound(sql: string, ddl?: string): BoundExpr {
  return bind(parseExpression(sql), schemaOf(ddl));
}

/** A compiled row function for `sql`. */
export function compiled(sql: string, ddl?: string): (row: Row) => unknown {
  return compileValue(bound(sql, ddl));
}

/** The value of `sql` for one row. */
export function evaluate(sql: string, row: Row = {}, ddl?: string): unknown {
  return compiled(sql, ddl)(row);
}

/** The Spark type name of `sql`'s result. */
export function typeOf(sql: string, ddl?: string): string {
  return typeToString(bound(sql, ddl).type);
}

export const utc = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);

/** An aggregate call such as `sum(x)` or `count(DISTINCT x)`, bound and ready to feed rows. */
export interface AggregateRun {
  readonly agg: BoundAggregate;
  /** Folds rows into a fresh accumulator (round-tripping it through v8.serialize after each row). */
  fold(rows: readonly Row[]): unknown;
  /** The result of one accumulator fed all rows. */
  all(rows: readonly Row[]): unknown;
  /** The result of merging accumulators of the two halves, split at `at`. */
  split(rows: readonly Row[], at: number): unknown;
}

export const roundTrip = <T>(v: T): T => v8.deserialize(v8.serialize(v)) as T;

export function aggregate(sql: string, ddl: string, options?: Record<string, unknown>): AggregateRun {
  const e = parseExpression(sql);
  if (e.k !== 'call') throw new Error(`not a call: ${sql}`);
  const schema = schemaOf(ddl);
  const args = e.args.filter((a) => a.k !== 'star').map((a) => bind(a, schema));
  const agg = lookupAggregate(e.name)!.bind(args, e.distinct ?? false, options ?? e.options);
  const argFns = args.map((a) => compileValue(a));
  const fold = (rows: readonly Row[]): unknown => {
    let acc = roundTrip(agg.init());
    for (const r of rows) acc = roundTrip(agg.update(acc, ...argFns.map((f) => f(r))));
    return acc;
  };
  return {
    agg,
    fold,
    all: (rows) => agg.result(fold(rows)),
    split: (rows, at) => agg.result(roundTrip(agg.merge(fold(rows.slice(0, at)), fold(rows.slice(at))))),
  };
}

/** The value of an already-built expression tree (as the Column API builds them) for one row. */
export function evaluateTree(e: Expr, row: Row = {}, ddl?: string): unknown {
  return compileValue(bind(e, schemaOf(ddl)))(row);
}
