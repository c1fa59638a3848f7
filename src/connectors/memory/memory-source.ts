// The memory source behind MemoryStream: rows appended by the test or application, offsets
// are row counts, and any range can be read again (replayable). Like Spark's MemoryStream it
// keeps every row it was given, so several queries may read it; it is meant for tests.
import type { Row } from '../../actors/messages.js';
import { withOrigin } from '../../actors/messages.js';
import { AnalysisError } from '../../errors.js';
import { own, put } from '../../expr/own-properties.js';
import type { StructType } from '../../expr/types.js';
import type { Offset, SourceBacklog, SourceContext, SourceOptions, SourceProvider, StreamSource } from '../contract.js';
import { registerSource } from '../contract.js';

/** The rows of one MemoryStream, shared by every query reading it. */
export class MemoryStreamData {
  private readonly rows: Row[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly schema: StructType, readonly name: string) {}

  get latestOffset(): number {
    return this.rows.length;
  }

  append(rows: readonly Row[]): number {
    const names = this.schema.fields.map((f) => f.name);
    for (const r of rows) {
      // Every row gets the schema's fields in the schema's order: missing fields are null.
      const normalised: Row = {};
      for (const n of names) put(normalised, n, own(r, n));
      this.rows.push(normalised);
    }
    for (const l of this.listeners) l();
    return this.latestOffset;
  }

  slice(start: number, end: number): Row[] {
    return this.rows.slice(start, end);
  }

  onData(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

class MemorySource implements StreamSource {
  readonly replayable = true;
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
    const from = start as number;
    yield withOrigin(this.data.slice(from, end as number), (i) => `${this.description}, offset ${from + i}`);
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
