// The CSV format: fields map to the schema's columns by position (a header line, with
// header=true, is skipped), text is converted with Spark's casts; a value that does not convert
// makes the record malformed (PERMISSIVE: that field null and the line in the corrupt-record
// column; DROPMALFORMED: dropped and counted; FAILFAST: an error naming file and line).
import { createReadStream } from 'node:fs';
import type { Row } from '../../../actors/messages.js';
import { AnalysisError, MalformedRecordError } from '../../../errors.js';
import { castFunction, parseTimestampMs } from '../../../expr/cast.js';
import { compileDatePattern } from '../../../expr/functions/date-pattern.js';
import type { DataType, StructType } from '../../../expr/types.js';
import { STRING, typeToString } from '../../../expr/types.js';
import type { CsvSyntax } from './csv-parser.js';
import { CsvTokenizer } from './csv-parser.js';
import type { FileFormat, FormatOptions } from './format.js';
import { CHUNK_ROWS, quoteRecord, schemaRequired } from './format.js';

function syntaxOf(options: FormatOptions): CsvSyntax {
  const sep = options['sep'] ?? options['delimiter'] ?? ',';
  const one = (name: string, v: string): string => {
    if (v.length !== 1) throw new AnalysisError(`CSV option ${name} must be a single character, got '${v}'`);
    return v;
  };
  return {
    sep: one('sep', sep === '\\t' ? '\t' : sep),
    quote: one('quote', options['quote'] ?? '"'),
    escape: one('escape', options['escape'] ?? '\\'),
    comment: options['comment'] ?? '',
  };
}

function checkAtomic(schema: StructType): void {
  for (const f of schema.fields) {
    if (f.type.kind === 'array' || f.type.kind === 'map' || f.type.kind === 'struct' || f.type.kind === 'binary') {
      throw new AnalysisError(`CSV data source does not support ${typeToString(f.type)} data type (column '${f.name}'): use json, or convert it with toJson`);
    }
  }
}

type Convert = (text: string) => unknown;

/** Text → value of `type`; returns undefined when the text does not convert. */
function converter(type: DataType, options: FormatOptions): Convert {
  if (type.kind === 'string') return (t) => t;
  if (type.kind === 'timestamp') {
    const f = options['timestampformat'];
    const parse = f ? ((p) => (s: string) => p.parse(s))(compileDatePattern(f)) : parseTimestampMs;
    return (t) => {
      const ms = parse(t.trim());
      return ms === null ? undefined : new Date(ms);
    };
  }
  const cast = castFunction(STRING, type) as ((v: string) => unknown) | undefined;
  if (!cast) return (t) => t;
  return (t) => {
    const v = cast(t.trim());
    return v === null || v === undefined ? undefined : v;
  };
}

export const csvFormat: FileFormat = {
  name: 'csv',
  extension: 'csv',
  readOptions: ['sep', 'delimiter', 'quote', 'escape', 'comment', 'header', 'nullValue', 'timestampFormat'],
  writeOptions: ['sep', 'delimiter', 'quote', 'escape', 'header', 'nullValue', 'timestampFormat'],
  schema(userSchema) {
    if (!userSchema) throw schemaRequired('csv');
    checkAtomic(userSchema);
    return userSchema;
  },
  async *read(file, schema, options, read) {
    const syntax = syntaxOf(options);
    const header = /^true$/i.test(options['header'] ?? '');
    const nullValue = options['nullvalue'] ?? '';
    const corrupt = schema.fields.find((f) => f.name === read.corruptColumn && f.type.kind === 'string');
    const data = schema.fields.filter((f) => f !== corrupt);
    const converts = data.map((f) => converter(f.type, options));
    const tokenizer = new CsvTokenizer(syntax);
    let first = header;
    let rows: Row[] = [];
    let dropped = 0;
    const take = (records: ReturnType<CsvTokenizer['push']>): void => {
      for (const rec of records) {
        if (first) { first = false; continue; }
        const row: Row = {};
        let bad: string | null = null;
        data.forEach((f, i) => {
          const text = rec.fields[i];
          // An unquoted empty field is already null; a quoted one ("") is an empty string.
          if (text === undefined || text === null || (nullValue !== '' && text === nullValue)) { row[f.name] = null; return; }
          const v = converts[i]!(text);
          if (v === undefined) {
            bad ??= `'${quoteRecord(text)}' is not a valid ${typeToString(f.type)} for column ${f.name}`;
            row[f.name] = null;
          } else row[f.name] = v;
        });
        if (bad !== null) {
          if (read.mode === 'FAILFAST') {
            throw new MalformedRecordError(`malformed record in file ${file}, line ${rec.line}: ${bad}; use mode PERMISSIVE or DROPMALFORMED to keep going`);
          }
          if (read.mode === 'DROPMALFORMED') { dropped++; continue; }
        }
        if (corrupt) {
          const ordered: Row = {};
          for (const f of schema.fields) ordered[f.name] = f === corrupt ? (bad === null ? null : rec.raw) : row[f.name];
          rows.push(ordered);
        } else rows.push(row);
      }
    };
    for await (const text of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>) {
      take(tokenizer.push(text));
      if (rows.length >= CHUNK_ROWS) { yield rows; rows = []; }
    }
    take(tokenizer.end());
    if (dropped) read.dropped(dropped);
    if (rows.length) yield rows;
  },
  writer(schema, options) {
    checkAtomic(schema);
    const { sep, quote, escape } = syntaxOf(options);
    const nullValue = options['nullvalue'] ?? '';
    const pattern = compileDatePattern(options['timestampformat'] ?? "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    const needsQuotes = (s: string): boolean => s === '' || s.includes(sep) || s.includes(quote) || s.includes('\n') || s.includes('\r');
    const quoteText = (s: string): string =>
      `${quote}${s.split(escape).join(escape + escape).split(quote).join(escape + quote)}${quote}`;
    const fields = schema.fields.map((f) => {
      switch (f.type.kind) {
        case 'string': return (v: unknown) => (needsQuotes(v as string) ? quoteText(v as string) : (v as string));
        case 'timestamp': return (v: unknown) => pattern.format(v as Date);
        case 'double': return (v: unknown) => (Number.isInteger(v) ? `${v as number}.0` : String(v));
        default: return (v: unknown) => String(v);
      }
    });
    const names = schema.fields.map((f) => f.name);
    return {
      header: /^true$/i.test(options['header'] ?? '') ? names.map((n) => (needsQuotes(n) ? quoteText(n) : n)).join(sep) : null,
      line: (row) => names.map((n, i) => {
        const v = row[n];
        return v === null || v === undefined ? nullValue : fields[i]!(v);
      }).join(sep),
    };
  },
};
