// The text format: each line is a row `value` (wholetext: each file is one row; lineSep sets
// the separator). Writing takes exactly one string column.
import { readFile } from 'node:fs/promises';
import type { Row } from '../../../actors/messages.js';
import { AnalysisError } from '../../../errors.js';
import type { StructType } from '../../../expr/types.js';
import { STRING, fieldOf, structOf, typeToString } from '../../../expr/types.js';
import type { FileFormat } from './format.js';
import { CHUNK_ROWS } from './format.js';
import { readLines } from './lines.js';

const TEXT_SCHEMA = structOf([fieldOf('value', STRING)]);

export const textFormat: FileFormat = {
  name: 'text',
  extension: 'txt',
  readOptions: ['wholetext', 'lineSep'],
  writeOptions: [],
  schema(userSchema) {
    if (userSchema && (userSchema.fields.length !== 1 || userSchema.fields[0]!.type.kind !== 'string')) {
      throw new AnalysisError(`Text data source supports only a single string column, but the schema is ${typeToString(userSchema)}`);
    }
    return userSchema ?? TEXT_SCHEMA;
  },
  async *read(file, schema, options) {
    const name = schema.fields[0]!.name;
    if (/^true$/i.test(options['wholetext'] ?? '')) {
      yield [{ [name]: await readFile(file, 'utf8') }];
      return;
    }
    let rows: Row[] = [];
    for await (const chunk of readLines(file, options['linesep'])) {
      for (const value of chunk.lines) {
        rows.push({ [name]: value });
        if (rows.length >= CHUNK_ROWS) { yield rows; rows = []; }
      }
    }
    if (rows.length) yield rows;
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
