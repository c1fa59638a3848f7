// The compact encoding of a chunk of rows, given their columns: what the exchange between
// threads (and, later, a Kafka repartition topic) carries. Columnar: numbers and timestamps as
// one float64 run, strings through a per-chunk dictionary (a grouping key repeated
// across a chunk is written and decoded once; long strings in place), booleans as one byte each,
// a struct (a window's start and end) as columns of its fields, other nested values and
// aggregation buffers in the self-describing value encoding. A value that does not match its
// column's type is written in that encoding too, so nothing is ever coerced. The result is one
// ArrayBuffer, moved to another thread without a copy (a transferable), never a structured
// clone of row objects. Row extraction and row building are generated per schema, with column
// names escaped as string literals.
import { isDate } from 'node:util/types';
import { Codegen, quote } from '../expr/codegen.js';
import type { DataType, StructType } from '../expr/types.js';
import { ByteReader, ByteWriter } from './bytes.js';
import type { Row } from './row.js';
import { readValue, writeValue } from './value-codec.js';

/** A column to encode: its name and type; `null` for values of any shape (aggregation buffers). */
export interface ColumnSpec {
  readonly name: string;
  readonly type: DataType | null;
}

/** Encoded rows: `buffer` holds them in its first `byteLength` bytes. */
export interface EncodedChunk {
  readonly buffer: ArrayBuffer;
  readonly byteLength: number;
  readonly rows: number;
}

export interface ChunkCodec {
  readonly columns: readonly ColumnSpec[];
  encode(rows: readonly Row[]): EncodedChunk;
  /** Appends the rows' encoding to `w` (several chunks in one frame). */
  write(w: ByteWriter, rows: readonly Row[]): void;
  decode(chunk: EncodedChunk): Row[];
  /** Reads rows written by `write` at the reader's offset. */
  read(r: ByteReader): Row[];
  /** Writes `n` rows given as their columns (`cols[j][i]`: column j of row i), as `write` does rows. */
  writeColumns(w: ByteWriter, n: number, cols: readonly ColumnValues[]): void;
  /** Reads what `write` or `writeColumns` wrote as columns, building no row. */
  readColumns(r: ByteReader): DecodedColumns;
}

/**
 * A struct column given to `writeColumns` as the columns of its fields (in the struct type's
 * field order), every row holding a struct: written as the same struct objects would be.
 */
export class StructFields {
  constructor(readonly fields: readonly ColumnValues[]) {}
}

/** A timestamp column given to `writeColumns` as epoch milliseconds, every row holding one: written as the same Dates would be. */
export class EpochMillis {
  constructor(readonly ms: Float64Array) {}
}

/** A column's values for `writeColumns`: one value per row, or one of the forms above. */
export type ColumnValues = readonly unknown[] | StructFields | EpochMillis;

/**
 * Rows as their columns, standing as the one row of a chunk: what an operator emits when its
 * rows are only ever encoded (an owner's aggregation output on its way to the driver), so that
 * no row object is built for them. `cols` follow the codec's columns.
 */
export class RowColumns {
  constructor(readonly n: number, readonly cols: readonly ColumnValues[]) {}
}

/** Rows as decoded columns: `cols[j][i]` is column j of row i. */
export interface DecodedColumns {
  readonly n: number;
  readonly cols: unknown[][];
}

const VERSION = 2;

const enum Kind { Number = 0, Timestamp = 1, Boolean = 2, String = 3, Generic = 4, Struct = 5 }
/** Per-row markers of number, timestamp and boolean columns. */
const enum Mark { Value = 0, Null = 1, Undefined = 2, Other = 3, True = 4 }
/** String column codes below the dictionary's first index. */
const enum StrCode { Null = 0, Undefined = 1, Other = 2, Inline = 3, First = 4 }

/** Strings longer than this are written in place: a dictionary only pays for short, repeated ones. */
const DICTIONARY_MAX = 32;

