// Registers the text, json and csv formats as streaming sources, static readers
// (spark.read...load(dir), honouring a file sink's manifest) and sinks.
import type { Row } from '../../data/row.js';
import { AnalysisError } from '../../errors.js';
import type { SinkOptions, SourceOptions, StreamSink, TaskSinkOptions } from '../contract.js';
import { numberOption, registerSink, registerSource, stringOption } from '../contract.js';
import type { FileSinkSettings } from './file-sink.js';
import { FileSink, FileTaskSink } from './file-sink.js';
import type { FileSplit } from './file-source.js';
import { FileStreamSource, readLoggedFile } from './file-source.js';
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

function partitionColumns(opts: SinkOptions | TaskSinkOptions): string[] {
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

function fileSinkSettings(opts: SinkOptions | TaskSinkOptions): FileSinkSettings {
  if (!opts.path) throw new AnalysisError(`'path' is not specified: writeStream.format('${opts.format}').start('/output/folder')`);
  return {
    path: opts.path,
    partitionBy: partitionColumns(opts),
    maxRecordsPerFile: numberOption(opts.options, 'maxRecordsPerFile', 0, (n) => Number.isInteger(n) && n >= 0),
  };
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
    splitReader: (opts) => {
      const schema = format.schema(opts.userSchema);
      const { given, base } = fileSourceSettings(opts).path;
      const mode = parseModeOf(opts.options);
      const corrupt = corruptColumn(opts);
      return {
        read: (split, ctx) => readLoggedFile(split as FileSplit, given, base, schema, format, opts.options, { mode, corruptColumn: corrupt, dropped: (n) => ctx.countMalformed(n) }),
        close: async () => undefined,
      };
    },
  });
  registerSink(format.name, {
    options: [...FILE_SINK_OPTIONS, ...format.writeOptions],
    create(opts: SinkOptions): StreamSink {
      if (!opts.path) throw new AnalysisError(`'path' is not specified: writeStream.format('${format.name}').start('/output/folder')`);
      const partitionBy = partitionColumns(opts);
      if (opts.schema) FileSink.prepare(format, opts.schema, partitionBy, opts.options);
      return new FileSink(format, fileSinkSettings(opts), opts.options);
    },
    taskSink: (opts) => new FileTaskSink(format, fileSinkSettings(opts), opts.options, opts.schema, opts.thread),
  });
}

for (const f of [textFormat, jsonFormat, csvFormat]) register(f);
