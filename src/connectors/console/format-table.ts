// Spark's ASCII table (Dataset.show): `+---+` borders, right-aligned cells, long values cut,
// each value written as Spark casts it to a string (doubles as `1560.0`, arrays as `[a, b]`).
import type { Row } from '../../data/row.js';
import { typedValueToString } from '../../expr/cast.js';
import type { StructType } from '../../expr/types.js';

/**
 * Spark's showString: the table of the first `numRows` of `rows` over `schema`'s columns, cells
 * cut to `truncate` characters (0: never), then `only showing top N rows` when there were more.
 */
export function showString(schema: StructType, rows: readonly Row[], numRows: number, truncate: number): string {
  const more = rows.length > numRows ? `only showing top ${numRows} ${numRows === 1 ? 'row' : 'rows'}\n` : '';
  return formatRows(schema, rows.slice(0, numRows), truncate) + more;
}

/** The table of `rows` over `schema`'s columns; cells cut to `truncate` characters (0: never). */
export function formatRows(schema: StructType, rows: readonly Row[], truncate: number): string {
  const columns = schema.fields.map((f) => f.name);
  const cell = (v: unknown, i: number): string => {
    const s = typedValueToString(v, schema.fields[i]!.type);
    if (truncate <= 0 || s.length <= truncate) return s;
    return truncate < 4 ? s.slice(0, truncate) : `${s.slice(0, truncate - 3)}...`;
  };
  const cells = rows.map((r) => columns.map((c, i) => cell(r[c], i)));
  const widths = columns.map((c, i) => Math.max(3, c.length, ...cells.map((r) => r[i]!.length)));
  const line = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const fmt = (vals: readonly string[]): string =>
    `|${vals.map((v, i) => (truncate > 0 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('|')}|`;
  return `${[line, fmt(columns), line, ...cells.map(fmt), line].join('\n')}\n`;
}
