// The JSON-lines format (multiLine: each file is one JSON document, an object or an array of
// objects). Records are parsed by from_json's machinery with the source's parse mode; a
// FAILFAST error names the file and line. A line longer than maxLineBytes (a document longer
// than maxRecordBytes) or not valid UTF-8 is a malformed record too; a UTF-8 BOM is dropped.
import { readFile, stat } from 'node:fs/promises';
import type { Row } from '../../../data/row.js';
import { MALFORMED } from '../../../expr/bound.js';
import { MalformedRecordError } from '../../../errors.js';
import { jsonRecordParser, jsonRowWriter } from '../../../expr/functions/json.js';
import { arrayOf } from '../../../expr/types.js';
import type { FileFormat } from './format.js';
import { put } from '../../../expr/own-properties.js';
import { decodeWhole } from './file-text.js';
import { FileRows, INVALID_UTF8_METRIC, lineProblemText, malformedRecord, recordLimit, schemaRequired } from './format.js';
import { readLines } from './lines.js';

export const jsonFormat: FileFormat = {
  name: 'json',
  extension: 'json',
  readOptions: ['multiLine', 'lineSep', 'timestampFormat', 'maxLineBytes', 'maxRecordBytes'],
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
    const corrupt = schema.fields.find((f) => f.name === read.corruptColumn && f.type.kind === 'string');
    /** PERMISSIVE's row for a record that could not be read at all: nulls, and what there is of it. */
    const nullRecord = (raw: string): Row => {
      const row: Row = {};
      for (const f of schema.fields) put(row, f.name, f === corrupt ? raw : null);
      return row;
    };
    if (/^true$/i.test(options['multiline'] ?? '')) {
      const maxRecordBytes = recordLimit(options, 'maxRecordBytes');
      const size = (await stat(file)).size;
      if (size > maxRecordBytes) {
        if (malformedRecord(read, file, 1, `the document (${size} bytes) is longer than maxRecordBytes (${maxRecordBytes} bytes)`) === 'drop') read.dropped(1);
        else yield [nullRecord('')];
        return;
      }
      const whole = decodeWhole(await readFile(file));
      if (whole.invalid) {
        if (malformedRecord(read, file, 1, 'it is not valid UTF-8') === 'drop') { read.dropped(1); return; }
        read.countMetric?.(INVALID_UTF8_METRIC, 1);
      }
      const parse = jsonRecordParser(arrayOf(schema), parserOptions);
      const parsed = failFastNamed(file, 1, () => parse(whole.text));
      if (parsed === MALFORMED) read.dropped(1);
      else if (Array.isArray(parsed)) yield (parsed as Row[]).filter((r) => r !== null);
      return;
    }
    const maxLineBytes = recordLimit(options, 'maxLineBytes');
    const parse = jsonRecordParser(schema, parserOptions);
    const rows = new FileRows(file);
    let dropped = 0;
    for await (const chunk of readLines(file, options['linesep'], maxLineBytes)) {
      chunk.lines.forEach((line, i) => {
        const lineNo = chunk.firstLine + i;
        let r: unknown;
        if (typeof line === 'string') r = failFastNamed(file, lineNo, () => parse(line));
        else if (malformedRecord(read, file, lineNo, lineProblemText(line.problem, maxLineBytes)) === 'drop') r = MALFORMED;
        else if (line.problem === 'tooLong') r = nullRecord(line.text);
        else {
          read.countMetric?.(INVALID_UTF8_METRIC, 1);
          r = failFastNamed(file, lineNo, () => parse(line.text));
        }
        if (r === MALFORMED) dropped++;
        else if (r !== null) {
          rows.add(r as Row, lineNo);
        }
      });
      const full = rows.take();
      if (full) yield full;
    }
    if (dropped) read.dropped(dropped);
    const rest = rows.take(true);
    if (rest) yield rest;
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
