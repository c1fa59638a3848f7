// The text format: each line is a row `value` (wholetext: each file is one row; lineSep sets
// the separator). A line longer than maxLineBytes or not valid UTF-8 is malformed under the
// parse mode (PERMISSIVE keeps an invalid line decoded with U+FFFD, and counts it in the
// source's numInvalidUtf8Records; a too long one becomes null). Writing takes exactly one
// string column.
import { readFile, stat } from 'node:fs/promises';
import type { Row } from '../../../data/row.js';
import { AnalysisError } from '../../../errors.js';
import type { StructType } from '../../../expr/types.js';
import { STRING, fieldOf, structOf, typeToString } from '../../../expr/types.js';
import type { FileFormat } from './format.js';
import { decodeWhole } from './file-text.js';
import { FileRows, INVALID_UTF8_METRIC, lineProblemText, malformedRecord, recordLimit } from './format.js';
import { readLines } from './lines.js';

const TEXT_SCHEMA = structOf([fieldOf('value', STRING)]);

export const textFormat: FileFormat = {
  name: 'text',
  extension: 'txt',
  readOptions: ['wholetext', 'lineSep', 'maxLineBytes'],
  writeOptions: [],
  schema(userSchema) {
    if (userSchema && (userSchema.fields.length !== 1 || userSchema.fields[0]!.type.kind !== 'string')) {
      throw new AnalysisError(`Text data source supports only a single string column, but the schema is ${typeToString(userSchema)}`);
    }
    return userSchema ?? TEXT_SCHEMA;
  },
  async *read(file, schema, options, read) {
    const name = schema.fields[0]!.name;
    const maxLineBytes = recordLimit(options, 'maxLineBytes');
    // A computed key makes an own property, even for a column named __proto__.
    const rowOf = (value: string | null): Row => ({ [name]: value });
    if (/^true$/i.test(options['wholetext'] ?? '')) {
      const size = (await stat(file)).size;
      if (size > maxLineBytes) {
        if (malformedRecord(read, file, 1, `the whole file (${size} bytes) is longer than maxLineBytes (${maxLineBytes} bytes)`) === 'drop') read.dropped(1);
        else yield [rowOf(null)];
        return;
      }
      const whole = decodeWhole(await readFile(file));
      if (whole.invalid) {
        if (malformedRecord(read, file, 1, 'it is not valid UTF-8') === 'drop') { read.dropped(1); return; }
        read.countMetric?.(INVALID_UTF8_METRIC, 1);
      }
      yield [rowOf(whole.text)];
      return;
    }
    const rows = new FileRows(file);
    let dropped = 0;
    for await (const chunk of readLines(file, options['linesep'], maxLineBytes)) {
      const lines = chunk.lines;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        let value: string | null;
        if (typeof line === 'string') value = line;
        else {
          if (malformedRecord(read, file, chunk.firstLine + i, lineProblemText(line.problem, maxLineBytes)) === 'drop') { dropped++; continue; }
          if (line.problem === 'tooLong') value = null;
          else {
            value = line.text;
            read.countMetric?.(INVALID_UTF8_METRIC, 1);
          }
        }
        rows.add(rowOf(value), chunk.firstLine + i);
      }
      const full = rows.take();
      if (full) yield full;
    }
    if (dropped) read.dropped(dropped);
    const rest = rows.take(true);
    if (rest) yield rest;
  },
  writer(schema: StructType) {
    if (schema.fields.length !== 1) {
      throw new AnalysisError(`Text data source supports only a single column, and you have ${schema.fields.length} columns.`);
    }
    const f = schema.fields[0]!;
    if (f.type.kind !== 'string') {
      throw new AnalysisError(`Text data source does not support ${typeToString(f.type)} data type: cast column '${f.name}' to string`);
    }
    return { header: null, line: (row) => (row[f.name] as string | null) ?? '' };
  },
};
