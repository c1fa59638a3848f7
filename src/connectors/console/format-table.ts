// Spark's ASCII table (Dataset.show): `+---+` borders, right-aligned cells, long values cut.
import type { Row } from '../../actors/messages.js';
import { valueToString } from '../../expr/cast.js';

export function formatRows(columns: readonly string[], rows: readonly Row[], truncate: number): string {
  const cell = (v: unknown): string => {
    const s = valueToString(v);
    return truncate > 0 && s.length > truncate ? `${s.slice(0, truncate - 3)}...` : s;
  };
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(3, c.length, ...cells.map((r) => r[i]!.length)));
  const line = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
  const fmt = (vals: readonly string[]): string =>
    `|${vals.map((v, i) => (truncate > 0 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('|')}|`;
  return `${[line, fmt(columns), line, ...cells.map(fmt), line].join('\n')}\n`;
}
