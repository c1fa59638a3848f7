// Registers the text, json and csv formats as streaming sources, static readers
// (spark.read...load(dir), honouring a file sink's manifest) and sinks.
import type { Row } from '../../actors/messages.js';
import { AnalysisError } from '../../errors.js';
import type { SinkOptions, SourceOptions, StreamSink } from '../contract.js';
import { numberOption, registerSink, registerSource, stringOption } from '../contract.js';
import { FileSink } from './file-sink.js';
import { FileStreamSource } from './file-source.js';
import { csvFormat } from './formats/csv.js';
import type { FileFormat } from './formats/format.js';
import { parseModeOf } from './formats/format.js';
import { jsonFormat } from './formats/json.js';
import { textFormat } from './formats/text.js';
import { listFiles, parseSourcePath } from './listing.js';
import { FILE_SINK_OPTIONS, FILE_SOURCE_OPTIONS, fileSourceSettings } from './options.js';
import { readFileRows } from './read-file.js';

function corruptColumn(opts: SourceOptions): string {
  return stringOption(opts.options, 'columnNameOfCorruptRecord') ?? '_corrupt_record';
}

async function readStatic(format: FileFormat, opts: SourceOptions): Promise<Row[]> {
  if (!opts.path) throw new AnalysisError(`spark.read.format('${format.name}') needs a path: .load('/some/folder')`);
  const schema = format.schema(opts.userSchema);
  const sp = parseSourcePath(opts.path);
  const mode = parseModeOf(opts.options);
  const rows: Row[] = [];
  const files = (await listFiles(sp)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of files) {
    for await (const chunk of readFileRows(f.path, sp.base, schema, format, opts.options, { mode, corruptColumn: corruptColumn(opts), dropped: () => undefined })) {
      for (const r of chunk) rows.push(r);
    }
  }
  return rows;
}

function partitionColumns(opts: SinkOptions): string[] {
  const raw = stringOption(opts.options, 'partitionBy');
  if (raw === undefined) return [];
  let cols: unknown;
  try {
    cols = JSON.parse(raw);
  } catch {
    cols = raw.split(',').map((c) => c.trim()).filter((c) => c !== '');
  }
  if (!Array.isArray(cols) || !cols.every((c) => typeof c === 'string')) {
    throw new AnalysisError(`partitionBy must name columns, got ${raw}`);
  }
  return cols as string[];
}

function register(format: FileFormat): void {
  registerSource(format.name, {
    options: [...FILE_SOURCE_OPTIONS, ...format.readOptions],
    schema: (opts) => {
      fileSourceSettings(opts); // options are checked when the stream is defined
      return format.schema(opts.userSchema);
    },
    create: (opts) => new FileStreamSource(
      format.schema(opts.userSchema), fileSourceSettings(opts), format, opts.options, parseModeOf(opts.options), corruptColumn(opts),
    ),
    readStatic: (opts) => readStatic(format, opts),
  });
  registerSink(format.name, {
    options: [...FILE_SINK_OPTIONS, ...format.writeOptions],
    create(opts: SinkOptions): StreamSink {
      if (!opts.path) throw new AnalysisError(`'path' is not specified: writeStream.format('${format.name}').start('/output/folder')`);
      const partitionBy = partitionColumns(opts);
      if (opts.schema) FileSink.prepare(format, opts.schema, partitionBy, opts.options);
      return new FileSink(format, {
        path: opts.path,
        partitionBy,
        maxRecordsPerFile: numberOption(opts.options, 'maxRecordsPerFile', 0, (n) => Number.isInteger(n) && n >= 0),
      }, opts.options);
    },
  });
}

for (const f of [textFormat, jsonFormat, csvFormat]) register(f);
