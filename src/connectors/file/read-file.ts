// Reads one file of a (possibly partitioned) folder: the format parses the data columns, and
// columns named by `k=v` folders between the source folder and the file are filled from the path.
import type { Row } from '../../data/row.js';
import { originOf, withOrigin } from '../../data/row.js';
import { castFunction } from '../../expr/cast.js';
import { put } from '../../expr/own-properties.js';
import type { StructType } from '../../expr/types.js';
import { STRING, structOf } from '../../expr/types.js';
import type { FileFormat, FormatOptions, ReadOptions } from './formats/format.js';
import { partitionValues, pathError } from './listing.js';

export const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

/**
 * The rows of one file. A file-system error names the file (ENOENT is passed on as it is: the
 * file source decides what a vanished file means).
 */
export async function* readFileRows(
  file: string, base: string, schema: StructType, format: FileFormat, options: FormatOptions, read: ReadOptions,
): AsyncIterable<Row[]> {
  try {
    yield* rowsOf(file, base, schema, format, options, read);
  } catch (e) {
    throw (e as NodeJS.ErrnoException).code === 'ENOENT' ? e : pathError('cannot read file', file, e);
  }
}

async function* rowsOf(
  file: string, base: string, schema: StructType, format: FileFormat, options: FormatOptions, read: ReadOptions,
): AsyncIterable<Row[]> {
  const values = partitionValues(base, file);
  const partitionFields = schema.fields.filter((f) => values.has(f.name));
  if (partitionFields.length === 0) {
    yield* format.read(file, schema, options, read);
    return;
  }
  const fromPath: Row = {};
  for (const f of partitionFields) {
    const text = values.get(f.name)!;
    const cast = castFunction(STRING, f.type) as ((v: string) => unknown) | undefined;
    put(fromPath, f.name, text === DEFAULT_PARTITION ? null : cast ? cast(text) : text);
  }
  const dataSchema = structOf(schema.fields.filter((f) => !values.has(f.name)));
  const names = schema.fields.map((f) => f.name);
  for await (const rows of format.read(file, dataSchema, options, read)) {
    const out = rows.map((r) => {
      const o: Row = {};
      for (const n of names) put(o, n, Object.prototype.hasOwnProperty.call(fromPath, n) ? fromPath[n] : r[n]);
      return o;
    });
    const origin = originOf(rows);
    yield origin ? withOrigin(out, origin) : out;
  }
}