/** How a column is written: its encoding and, for a struct, its fields' (with a builder of the struct objects). */
interface ColumnPlan {
  readonly kind: Kind;
  readonly fields: readonly string[];
  readonly fieldPlans: readonly ColumnPlan[];
  readonly build: Build | null;
}

function planOf(t: DataType | null): ColumnPlan {
  switch (t?.kind) {
    case 'integer': case 'long': case 'double': return leaf(Kind.Number);
    case 'timestamp': return leaf(Kind.Timestamp);
    case 'boolean': return leaf(Kind.Boolean);
    case 'string': return leaf(Kind.String);
    case 'struct': {
      if (t.fields.length === 0) return leaf(Kind.Generic);
      const columns = columnsOf(t);
      return { kind: Kind.Struct, fields: columns.map((c) => c.name), fieldPlans: columns.map((c) => planOf(c.type)), build: compileBuild(columns) };
    }
    default: return leaf(Kind.Generic);
  }
}

function leaf(kind: Kind): ColumnPlan {
  return { kind, fields: [], fieldPlans: [], build: null };
}

export function columnsOf(schema: StructType): ColumnSpec[] {
  return schema.fields.map((f) => ({ name: f.name, type: f.type }));
}

const codecs = new WeakMap<StructType, ChunkCodec>();

/** The codec of a schema's rows (cached per schema object). */
export function schemaCodec(schema: StructType): ChunkCodec {
  let c = codecs.get(schema);
  if (!c) codecs.set(schema, (c = chunkCodec(columnsOf(schema))));
  return c;
}

export function chunkCodec(columns: readonly ColumnSpec[]): ChunkCodec {
  return columnarCodec(columns, compileExtract(columns), compileBuild(columns));
}

/** Takes a chunk's rows apart into one array per column (`cols[j][i]`: column j of row i). */
export type Extract = (rows: readonly Row[], cols: unknown[][]) => void;
/** Builds `n` rows from their columns. */
export type Build = (n: number, cols: unknown[][]) => Row[];

/**
 * The codec of rows whose columns are not simply their fields (a partial aggregate's key values
 * and accumulators, each a column of its own): `extract` and `build` map rows to `columns`.
 */
export function columnarCodec(columns: readonly ColumnSpec[], extract: Extract, build: Build): ChunkCodec {
  const plans = columns.map((c) => planOf(c.type));
  const kinds = plans.map((p) => p.kind);

  const writeColumns = (w: ByteWriter, n: number, cols: readonly ColumnValues[]): void => {
    w.u8(VERSION);
    w.u32(n);
    w.u32(columns.length);
    for (let j = 0; j < columns.length; j++) {
      w.u8(kinds[j]!);
      writeColumn(w, plans[j]!, cols[j]!, n);
    }
  };

  const write = (w: ByteWriter, rows: readonly Row[]): void => {
    const n = rows.length;
    const cols = columns.map(() => new Array<unknown>(n));
    extract(rows, cols);
    writeColumns(w, n, cols);
  };

  const readColumns = (r: ByteReader): DecodedColumns => {
    const version = r.u8();
    if (version !== VERSION) throw new Error(`corrupt chunk: version ${version}, expected ${VERSION}`);
    const n = r.u32();
    const count = r.u32();
    if (count !== columns.length) {
      throw new Error(`corrupt chunk: ${count} columns, expected ${columns.length} (${columns.map((c) => c.name).join(', ')})`);
    }
    const cols: unknown[][] = [];
    for (let j = 0; j < count; j++) {
      const kind = r.u8() as Kind;
      if (kind !== kinds[j]) throw new Error(`corrupt chunk: column ${columns[j]!.name} has encoding ${kind}, expected ${kinds[j]}`);
      cols.push(readColumn(r, plans[j]!, n));
    }
    return { n, cols };
  };

  const read = (r: ByteReader): Row[] => {
    const { n, cols } = readColumns(r);
    return build(n, cols);
  };

  return {
    columns,
    write,
    read,
    writeColumns,
    readColumns,
    encode(rows) {
      const w = new ByteWriter(64 + rows.length * columns.length * 10);
      write(w, rows);
      return { buffer: w.buffer, byteLength: w.length, rows: rows.length };
    },
    decode(c) {
      return read(new ByteReader(c.buffer, 0, c.byteLength));
    },
  };
}

