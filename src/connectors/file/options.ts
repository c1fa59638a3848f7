// The file source's options, read and checked when the stream is defined (Spark's
// FileStreamOptions): read limits, ordering, age, name-only dedup, cleanSource.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { AnalysisError } from '../../errors.js';
import { parseDuration } from '../../expr/interval.js';
import type { SourceOptions } from '../contract.js';
import { booleanOption, numberOption, stringOption } from '../contract.js';
import type { SourcePath } from './listing.js';
import { couldMatch, parseSourcePath } from './listing.js';

export type CleanSource = 'off' | 'archive' | 'delete';

/** The options every file source reads, whatever its format (its format declares the rest). */
export const FILE_SOURCE_OPTIONS = [
  'maxFilesPerTrigger', 'maxBytesPerTrigger', 'latestFirst', 'maxFileAge', 'fileNameOnly', 'cleanSource', 'sourceArchiveDir',
  'waitForPath', 'mode', 'columnNameOfCorruptRecord', 'startingBatchLimit',
] as const;

/** The options every file sink reads, whatever its format. */
export const FILE_SINK_OPTIONS = ['partitionBy', 'maxRecordsPerFile'] as const;

export interface FileSourceSettings {
  readonly path: SourcePath;
  readonly maxFilesPerTrigger: number | null;
  readonly maxBytesPerTrigger: number | null;
  /** Files per batch while the run reads the backlog it found when it first planned (then the other limits). */
  readonly startingBatchLimit: number | null;
  readonly latestFirst: boolean;
  readonly maxFileAgeMs: number;
  readonly fileNameOnly: boolean;
  readonly cleanSource: CleanSource;
  readonly archiveDir: string | null;
}

const positiveInt = (n: number): boolean => Number.isInteger(n) && n > 0;

export function fileSourceSettings(opts: SourceOptions): FileSourceSettings {
  if (!opts.path) {
    throw new AnalysisError(`the ${opts.format} source needs a path: readStream.format('${opts.format}').load('/some/folder') (a folder or a glob)`);
  }
  if (opts.path.includes(',')) {
    throw new AnalysisError(`the ${opts.format} source reads one folder or glob, not a list: '${opts.path}'; use a glob such as '/data/{a,b}'`);
  }
  const path = parseSourcePath(opts.path);
  const o = opts.options;
  // As Spark's DataSource: a path without glob characters must exist when the frame is defined
  // (a glob may match nothing yet); waitForPath lets a stream wait for its folder to appear.
  if (path.segments.length === 0 && !existsSync(path.base) && !(opts.streaming !== false && booleanOption(o, 'waitForPath', false))) {
    throw new AnalysisError(
      `Path does not exist: ${path.base}. Create it before reading it` +
      (opts.streaming === false ? '' : ", or set option('waitForPath', true) to start the stream anyway and read the folder once it appears"),
    );
  }
  const maxFiles = stringOption(o, 'maxFilesPerTrigger') === undefined ? null : numberOption(o, 'maxFilesPerTrigger', 0, positiveInt);
  const maxBytes = stringOption(o, 'maxBytesPerTrigger') === undefined ? null : numberOption(o, 'maxBytesPerTrigger', 0, positiveInt);
  const catchUp = stringOption(o, 'startingBatchLimit') === undefined ? null : numberOption(o, 'startingBatchLimit', 0, positiveInt);
  if (maxFiles !== null && maxBytes !== null) {
    throw new AnalysisError('Options maxFilesPerTrigger and maxBytesPerTrigger can\'t be both set at the same time: choose one read limit');
  }
  const clean = (stringOption(o, 'cleanSource') ?? 'off').toLowerCase();
  if (clean !== 'off' && clean !== 'archive' && clean !== 'delete') {
    throw new AnalysisError(`option cleanSource must be off, archive or delete, got '${stringOption(o, 'cleanSource')}'`);
  }
  const archive = stringOption(o, 'sourceArchiveDir');
  if (clean === 'archive') {
    if (!archive) throw new AnalysisError("Archive mode must be used with 'sourceArchiveDir' option.");
    if (couldMatch(path, archive)) {
      throw new AnalysisError(
        `sourceArchiveDir '${archive}' lies inside the source path '${opts.path}': archived files would be read again; choose a folder outside it`,
      );
    }
  }
  const age = stringOption(o, 'maxFileAge');
  return {
    path,
    maxFilesPerTrigger: maxFiles,
    maxBytesPerTrigger: maxBytes,
    startingBatchLimit: catchUp,
    latestFirst: booleanOption(o, 'latestFirst', false),
    maxFileAgeMs: age === undefined ? 7 * 86_400_000 : parseDuration(age, 'maxFileAge'),
    fileNameOnly: booleanOption(o, 'fileNameOnly', false),
    cleanSource: clean,
    archiveDir: clean === 'archive' && archive ? resolve(archive) : null,
  };
}
