// The file sink (json, csv, text): append mode only. Each epoch writes its rows into new part
// files (under `col=value/` folders with partitionBy), then appends the list of those files to
// the manifest log in the output folder. An epoch already in the manifest is skipped on replay,
// and readers that honour the manifest never see the files of an epoch that did not commit.
// The entry is written only while the run holds the checkpoint (its fence), and never over an
// entry another run wrote: a run that froze past its lock timeout publishes nothing.
import { randomUUID } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Row } from '../../data/row.js';
import type { EpochWriter } from '../../actors/sink-actor.js';
import { AnalysisError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import { structOf } from '../../expr/types.js';
import type { OutputMode } from '../../plan/logical.js';
import type { CheckpointBackend } from '../../state/backend.js';
import type { SinkContext, StreamSink, TaskEpochWriter, TaskSink, TaskSinkResult } from '../contract.js';
import type { FileFormat, FileWriter, FormatOptions } from './formats/format.js';
import { escapePathName, pathError } from './listing.js';
import type { ManifestEntry } from './manifest.js';
import { ManifestLog } from './manifest.js';
import { DEFAULT_PARTITION } from './read-file.js';
import { put } from '../../expr/own-properties.js';

export interface FileSinkSettings {
  readonly path: string;
  readonly partitionBy: readonly string[];
  readonly maxRecordsPerFile: number;
}

interface OpenFile {
  readonly relative: string;
  readonly handle: FileHandle;
  records: number;
  bytes: number;
}

export class FileSink implements StreamSink {
  readonly supportedModes: readonly OutputMode[] = ['append'];
  readonly guarantee = 'exactly-once' as const;
  readonly guaranteeReason = 'file sink: exactly-once; an epoch\'s files count once listed in the manifest log, and a replayed epoch already listed is skipped';
  readonly needsCheckpointLocation = true;
  private manifest: ManifestLog | null = null;
  private checkpoint: CheckpointBackend | null = null;
  private lastCommitted = -1;
  private writer: FileWriter | null = null;
  private dataColumns: string[] = [];
  readonly writesFromTasks = true;
  private readonly taskResults = new Map<number, TaskSinkResult[]>();

  constructor(private readonly format: FileFormat, private readonly settings: FileSinkSettings, private readonly options: FormatOptions) {}

  get description(): string {
    return `FileSink[${this.settings.path}]`;
  }

  /** Checks the schema against the format and partition columns; the writer for the data columns. */
  static prepare(format: FileFormat, schema: StructType, partitionBy: readonly string[], options: FormatOptions): { writer: FileWriter; dataColumns: string[] } {
    for (const c of partitionBy) {
      if (!schema.fields.some((f) => f.name === c)) {
        throw new AnalysisError(`Partition column '${c}' not found in schema ${schema.fields.map((f) => f.name).join(', ')}`);
      }
    }
    const data = schema.fields.filter((f) => !partitionBy.includes(f.name));
    if (data.length === 0) throw new AnalysisError('Cannot use all columns for partition columns: keep at least one data column');
    return { writer: format.writer(structOf(data), options), dataColumns: data.map((f) => f.name) };
  }

  async open(ctx: SinkContext): Promise<void> {
    const { writer, dataColumns } = FileSink.prepare(this.format, ctx.schema, this.settings.partitionBy, this.options);
    this.writer = writer;
    this.dataColumns = dataColumns;
    await mkdir(this.settings.path, { recursive: true });
    this.checkpoint = ctx.checkpoint;
    this.manifest = new ManifestLog(this.settings.path);
    this.lastCommitted = await this.manifest.latestBatchId();
  }

  beginEpoch(epoch: number): EpochWriter | null {
    if (epoch <= this.lastCommitted) return null;
    const part = partWriter(this.format, this.writer!, this.settings, this.dataColumns, `part-${String(epoch).padStart(5, '0')}`);
    let tasks: TaskSinkResult[] = [];
    return {
      write: (rows) => part.write(rows),
      commit: async () => {
        tasks = this.taskResults.get(epoch) ?? [];
        for (const e of this.taskResults.keys()) if (e <= epoch) this.taskResults.delete(e);
        const files = [...(await part.finish(epoch)), ...tasks.flatMap((t) => (t.detail as ManifestEntry[] | undefined) ?? [])];
        await this.checkpoint!.checkFence();
        if (!(await this.manifest!.commit(epoch, files))) {
          // Another run committed this epoch meanwhile: its files count, these never will.
          await Promise.all(files.map((f) => rm(join(this.settings.path, ...f.path.split('/')), { force: true })));
        }
        this.lastCommitted = epoch;
      },
      get outputRows(): number {
        return part.rows + tasks.reduce((n, t) => n + t.rows, 0);
      },
    };
  }

  /** The worker threads' part files of `epoch` (master('local[N]')): listed in its manifest entry with the driver's. */
  commitTasks(epoch: number, results: readonly TaskSinkResult[]): void {
    this.taskResults.set(epoch, [...results]);
  }

  async close(): Promise<void> {}
}

/** A partition value as Spark writes it in a folder name. */
function partitionText(v: unknown): string {
  if (v === null || v === undefined || v === '') return DEFAULT_PARTITION;
  if (v instanceof Date) return escapePathName(v.toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, ''));
  return escapePathName(String(v));
}