/** Writes the first `n` values of a column (`values` may be longer: a reused buffer). */
function writeColumn(w: ByteWriter, plan: ColumnPlan, column: ColumnValues, n: number = columnLength(column)): void {
  if (column instanceof StructFields || column instanceof EpochMillis) {
    writeColumnOf(w, plan, column, n);
    return;
  }
  const values = column;
  const kind = plan.kind;
  switch (kind) {
    case Kind.Number: case Kind.Timestamp: {
      w.ensure(n);
      const marks = w.bytes;
      const at = w.length;
      let count = 0;
      let others = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const m: Mark = kind === Kind.Number
          ? (typeof v === 'number' ? Mark.Value : v === null ? Mark.Null : v === undefined ? Mark.Undefined : Mark.Other)
          : (v instanceof Date || isDate(v) ? Mark.Value : v === null ? Mark.Null : v === undefined ? Mark.Undefined : Mark.Other);
        marks[at + i] = m;
        if (m === Mark.Value) count++;
        else if (m === Mark.Other) others++;
      }
      w.length += n;
      w.ensure(8 * count);
      const bytes = w.bytes;
      const view = w.view;
      let p = w.length;
      for (let i = 0; i < n; i++) {
        if (bytes[at + i] !== Mark.Value) continue;
        const v = values[i];
        view.setFloat64(p, kind === Kind.Number ? (v as number) : (v as Date).getTime(), true);
        p += 8;
      }
      w.length = p;
      if (others > 0) for (let i = 0; i < n; i++) if (w.bytes[at + i] === Mark.Other) writeValue(w, values[i]);
      return;
    }
    case Kind.Boolean: {
      w.ensure(n);
      const at = w.length;
      let others = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const m = v === true ? Mark.True : v === false ? Mark.Value : v === null ? Mark.Null : v === undefined ? Mark.Undefined : Mark.Other;
        w.bytes[at + i] = m;
        if (m === Mark.Other) others++;
      }
      w.length += n;
      if (others > 0) for (let i = 0; i < n; i++) if (w.bytes[at + i] === Mark.Other) writeValue(w, values[i]);
      return;
    }
    case Kind.String: {
      const dict = new Map<string, number>();
      const codes = new Array<number>(n);
      let others = 0;
      let inline = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'string') {
          if (v.length > DICTIONARY_MAX) {
            codes[i] = StrCode.Inline;
            inline++;
            continue;
          }
          let d = dict.get(v);
          if (d === undefined) dict.set(v, (d = dict.size));
          codes[i] = StrCode.First + d;
        } else if (v === null) codes[i] = StrCode.Null;
        else if (v === undefined) codes[i] = StrCode.Undefined;
        else { codes[i] = StrCode.Other; others++; }
      }
      w.varuint(dict.size);
      for (const s of dict.keys()) w.string(s);
      // The codes at one fixed width for the chunk (1, 2 or 4 bytes), read back without branching per byte.
      const top = StrCode.First + dict.size;
      const width = top <= 0xff ? 1 : top <= 0xffff ? 2 : 4;
      w.u8(width);
      w.ensure(width * n);
      const bytes = w.bytes;
      let p = w.length;
      if (width === 1) for (let i = 0; i < n; i++) bytes[p++] = codes[i]!;
      else if (width === 2) for (let i = 0; i < n; i++, p += 2) { const c = codes[i]!; bytes[p] = c & 0xff; bytes[p + 1] = c >>> 8; }
      else for (let i = 0; i < n; i++, p += 4) w.view.setUint32(p, codes[i]!, true);
      w.length = p;
      if (inline > 0) for (let i = 0; i < n; i++) if (codes[i] === StrCode.Inline) w.string(values[i] as string);
      if (others > 0) for (let i = 0; i < n; i++) if (codes[i] === StrCode.Other) writeValue(w, values[i]);
      return;
    }
    case Kind.Struct: {
      // Marks, then each field as a column over the rows holding a struct of exactly these
      // fields, then anything else (another shape, a class instance) in the value encoding.
      w.ensure(n);
      const at = w.length;
      let count = 0;
      let others = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const m = v === null ? Mark.Null : v === undefined ? Mark.Undefined : isStructOf(v, plan.fields) ? Mark.Value : Mark.Other;
        w.bytes[at + i] = m;
        if (m === Mark.Value) count++;
        else if (m === Mark.Other) others++;
      }
      w.length += n;
      const fields = plan.fields.map(() => new Array<unknown>(count));
      for (let i = 0, c = 0; i < n; i++) {
        if (w.bytes[at + i] !== Mark.Value) continue;
        const v = values[i] as Record<string, unknown>;
        for (let f = 0; f < fields.length; f++) fields[f]![c] = v[plan.fields[f]!];
        c++;
      }
      for (let f = 0; f < fields.length; f++) writeColumn(w, plan.fieldPlans[f]!, fields[f]!);
      if (others > 0) for (let i = 0; i < n; i++) if (w.bytes[at + i] === Mark.Other) writeValue(w, values[i]);
      return;
    }
    case Kind.Generic:
      for (let i = 0; i < n; i++) writeValue(w, values[i]);
      return;
  }
}

