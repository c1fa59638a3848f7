// The source behind TestStream: what a test added, in order — rows (of a named partition, or of
// the stream as a whole) and declarations that event time has reached an instant. The offset is
// the number of items; any range reads again the same way (replayable), so a test can also
// restart a query from its checkpoint.
import type { Row } from '../data/row.js';
import type { Offset, SourceBacklog, SourceContext, SourceOptions, SourceProvider, StreamSource } from '../connectors/contract.js';
import { registerSource, splitChunk } from '../connectors/contract.js';
import { AnalysisError } from '../errors.js';
import type { StructType } from '../expr/types.js';

type Item = { readonly rows: Row[]; readonly partition: string | null } | { readonly eventTimeMs: number };

/** The items of one TestStream, shared by every query reading it. */
export class TestStreamData {
  private readonly items: Item[] = [];
  /** After item i: the latest event time declared so far (null: none). */
  private readonly reached: (number | null)[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(readonly schema: StructType, readonly name: string) {}

  get length(): number {
    return this.items.length;
  }

  addRows(rows: readonly Row[], partition: string | null): void {
    const names = this.schema.fields.map((f) => f.name);
    // Every row gets the schema's fields in the schema's order: missing ones are null.
    this.push({ rows: rows.map((r) => Object.fromEntries(names.map((n) => [n, r[n] ?? null]))), partition });
  }

  advanceEventTime(ms: number): void {
    this.push({ eventTimeMs: ms });
  }

  /** The rows of items [start, end), a chunk per item. */
  *chunks(start: number, end: number): Iterable<Row[]> {
    for (const item of this.items.slice(start, end)) {
      if (!('rows' in item) || item.rows.length === 0) continue;
      yield item.partition === null ? [...item.rows] : splitChunk(item.partition, [...item.rows]);
    }
  }

  /** The latest event time declared among the first `end` items. */
  reachedAt(end: number): number | null {
    return end > 0 ? this.reached[Math.min(end, this.items.length) - 1] ?? null : null;
  }

  rowsAfter(end: number): number {
    return this.items.slice(end).reduce((n, item) => n + ('rows' in item ? item.rows.length : 0), 0);
  }

  onData(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private push(item: Item): void {
    const before = this.reached[this.reached.length - 1] ?? null;
    this.items.push(item);
    this.reached.push('eventTimeMs' in item ? Math.max(before ?? -Infinity, item.eventTimeMs) : before);
    for (const l of this.listeners) l();
  }
}

class TestStreamSource implements StreamSource {
  readonly replayable = true;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly data: TestStreamData) {}

  get schema(): StructType {
    return this.data.schema;
  }

  get description(): string {
    return `TestStream[${this.data.name}]`;
  }

  async open(ctx: SourceContext): Promise<void> {
    this.unsubscribe = this.data.onData(() => ctx.wake());
  }

  async initialOffset(): Promise<Offset> {
    return 0;
  }

  async latestOffset(): Promise<Offset> {
    return this.data.length;
  }

  read(start: Offset, end: Offset): Iterable<Row[]> {
    return this.data.chunks(start as number, end as number);
  }

  eventTimeReached(end: Offset): number | null {
    return this.data.reachedAt(end as number);
  }

  backlog(end: Offset): SourceBacklog {
    return { records: this.data.rowsAfter(end as number) };
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {
    this.unsubscribe?.();
  }
}

export const testStreamProvider: SourceProvider = {
  // Read through a TestStream, whose rows the test adds: no options.
  options: [],
  schema: (opts) => dataOf(opts).schema,
  create: (opts) => new TestStreamSource(dataOf(opts)),
};

function dataOf(opts: SourceOptions): TestStreamData {
  if (!(opts.instance instanceof TestStreamData)) {
    throw new AnalysisError("the testStream source is read through a TestStream from 'spate/testing': new TestStream(spark, schema).toDF()");
  }
  return opts.instance;
}

registerSource('testStream', testStreamProvider);
