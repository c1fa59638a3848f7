// The file source (Spark's FileStreamSource): each trigger lists the folder or glob, takes the
// files not seen before (oldest first, or newest with latestFirst), up to maxFilesPerTrigger or
// maxBytesPerTrigger, and logs them as the next batch in the checkpoint before the batch's
// offsets are written. The offset is the batch number in that log, so a replay reads exactly
// the logged files. Committed batches are cleaned up by cleanSource.
import type { Row } from '../../data/row.js';
import { stat } from 'node:fs/promises';
import type { StructType } from '../../expr/types.js';
import type { Offset, SourceBacklog, SourceContext, StreamSource } from '../contract.js';
import { cleanFiles } from './clean-source.js';
import type { FileFormat, FormatOptions, ParseMode, ReadOptions } from './formats/format.js';
import type { FileStatus } from './listing.js';
import { listFiles, seenKey } from './listing.js';
import type { FileSourceSettings } from './options.js';
import { readFileRows } from './read-file.js';
import { FileSourceLog } from './source-log.js';

/** Spark's FileStreamSourceOffset: the newest batch of the source's log. */
export interface FileOffset {
  readonly logOffset: number;
}

const logOffsetOf = (o: Offset): number => (o as FileOffset | null)?.logOffset ?? -1;

/** The source metric counting files removed between listing and reading. */
const VANISHED_METRIC = 'numFilesVanished';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** A file of a logged batch. */
export interface FileSplit {
  readonly path: string;
  readonly batch: number;
}

/**
 * The rows of a file the source log took. One removed between listing and reading (a replay
 * finds it gone too) is skipped, said (naming the source `given`) and counted.
 */
export async function* readLoggedFile(
  split: FileSplit, given: string, base: string, schema: StructType, format: FileFormat, formatOptions: FormatOptions, readOptions: ReadOptions,
): AsyncIterable<Row[]> {
  try {
    yield* readFileRows(split.path, base, schema, format, formatOptions, readOptions);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || await exists(split.path)) throw e;
    readOptions.countMetric?.(VANISHED_METRIC, 1);
    process.emitWarning(`file source ${given}: file ${split.path} of batch ${split.batch} was removed before it was read; it is skipped`, 'SpateFileSourceWarning');
  }
}

export class FileStreamSource implements StreamSource {
  readonly replayable = true;
  private ctx: SourceContext | null = null;
  private log: FileSourceLog | null = null;
  /** Files taken by batches up to `seenThrough`, by seen key, with their modification time. */
  private readonly seen = new Map<string, number>();
  private seenThrough: number | null = null;
  private latestMtime = -Infinity;
  private readonly batches = new Map<number, FileStatus[]>();
  private cleanedThrough: number | null = null;
  /** Figures of the last batch read (files vanished, records kept though not valid UTF-8). */
  private lastMetrics = new Map<string, number>();
  /** startingBatchLimit: the files of the backlog found when this run first planned, not taken yet. */
  private catchUp: Set<string> | null = null;
  /** Files the last planning left for later batches. */
  private backlogFiles = 0;
  /** Trigger.AvailableNow: the files present at start, and how many of them were taken. */
  private availableNow: { readonly keys: Set<string>; total: number | null; done: number } | null = null;

  constructor(
    readonly schema: StructType,
    private readonly settings: FileSourceSettings,
    private readonly format: FileFormat,
    private readonly formatOptions: FormatOptions,
    private readonly mode: ParseMode,
    private readonly corruptColumn: string,
  ) {}

  get description(): string {
    return `FileStreamSource[${this.settings.path.given}]`;
  }