function columnLength(column: ColumnValues): number {
  if (column instanceof StructFields) return column.fields.length === 0 ? 0 : columnLength(column.fields[0]!);
  if (column instanceof EpochMillis) return column.ms.length;
  return column.length;
}

/** Writes a column given as its struct's field columns or as epoch milliseconds: the bytes its values as objects would make. */
function writeColumnOf(w: ByteWriter, plan: ColumnPlan, column: StructFields | EpochMillis, n: number): void {
  if (column instanceof StructFields) {
    if (plan.kind !== Kind.Struct || plan.fields.length !== column.fields.length) throw new Error('internal: struct field columns for a column of another shape');
    w.ensure(n);
    w.bytes.fill(Mark.Value, w.length, w.length + n);
    w.length += n;
    for (let f = 0; f < column.fields.length; f++) writeColumn(w, plan.fieldPlans[f]!, column.fields[f]!, n);
    return;
  }
  if (plan.kind !== Kind.Timestamp) throw new Error('internal: epoch milliseconds for a column that is not a timestamp');
  w.ensure(9 * n);
  w.bytes.fill(Mark.Value, w.length, w.length + n);
  w.length += n;
  const view = w.view;
  let p = w.length;
  for (let i = 0; i < n; i++, p += 8) view.setFloat64(p, column.ms[i]!, true);
  w.length = p;
}

/** Whether `v` is a plain object with exactly these own fields, in this order (so that it is rebuilt as it was). */
function isStructOf(v: unknown, fields: readonly string[]): boolean {
  if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return false;
  let i = 0;
  for (const k in v) {
    if (k !== fields[i] || !Object.hasOwn(v, k)) return false;
    i++;
  }
  return i === fields.length;
}

