// spate's side of the normalisation the Spark side does inside Spark (oracle.py `normalised`):
// timestamps to epoch microseconds, binary to base64, NaN and infinities to strings, so that
// both sides compare as plain JSON values.
import type { Row } from '../../../src/index.js';
import type { DataType, StructType } from '../../../src/expr/types.js';

export function normaliseRows(rows: readonly Row[], schema: StructType): Row[] {
  return rows.map((r) => normaliseStruct(r, schema));
}

function normaliseStruct(row: Row, schema: StructType): Row {
  const out: Row = {};
  for (const f of schema.fields) out[f.name] = normalise(row[f.name], f.type);
  return out;
}

function normalise(v: unknown, t: DataType): unknown {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case 'timestamp': return (v as Date).getTime() * 1000;
    case 'binary': return (v as Buffer).toString('base64');
    case 'struct': return normaliseStruct(v as Row, t);
    case 'array': return (v as unknown[]).map((x) => normalise(x, t.element));
    case 'map': return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, normalise(x, t.value)]));
    case 'double': case 'long': case 'integer': return number(v as number);
    default: return v;
  }
}

function number(n: number): number | string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return BigInt(n).toString();
  return n;
}
