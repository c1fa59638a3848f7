// Builders for the simple plan nodes. Each analyses its input at once and throws an
// AnalysisError naming the problem, as a Spark Dataset method does.
import type { Row } from '../data/row.js';
import { AnalysisError } from '../errors.js';
import type { NamedExpr } from '../expr/analyze.js';
import { bind, bindProjection, findField, projectionSchema } from '../expr/analyze.js';
import { GENERATOR_NAMES } from '../expr/functions/registry.js';
import type { Expr } from '../expr/tree.js';
import { colRef, sqlText, walk } from '../expr/tree.js';
import type { DataType, Field, StructType } from '../expr/types.js';
import { INTEGER, NULL, fieldOf, structOf, typeToString } from '../expr/types.js';
import type {
  DedupNode, FilterNode, GeneratorSpec, LimitNode, LogicalPlan, MapNode, ProjectNode, SortNode, SortOrder, UnionNode, WatermarkNode, WatermarkTracking,
} from './logical.js';

export function project(child: LogicalPlan, items: readonly Expr[]): ProjectNode {
  const genAt = items.findIndex((e) => generatorCall(e) !== null);
  if (genAt < 0) {
    const bound = bindProjection(items, child.schema);
    return { k: 'project', child, items: bound, schema: projectionSchema(bound) };
  }
  if (items.findIndex((e, i) => i > genAt && generatorCall(e) !== null) >= 0) {
    throw new AnalysisError('only one generator (explode) is allowed per select; explode in two steps instead');
  }
  const before = bindProjection(items.slice(0, genAt), child.schema);
  const after = bindProjection(items.slice(genAt + 1), child.schema);
  const { generator, fields } = bindGenerator(items[genAt]!, child.schema, before.length);
  const placeholders: NamedExpr[] = fields.map((f) => ({ name: f.name, expr: { k: 'lit', value: null, type: f.type }, nullable: true }));
  const all = [...before, ...placeholders, ...after];
  return { k: 'project', child, items: all, generator, schema: projectionSchema(all) };
}

function generatorCall(e: Expr): { name: string; arg: Expr; aliases: string[] } | null {
  let aliases: string[] = [];
  let inner = e;
  if (inner.k === 'alias') {
    aliases = [inner.name];
    inner = inner.child;
  }
  if (inner.k === 'call' && GENERATOR_NAMES.has(inner.name.toLowerCase())) {
    if (inner.args.length !== 1) throw new AnalysisError(`${inner.name}() takes exactly one argument, got ${inner.args.length}`);
    const extra = inner.options?.['aliases'];
    if (Array.isArray(extra)) aliases = extra.map(String);
    return { name: inner.name.toLowerCase(), arg: inner.args[0]!, aliases };
  }
  return null;
}

function bindGenerator(e: Expr, schema: StructType, position: number): { generator: GeneratorSpec; fields: Field[] } {
  const g = generatorCall(e)!;
  const input = bind(g.arg, schema);
  const withPosition = g.name.startsWith('posexplode');
  const outer = g.name.endsWith('_outer');
  let types: DataType[];
  let defaults: string[];
  if (input.type.kind === 'array') {
    types = [input.type.element];
    defaults = ['col'];
  } else if (input.type.kind === 'map') {
    types = [input.type.key, input.type.value];
    defaults = ['key', 'value'];
  } else if (input.type.kind === 'null') {
    types = [NULL];
    defaults = ['col'];
  } else {
    throw new AnalysisError(`${g.name}() needs an array or a map, but ${sqlText(g.arg)} is ${typeToString(input.type)}`);
  }
  if (withPosition) {
    types = [INTEGER, ...types];
    defaults = ['pos', ...defaults];
  }
  const names = g.aliases.length === 0 ? defaults
    : g.aliases.length === types.length ? g.aliases
    : g.aliases.length === 1 && types.length === 2 && withPosition ? ['pos', g.aliases[0]!]
    : (() => { throw new AnalysisError(`${g.name}() produces ${types.length} columns but ${g.aliases.length} aliases were given`); })();
  const fields = names.map((n, i) => fieldOf(n, types[i]!));
  return { generator: { position, input, outer, names, withPosition }, fields };
}

export function filter(child: LogicalPlan, condition: Expr): FilterNode | ProjectNode {
  if (child.k === 'project' && !child.generator) {
    const missing = columnsDroppedBy(child, condition);
    if (missing.length > 0) return filterOnDroppedColumns(child, condition, missing);
  }
  const c = bind(condition, child.schema);
  if (c.type.kind !== 'boolean' && c.type.kind !== 'null') {
    throw new AnalysisError(`filter needs a boolean condition, but ${sqlText(condition)} is ${typeToString(c.type)}`);
  }
  return { k: 'filter', child, condition: c, schema: child.schema };
}

/** The columns `condition` names that `select` dropped but its input has. */
function columnsDroppedBy(select: ProjectNode, condition: Expr): string[] {
  const missing = new Set<string>();
  walk(condition, (n) => {
    if (n.k !== 'col' || findField(select.schema, n.path[0]!)) return;
    const below = findField(select.child.schema, n.path[0]!);
    if (below) missing.add(below.name);
  });
  return [...missing];
}