function readColumn(r: ByteReader, plan: ColumnPlan, n: number): unknown[] {
  const out = new Array<unknown>(n);
  const kind = plan.kind;
  switch (kind) {
    case Kind.Number: case Kind.Timestamp: {
      const at = r.offset;
      const marks = r.bytes;
      const view = r.view;
      let p = at + n;
      let others = false;
      for (let i = 0; i < n; i++) {
        const m = marks[at + i] as Mark;
        if (m === Mark.Value) {
          const v = view.getFloat64(p, true);
          p += 8;
          out[i] = kind === Kind.Number ? v : new Date(v);
        }
        else if (m === Mark.Null) out[i] = null;
        else if (m === Mark.Undefined) out[i] = undefined;
        else others = true;
      }
      r.offset = p;
      if (others) for (let i = 0; i < n; i++) if (marks[at + i] === Mark.Other) out[i] = readValue(r);
      return out;
    }
    case Kind.Boolean: {
      const at = r.offset;
      r.offset += n;
      const marks = r.bytes;
      let others = false;
      for (let i = 0; i < n; i++) {
        const m = marks[at + i] as Mark;
        if (m === Mark.True) out[i] = true;
        else if (m === Mark.Value) out[i] = false;
        else if (m === Mark.Null) out[i] = null;
        else if (m === Mark.Undefined) out[i] = undefined;
        else others = true;
      }
      if (others) for (let i = 0; i < n; i++) if (marks[at + i] === Mark.Other) out[i] = readValue(r);
      return out;
    }
    case Kind.String: {
      const size = r.varuint();
      const dict = new Array<string>(size);
      for (let d = 0; d < size; d++) dict[d] = r.string();
      const others: number[] = [];
      const inline: number[] = [];
      const width = r.u8();
      if (width !== 1 && width !== 2 && width !== 4) throw new Error(`corrupt chunk: string codes of ${width} bytes`);
      const bytes = r.bytes;
      const at = r.offset;
      r.offset += width * n;
      if (r.offset > r.end) throw new Error('corrupt chunk: string codes run past its end');
      for (let i = 0; i < n; i++) {
        const c = width === 1 ? bytes[at + i]! : width === 2 ? bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8) : r.view.getUint32(at + 4 * i, true);
        if (c >= StrCode.First) out[i] = dict[c - StrCode.First];
        else if (c === StrCode.Null) out[i] = null;
        else if (c === StrCode.Undefined) out[i] = undefined;
        else if (c === StrCode.Inline) inline.push(i);
        else others.push(i);
      }
      for (const i of inline) out[i] = r.string();
      for (const i of others) out[i] = readValue(r);
      return out;
    }
    case Kind.Struct: {
      const at = r.offset;
      r.offset += n;
      const marks = r.bytes;
      let count = 0;
      let others = false;
      for (let i = 0; i < n; i++) {
        const m = marks[at + i] as Mark;
        if (m === Mark.Value) count++;
        else if (m === Mark.Null) out[i] = null;
        else if (m === Mark.Undefined) out[i] = undefined;
        else others = true;
      }
      const fields = plan.fieldPlans.map((p) => readColumn(r, p, count));
      const structs = plan.build!(count, fields);
      for (let i = 0, c = 0; i < n; i++) if (marks[at + i] === Mark.Value) out[i] = structs[c++];
      if (others) for (let i = 0; i < n; i++) if (marks[at + i] === Mark.Other) out[i] = readValue(r);
      return out;
    }
    case Kind.Generic:
      for (let i = 0; i < n; i++) out[i] = readValue(r);
      return out;
    default:
      throw new Error(`corrupt chunk: unknown column encoding ${String(kind)}`);
  }
}

function compileExtract(columns: readonly ColumnSpec[]): Extract {
  const g = new Codegen();
  const body = [
    ...columns.map((_, j) => `const v${j} = cols[${j}];`),
    'for (let i = 0; i < rows.length; i++) {',
    'const r = rows[i];',
    ...columns.map((c, j) => `v${j}[i] = r[${quote(c.name)}];`),
    '}',
  ];
  return g.compile<Extract>(['rows', 'cols'], body);
}

function compileBuild(columns: readonly ColumnSpec[]): Build {
  const g = new Codegen();
  // A column named __proto__ is data: a computed key defines it instead of setting the prototype.
  const key = (name: string): string => (name === '__proto__' ? `[${quote(name)}]` : quote(name));
  const body = [
    ...columns.map((_, j) => `const v${j} = cols[${j}];`),
    'const out = new Array(n);',
    'for (let i = 0; i < n; i++) {',
    `out[i] = { ${columns.map((c, j) => `${key(c.name)}: v${j}[i]`).join(', ')} };`,
    '}',
    'return out;',
  ];
  return g.compile<Build>(['n', 'cols'], body);
}