/** Writes an epoch's rows into new part files of one writer (the driver's, or one worker thread's). */
function partWriter(format: FileFormat, writer: FileWriter, settings: FileSinkSettings, dataColumns: readonly string[], prefix: string) {
  const files = new Map<string, OpenFile>();
  const done: Omit<ManifestEntry, 'batchId'>[] = [];
  const { partitionBy, maxRecordsPerFile } = settings;
  const id = randomUUID();
  let fileCount = 0;
  let rowsWritten = 0;

  const fullPath = (relative: string): string => join(settings.path, ...relative.split('/'));
  const finish = async (f: OpenFile): Promise<void> => {
    try {
      await f.handle.datasync();
      await f.handle.close();
    } catch (e) {
      throw pathError('file sink cannot write', fullPath(f.relative), e);
    }
    done.push({ path: f.relative, size: f.bytes });
  };
  const append = async (f: OpenFile, text: string): Promise<void> => {
    try {
      await f.handle.write(text);
    } catch (e) {
      throw pathError('file sink cannot write', fullPath(f.relative), e);
    }
    f.bytes += Buffer.byteLength(text);
  };
  const fileFor = async (dir: string): Promise<OpenFile> => {
    let f = files.get(dir);
    if (f && maxRecordsPerFile > 0 && f.records >= maxRecordsPerFile) {
      await finish(f);
      f = undefined;
    }
    if (!f) {
      const name = `${prefix}-${id}-c${String(fileCount++).padStart(3, '0')}.${format.extension}`;
      const relative = dir === '' ? name : `${dir}/${name}`;
      const handle = await mkdir(join(settings.path, dir), { recursive: true })
        .then(() => open(fullPath(relative), 'w'))
        .catch((e: unknown) => { throw pathError('file sink cannot create', fullPath(relative), e); });
      f = { relative, handle, records: 0, bytes: 0 };
      files.set(dir, f);
      if (writer.header !== null) await append(f, `${writer.header}\n`);
    }
    return f;
  };
  const dataRow = (r: Row): Row => {
    if (partitionBy.length === 0) return r;
    const out: Row = {};
    for (const c of dataColumns) put(out, c, r[c]);
    return out;
  };

  return {
    async write(rows: Row[]): Promise<void> {
      rowsWritten += rows.length;
      const groups = new Map<string, string[]>();
      for (const r of rows) {
        const dir = partitionBy.map((c) => `${escapePathName(c)}=${partitionText(r[c])}`).join('/');
        let lines = groups.get(dir);
        if (!lines) groups.set(dir, (lines = []));
        lines.push(writer.line(dataRow(r)));
      }
      for (const [dir, lines] of groups) {
        let i = 0;
        while (i < lines.length) {
          const f = await fileFor(dir);
          const room = maxRecordsPerFile > 0 ? maxRecordsPerFile - f.records : lines.length;
          const part = lines.slice(i, i + room);
          await append(f, `${part.join('\n')}\n`);
          f.records += part.length;
          i += part.length;
        }
      }
    },
    /** Flushes and closes the files; their manifest entries as epoch `epoch`'s. */
    async finish(epoch: number): Promise<ManifestEntry[]> {
      for (const f of files.values()) await finish(f);
      files.clear();
      return done.map((d) => ({ ...d, batchId: epoch }));
    },
    /** Closes and deletes the files (an epoch that was already committed). */
    async discard(): Promise<void> {
      for (const f of files.values()) await f.handle.close();
      files.clear();
      await Promise.all(done.map((d) => rm(join(settings.path, ...d.path.split('/')), { force: true })));
    },
    get rows(): number {
      return rowsWritten;
    },
  };
}

/**
 * A worker thread's part of a file sink (master('local[N]')): it writes the part files of the
 * rows its tasks produced; the driver lists every thread's files in the epoch's manifest entry.
 * An epoch the manifest already has (a replay) is dropped.
 */
export class FileTaskSink implements TaskSink {
  private readonly writer_: FileWriter;
  private readonly dataColumns: string[];
  private readonly manifest: ManifestLog;

  constructor(
    private readonly format: FileFormat, private readonly settings: FileSinkSettings, options: FormatOptions, schema: StructType,
    private readonly thread: number,
  ) {
    const prepared = FileSink.prepare(format, schema, settings.partitionBy, options);
    this.writer_ = prepared.writer;
    this.dataColumns = prepared.dataColumns;
    this.manifest = new ManifestLog(settings.path);
  }

  writer(): TaskEpochWriter {
    const part = partWriter(this.format, this.writer_, this.settings, this.dataColumns, `part-t${this.thread}`);
    return {
      write: (rows) => part.write(rows),
      finish: async (epoch) => {
        // A replay of an epoch the manifest has: its rows are there already.
        if (epoch <= await this.manifest.latestBatchId()) {
          await part.discard();
          return { rows: 0 };
        }
        return { rows: part.rows, detail: await part.finish(epoch) };
      },
    };
  }

  async close(): Promise<void> {}
}