/**
 * A filter on columns the select below it dropped: Spark resolves them from the select's input
 * (its ResolveMissingReferences rule), so `select('id').where('qty > 0')` works. The select is
 * widened with those columns, filtered, and narrowed back to its own columns.
 */
function filterOnDroppedColumns(select: ProjectNode, condition: Expr, missing: readonly string[]): ProjectNode {
  const widenedItems = [...select.items, ...bindProjection(missing.map((name) => colRef([name])), select.child.schema)];
  const widened: ProjectNode = { ...select, items: widenedItems, schema: projectionSchema(widenedItems) };
  return project(filter(widened, condition), select.schema.fields.map((f) => colRef([f.name])));
}

export function withWatermark(child: LogicalPlan, column: string, delayMs: number, tracking?: WatermarkTracking): WatermarkNode {
  const f = findField(child.schema, column);
  if (!f) {
    throw new AnalysisError(`withWatermark: no column '${column}'; the columns are [${child.schema.fields.map((x) => x.name).join(', ')}]`);
  }
  if (f.type.kind !== 'timestamp' && !(f.type.kind === 'struct' && f.type.fields.some((x) => x.name === 'end'))) {
    throw new AnalysisError(
      `withWatermark('${column}') needs a timestamp column, but '${f.name}' is ${typeToString(f.type)}; convert it first, e.g. withColumn('${f.name}', toTimestamp(col('${f.name}')))`,
    );
  }
  // The delay tags this column only (Spark removes it from other columns).
  const fields = child.schema.fields.map((x) => x.name === f.name
    ? fieldOf(x.name, x.type, x.nullable, { ...x.metadata, watermarkDelayMs: delayMs })
    : x.metadata?.watermarkDelayMs !== undefined ? fieldOf(x.name, x.type, x.nullable) : x);
  return { k: 'watermark', child, column: f.name, delayMs, schema: structOf(fields), ...(tracking ? { tracking } : {}) };
}

export function mapRows(child: LogicalPlan, fn: (row: Row) => Row | Iterable<Row>, schema: StructType | undefined, flat: boolean): MapNode {
  return { k: 'map', child, fn, flat, schema: schema ?? child.schema };
}

export function dedup(child: LogicalPlan, columns: readonly string[] | undefined, withinWatermark = false): DedupNode {
  const what = withinWatermark ? 'dropDuplicatesWithinWatermark' : 'dropDuplicates';
  const cols = columns && columns.length ? columns.map((c) => {
    const f = findField(child.schema, c);
    if (!f) throw new AnalysisError(`${what}: no column '${c}'; the columns are [${child.schema.fields.map((x) => x.name).join(', ')}]`);
    return f;
  }) : child.schema.fields;
  return { k: 'dedup', child, columns: cols.map((f) => f.name), schema: child.schema, eventTime: watermarkedColumn(child.schema), withinWatermark };
}

/** The column withWatermark tagged, with its delay (at most one column carries it). */
export function watermarkedColumn(schema: StructType): { column: string; delayMs: number } | null {
  const f = schema.fields.find((x) => x.metadata?.watermarkDelayMs !== undefined);
  return f ? { column: f.name, delayMs: f.metadata!.watermarkDelayMs! } : null;
}

export function union(children: readonly LogicalPlan[]): UnionNode {
  const first = children[0]!.schema;
  for (const c of children.slice(1)) {
    if (c.schema.fields.length !== first.fields.length) {
      throw new AnalysisError(`union needs the same number of columns on each side: ${first.fields.length} vs ${c.schema.fields.length}`);
    }
  }
  return { k: 'union', children, schema: first };
}

/** The name asc() / desc() and their nulls variants give a sort key (a call only orderBy reads). */
export const SORT_ORDER = 'sort_order';

/**
 * orderBy(...): each key a column (ascending, nulls first) or a Column from asc() / desc() and
 * their nulls-first / nulls-last forms.
 */
export function sort(child: LogicalPlan, keys: readonly Expr[]): SortNode {
  if (keys.length === 0) throw new AnalysisError("orderBy needs at least one column, e.g. orderBy(col('count').desc())");
  const orders: SortOrder[] = keys.map((k) => {
    const order = k.k === 'call' && k.name === SORT_ORDER ? k : null;
    const ascending = order ? order.options?.['ascending'] !== false : true;
    const nullsFirst = order ? order.options?.['nullsFirst'] === true : true;
    const expr = bind(order ? order.args[0]! : k, child.schema);
    if (expr.type.kind === 'map') throw new AnalysisError(`cannot sort by ${sqlText(order ? order.args[0]! : k)}: map columns have no order`);
    return { expr, ascending, nullsFirst };
  });
  return { k: 'sort', child, orders, schema: child.schema };
}

export function limit(child: LogicalPlan, n: number): LimitNode {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new AnalysisError(`The limit expression must be equal to or greater than 0, but got ${String(n)}: limit(n) takes a whole number of rows`);
  }
  return { k: 'limit', child, n, schema: child.schema };
}
