// The JSON-lines format (multiLine: each file is one JSON document, an object or an array of
// objects). Records are parsed by from_json's machinery with the source's parse mode; a
// FAILFAST error names the file and line.
import { readFile } from 'node:fs/promises';
import type { Row } from '../../../actors/messages.js';
import { MALFORMED } from '../../../expr/bound.js';
import { MalformedRecordError } from '../../../errors.js';
import { jsonRecordParser, jsonRowWriter } from '../../../expr/functions/json.js';
import { arrayOf } from '../../../expr/types.js';
import type { FileFormat } from './format.js';
import { CHUNK_ROWS, schemaRequired } from './format.js';
import { readLines } from './lines.js';

export const jsonFormat: FileFormat = {
  name: 'json',
  extension: 'json',
  readOptions: ['multiLine', 'lineSep', 'timestampFormat'],
  writeOptions: ['timestampFormat', 'ignoreNullFields'],
  schema(userSchema) {
    if (!userSchema) throw schemaRequired('json');
    return userSchema;
  },
  async *read(file, schema, options, read) {
    const parserOptions = {
      mode: read.mode, columnNameOfCorruptRecord: read.corruptColumn,
      ...(options['timestampformat'] ? { timestampFormat: options['timestampformat'] } : {}),
    };
    if (/^true$/i.test(options['multiline'] ?? '')) {
      const parse = jsonRecordParser(arrayOf(schema), parserOptions);
      const text = await readFile(file, 'utf8');
      const parsed = failFastNamed(file, 1, () => parse(text));
      if (parsed === MALFORMED) read.dropped(1);
      else if (Array.isArray(parsed)) yield (parsed as Row[]).filter((r) => r !== null);
      return;
    }
    const parse = jsonRecordParser(schema, parserOptions);
    let rows: Row[] = [];
    let dropped = 0;
    for await (const chunk of readLines(file, options['linesep'])) {
      chunk.lines.forEach((line, i) => {
        const r = failFastNamed(file, chunk.firstLine + i, () => parse(line));
        if (r === MALFORMED) dropped++;
        else if (r !== null) rows.push(r as Row);
      });
      if (rows.length >= CHUNK_ROWS) { yield rows; rows = []; }
    }
    if (dropped) read.dropped(dropped);
    if (rows.length) yield rows;
  },
  writer(schema, options) {
    return { header: null, line: jsonRowWriter(schema, options) };
  },
};

/** Runs a parse; a FAILFAST error is re-thrown naming the file and line. */
export function failFastNamed<T>(file: string, line: number, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof MalformedRecordError) {
      throw new MalformedRecordError(`malformed record in file ${file}, line ${line}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
