// The memory source behind MemoryStream: rows appended by the test or application, offsets
// are row counts, and any range can be read again (replayable). Like Spark's MemoryStream it
// keeps every row it was given (the objects themselves: rows are handed to queries without
// copying, and a query reads them by the schema's column names), so several queries may read
// it; it is meant for tests.
import type { Row } from '../../data/row.js';
import { withOrigin } from '../../data/row.js';
import { AnalysisError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import type { Offset, SourceBacklog, SourceContext, SourceOptions, SourceProvider, StreamSource } from '../contract.js';
import { registerSource } from '../contract.js';

/** Rows per chunk a read hands over: the link's default chunk size, so the source actor passes them on whole. */
const READ_CHUNK_ROWS = 4096;

/** The rows of one MemoryStream, shared by every query reading it. */
export class MemoryStreamData {
  /** The rows as added, one array per addData; `starts[i]` is the offset of `added[i][0]`. */
  private readonly added: Row[][] = [];
  private readonly starts: number[] = [];
  private total = 0;
  private readonly listeners = new Set<() => void>();

  constructor(readonly schema: StructType, readonly name: string) {}

  get latestOffset(): number {
    return this.total;
  }

  /**
   * Keeps the rows as given, never copied (the source is `rowsAsGiven`: the query reads them by
   * the schema's names); only the array is copied, so the caller may reuse it.
   */
  append(rows: readonly Row[]): number {
    if (rows.length > 0) {
      this.starts.push(this.total);
      this.added.push(rows.slice());
      this.total += rows.length;
    }
    for (const l of this.listeners) l();
    return this.latestOffset;
  }

  /** The rows from `start` to `end` (exclusive), in arrays of at most `chunkRows`, each a fresh array. */
  *slices(start: number, end: number, chunkRows = READ_CHUNK_ROWS): Iterable<Row[]> {
    // The last addition starting at or before `start`.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.starts[mid]! <= start) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo, at = start; i < this.added.length && at < end; i++) {
      const rows = this.added[i]!;
      const base = this.starts[i]!;
      const stop = Math.min(end, base + rows.length);
      while (at < stop) {
        const to = Math.min(stop, at + chunkRows);
        yield rows.slice(at - base, to - base);
        at = to;
      }
    }
  }

  onData(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

class MemorySource implements StreamSource {
  readonly replayable = true;
  readonly rowsAsGiven = true;
  readonly supportsContinuous = true;
  private unsubscribe: (() => void) | null = null;
  /** Trigger.AvailableNow: the end fixed at start, where this run began, how far it has planned. */
  private availableNow: { readonly cap: number; from: number | null; through: number | null } | null = null;

  constructor(private readonly data: MemoryStreamData) {}

  get schema(): StructType {
    return this.data.schema;
  }

  get description(): string {
    return `MemoryStream[${this.data.name}]`;
  }

  async open(ctx: SourceContext): Promise<void> {
    this.unsubscribe = this.data.onData(() => ctx.wake());
  }

  async initialOffset(): Promise<Offset> {
    return 0;
  }

  async latestOffset(start: Offset): Promise<Offset> {
    const a = this.availableNow;
    if (!a) return this.data.latestOffset;
    a.from ??= (start as number | null) ?? 0;
    a.through = Math.max(a.through ?? a.from, Math.min(a.cap, this.data.latestOffset));
    return a.through;
  }

  reportLatestOffset(): Offset {
    return this.data.latestOffset;
  }

  backlog(end: Offset): SourceBacklog {
    return { records: Math.max(0, this.data.latestOffset - ((end as number | null) ?? 0)) };
  }

  /** AvailableNow: the rows added so far are what this run reads. */
  async prepareForAvailableNow(): Promise<void> {
    this.availableNow = { cap: this.data.latestOffset, from: null, through: null };
  }

  availableNowProgress(): { done: number; total: number; unit: string } | null {
    const a = this.availableNow;
    if (!a || a.from === null) return null;
    return { done: (a.through ?? a.from) - a.from, total: Math.max(0, a.cap - a.from), unit: 'rows' };
  }

  *read(start: Offset, end: Offset): Iterable<Row[]> {
    let at = start as number;
    for (const rows of this.data.slices(at, end as number)) {
      const from = at;
      yield withOrigin(rows, (i) => `${this.description}, offset ${from + i}`);
      at += rows.length;
    }
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {
    this.unsubscribe?.();
  }
}

function dataOf(opts: SourceOptions): MemoryStreamData {
  if (!(opts.instance instanceof MemoryStreamData)) {
    throw new AnalysisError('the memory source is read through a MemoryStream: new MemoryStream(spark, schema).toDF()');
  }
  return opts.instance;
}

export const memorySourceProvider: SourceProvider = {
  // Read through a MemoryStream, whose rows come from addData(): no options.
  options: [],
  schema: (opts) => dataOf(opts).schema,
  create: (opts) => new MemorySource(dataOf(opts)),
};

registerSource('memory', memorySourceProvider);
