// The CSV format: fields map to the schema's columns by position (a header line, with
// header=true, is skipped), text is converted with Spark's casts. A record is malformed when a
// value does not convert, when it has more or fewer fields than the schema, when its quoting is
// broken (a quote not closed, text after a closing quote), when it is longer than
// maxRecordBytes, or when it is not valid UTF-8 (PERMISSIVE keeps that one, decoded with U+FFFD,
// and counts it). Malformed: PERMISSIVE gives nulls where values are missing and the record's
// text in the corrupt-record column; DROPMALFORMED drops and counts it; FAILFAST fails naming
// file and line. A quoted field spans lines only with multiLine (default false, as Spark).
import type { Row } from '../../../data/row.js';
import { AnalysisError } from '../../../errors.js';
import { castFunction, parseTimestampMs } from '../../../expr/cast.js';
import { compileDatePattern } from '../../../expr/functions/date-pattern.js';
import type { DataType, StructType } from '../../../expr/types.js';
import { STRING, typeToString } from '../../../expr/types.js';
import { put } from '../../../expr/own-properties.js';
import type { CsvRecord, CsvSyntax } from './csv-parser.js';
import { CsvTokenizer } from './csv-parser.js';
import type { FileFormat, FormatOptions } from './format.js';
import { readTextPieces } from './file-text.js';
import { FileRows, INVALID_UTF8_METRIC, malformedRecord, quoteRecord, recordLimit, schemaRequired } from './format.js';

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
    multiLine: /^true$/i.test(options['multiline'] ?? ''),
    maxRecordBytes: recordLimit(options, 'maxRecordBytes'),
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
    const text = t.trim();
    const v = cast(text);
    if (v === null || v === undefined) return undefined;
    // 1e400 does not fit a double: out of range, not Infinity (NaN and Infinity are written as such).
    if (typeof v === 'number' && !Number.isFinite(v) && !/^[+-]?(NaN|Inf|Infinity)$/i.test(text)) return undefined;
    return v;
  };
}

export const csvFormat: FileFormat = {
  name: 'csv',
  extension: 'csv',
  readOptions: ['sep', 'delimiter', 'quote', 'escape', 'comment', 'header', 'nullValue', 'timestampFormat', 'multiLine', 'maxRecordBytes'],
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
    const rows = new FileRows(file);
    let dropped = 0;
    const take = (records: readonly CsvRecord[]): void => {
      for (const rec of records) {
        if (first) { first = false; continue; }
        // Malformed as a whole: broken quoting, too long, or a wrong number of fields (as Spark).
        let bad = rec.problem === 'it is not valid UTF-8' && read.mode === 'PERMISSIVE' ? null : rec.problem;
        if (bad === null && rec.fields.length !== data.length) {
          bad = `it has ${rec.fields.length} field${rec.fields.length === 1 ? '' : 's'} but the schema has ${data.length}`;
        }
        if (bad !== null && malformedRecord(read, file, rec.line, bad) === 'drop') { dropped++; continue; }
        if (rec.problem === 'it is not valid UTF-8' && read.mode === 'PERMISSIVE') read.countMetric?.(INVALID_UTF8_METRIC, 1);
        const row: Row = {};
        data.forEach((f, i) => {
          const text = rec.fields[i];
          // An unquoted empty field is already null; a quoted one ("") is an empty string.
          if (text === undefined || text === null || (nullValue !== '' && text === nullValue)) { put(row, f.name, null); return; }
          const v = converts[i]!(text);
          if (v === undefined) {
            bad ??= `'${quoteRecord(text)}' is not a valid ${typeToString(f.type)} for column ${f.name}`;
            put(row, f.name, null);
          } else put(row, f.name, v);
        });
        if (bad !== null && rec.problem === null && rec.fields.length === data.length) {
          // A value that does not convert: the record is malformed under the parse mode.
          if (malformedRecord(read, file, rec.line, bad) === 'drop') { dropped++; continue; }
        }
        if (corrupt) {
          const ordered: Row = {};
          for (const f of schema.fields) put(ordered, f.name, f === corrupt ? (bad === null ? null : rec.raw) : row[f.name]);
          rows.add(ordered, rec.line);
        } else rows.add(row, rec.line);
      }
    };
    for await (const piece of readTextPieces(file)) {
      take(tokenizer.push(piece.text, piece.invalid));
      const full = rows.take();
      if (full) yield full;
    }
    take(tokenizer.end());
    if (dropped) read.dropped(dropped);
    const rest = rows.take(true);
    if (rest) yield rest;
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