  async open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    this.log = new FileSourceLog(ctx.checkpoint, ctx.metadataPath);
  }

  async initialOffset(): Promise<Offset> {
    return { logOffset: -1 } satisfies FileOffset;
  }

  async latestOffset(start: Offset, limits: 'default' | 'all'): Promise<Offset> {
    const from = logOffsetOf(start);
    await this.loadSeen(from);
    const s = this.settings;
    const limited = limits === 'default' && (s.maxFilesPerTrigger !== null || s.maxBytesPerTrigger !== null);
    const threshold = (s.latestFirst && limited) || this.latestMtime === -Infinity ? -Infinity : this.latestMtime - s.maxFileAgeMs;
    const keyOf = (f: FileStatus): string => seenKey(f.path, s.fileNameOnly);
    const allow = this.availableNow?.keys;
    const unique = new Map<string, FileStatus>();
    for (const f of await listFiles(s.path)) {
      const k = keyOf(f);
      if (this.seen.has(k) || f.mtimeMs < threshold || (allow && !allow.has(k)) || unique.has(k)) continue;
      unique.set(k, f);
    }
    const fresh = [...unique.values()].sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    if (s.latestFirst) fresh.reverse();
    if (this.availableNow && this.availableNow.total === null) this.availableNow.total = fresh.length;
    // The backlog a run finds when it first plans is read in batches of at most startingBatchLimit files.
    const freshKeys = new Set(fresh.map(keyOf));
    this.catchUp = this.catchUp === null ? freshKeys : new Set([...this.catchUp].filter((k) => freshKeys.has(k)));
    const taken = limits === 'all' ? fresh : this.limit(fresh, s.startingBatchLimit !== null && this.catchUp.size > 0);
    this.backlogFiles = fresh.length - taken.length;
    if (taken.length === 0) return start;
    const batch = from + 1;
    await this.log!.write(batch, taken);
    this.batches.set(batch, taken);
    this.remember(taken);
    this.seenThrough = batch;
    if (this.availableNow) this.availableNow.done += taken.length;
    return { logOffset: batch } satisfies FileOffset;
  }

  async *read(start: Offset, end: Offset): AsyncIterable<Row[]> {
    const ctx = this.ctx!;
    const counts = new Map<string, number>();
    this.lastMetrics = counts;
    const readOptions: ReadOptions = {
      mode: this.mode, corruptColumn: this.corruptColumn, dropped: (n: number) => ctx.countMalformed(n),
      countMetric: (name, n) => counts.set(name, (counts.get(name) ?? 0) + n),
    };
    for (const split of await this.planSplits(start, end)) {
      yield* readLoggedFile(split, this.settings.path.given, this.settings.path.base, this.schema, this.format, this.formatOptions, readOptions);
    }
  }

  /** One split per logged file (master('local[N]'): each thread reads the files dealt to it). */
  async planSplits(start: Offset, end: Offset): Promise<FileSplit[]> {
    const splits: FileSplit[] = [];
    for (let b = logOffsetOf(start) + 1; b <= logOffsetOf(end); b++) for (const f of await this.filesOf(b)) splits.push({ path: f.path, batch: b });
    return splits;
  }

  metrics(): Record<string, string> {
    return Object.fromEntries([...this.lastMetrics].map(([k, v]) => [k, String(v)]));
  }

  async commit(end: Offset): Promise<void> {
    const s = this.settings;
    const upTo = logOffsetOf(end);
    if (s.cleanSource === 'off') {
      for (const b of [...this.batches.keys()]) if (b <= upTo) this.batches.delete(b);
      return;
    }
    // After a restart, batches committed before a crash may still have files to clean.
    const ids = this.cleanedThrough === null
      ? (await this.log!.batchIds()).filter((b) => b <= upTo)
      : Array.from({ length: Math.max(0, upTo - this.cleanedThrough) }, (_, i) => this.cleanedThrough! + 1 + i);
    const files: string[] = [];
    for (const b of ids) for (const f of await this.filesOf(b)) files.push(f.path);
    const result = await cleanFiles(files, s.cleanSource, s.path.base, s.archiveDir);
    for (const f of result.failed) process.emitWarning(`file source could not ${s.cleanSource} ${f.path}: ${f.error}`);
    for (const b of ids) this.batches.delete(b);
    this.cleanedThrough = upTo;
  }

  async close(): Promise<void> {}

  async prepareForAvailableNow(): Promise<void> {
    const keys = new Set((await listFiles(this.settings.path)).map((f) => seenKey(f.path, this.settings.fileNameOnly)));
    this.availableNow = { keys, total: null, done: 0 };
  }

  availableNowProgress(): { done: number; total: number; unit: string } | null {
    const a = this.availableNow;
    return a && a.total !== null ? { done: a.done, total: a.total, unit: 'files' } : null;
  }

  /** Files still to read after the last batch planned, and how far behind the clock the newest file read is. */
  backlog(): SourceBacklog {
    const behindMs = this.backlogFiles > 0 && Number.isFinite(this.latestMtime) ? Math.max(0, this.ctx!.clock.now() - this.latestMtime) : 0;
    return { files: this.backlogFiles, seconds: behindMs / 1000 };
  }

  /** The files of the next batch; `catchingUp`: startingBatchLimit replaces the read limits. */
  private limit(fresh: FileStatus[], catchingUp: boolean): FileStatus[] {
    const { maxFilesPerTrigger, maxBytesPerTrigger, startingBatchLimit } = this.settings;
    if (catchingUp && startingBatchLimit !== null) return fresh.slice(0, startingBatchLimit);
    if (maxFilesPerTrigger !== null) return fresh.slice(0, maxFilesPerTrigger);
    if (maxBytesPerTrigger !== null) {
      // At least one file, even a bigger one, so a large file never blocks the stream.
      let bytes = 0;
      let n = 0;
      while (n < fresh.length && (n === 0 || bytes + fresh[n]!.size <= maxBytesPerTrigger)) bytes += fresh[n++]!.size;
      return fresh.slice(0, n);
    }
    return fresh;
  }

  private async filesOf(batch: number): Promise<FileStatus[]> {
    const known = this.batches.get(batch);
    if (known) return known;
    const files = await this.log!.read(batch);
    this.batches.set(batch, files);
    return files;
  }

  /** Rebuilds the seen-file map from the log, up to batch `through` (later entries are leftovers of a crash). */
  private async loadSeen(through: number): Promise<void> {
    if (this.seenThrough === through) return;
    this.seen.clear();
    this.latestMtime = -Infinity;
    for (const b of await this.log!.batchIds()) if (b <= through) this.remember(await this.log!.read(b));
    this.seenThrough = through;
  }

  private remember(files: readonly FileStatus[]): void {
    for (const f of files) {
      this.seen.set(seenKey(f.path, this.settings.fileNameOnly), f.mtimeMs);
      if (f.mtimeMs > this.latestMtime) this.latestMtime = f.mtimeMs;
    }
    // Files older than the age threshold can never be new again: forget them (Spark's SeenFilesMap purge).
    const threshold = this.latestMtime - this.settings.maxFileAgeMs;
    if (!this.settings.latestFirst) for (const [k, t] of this.seen) if (t < threshold) this.seen.delete(k);
  }
}
