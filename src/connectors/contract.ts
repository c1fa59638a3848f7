// What a connector implements. A source exposes offsets and reads the rows between two of them
// (Spark's DSv2 micro-batch stream); a sink writes each epoch and commits it idempotently.
// Providers are looked up by format name.
import type { Row } from '../data/row.js';
import type { EpochSink } from '../actors/sink-actor.js';
import { AnalysisError } from '../errors.js';
import type { StructType } from '../expr/types.js';
import type { OutputMode } from '../plan/logical.js';
import type { CheckpointBackend } from '../state/backend.js';

/** A JSON-serialisable position in a source, stored in the offset log. */
export type Offset = unknown;

export interface Clock {
  now(): number;
  /** Timers on the same clock (the query's clock has them; a simulated clock fires them when advanced). */
  setTimeout?(fn: () => void, ms: number): unknown;
  clearTimeout?(id: unknown): void;
}

/**
 * Rows a source read under Trigger.Continuous, and the offset just after them. The engine cuts
 * epochs only between segments, so `end` is where a barrier placed after them records the
 * source to be.
 */
export interface ContinuousSegment {
  /** The segment's rows, in chunks (arrays of rows), as read() yields them. */
  readonly rows: AsyncIterable<Row[]> | Iterable<Row[]>;
  /** The source's offset just after the last of `rows`: where a restart from this point reads on. */
  readonly end: Offset;
  /**
   * The reader had nothing more available when it produced this segment (it may be empty);
   * processAllAvailable() waits for one of these from every reader.
   */
  readonly caughtUp?: boolean;
}

// Sources mark the chunks of one split (a Kafka partition) with splitChunk.
export { splitChunk, splitOf } from '../actors/messages.js';

/** What a source still has to read after a batch (progress sources[].backlog). */
export interface SourceBacklog {
  /** Records (Kafka offsets, rows) still to read. */
  readonly records?: number;
  /** Files still to read (file sources, whose records are not known before reading). */
  readonly files?: number;
  /**
   * How far behind processing time the newest record read so far is, in seconds of event time
   * (Kafka record timestamps, file modification times), while a backlog remains; 0 once none does.
   */
  readonly seconds?: number;
}

/** What a source may use while the query runs. */
export interface SourceContext {
  /** The query's id, stable across restarts from the same checkpoint (e.g. for a Kafka client id). */
  readonly queryId: string;
  /** The id of this run, new for every start(). */
  readonly runId: string;
  /** The checkpoint; this source's private metadata goes under `metadataPath`. */
  readonly checkpoint: CheckpointBackend;
  /** `sources/<index>`; the engine itself keeps `${metadataPath}/initial` there. */
  readonly metadataPath: string;
  /** The query's clock: use it rather than Date.now() so tests on a simulated clock see the source's time too. */
  readonly clock: Clock;
  /** Tells the trigger loop that data arrived, so an idle query plans a batch without waiting. */
  wake(): void;
  /** Counts records dropped as malformed (DROPMALFORMED); reported in progress. */
  countMalformed(n: number): void;
}

/**
 * A streaming source, as a connector implements it (Spark's DSv2 `MicroBatchStream`): it exposes
 * offsets, JSON-serialisable positions stored in the checkpoint's offset log, and reads the rows
 * between two of them. Each batch reads from the last committed offset up to the one
 * latestOffset() gives; after a crash the same range is read again, so a replayable source gives
 * the same rows and the query's output stays exactly-once. Made by a {@link SourceProvider}'s
 * create() at start(); the engine calls open(), then initialOffset() once for a new checkpoint,
 * then latestOffset(), read() and commit() per batch, and close() when the query ends (a
 * failure in close() is ignored). An error thrown by any other method fails the query, or
 * restarts it under its restart policy: throw a {@link ConnectorError} naming the system and what
 * to check, with `retriable: true` when trying again can help.
 *
 * @example The numbers 1 to 100, ten per batch: the offset is the last number read.
 * ```ts
 * const schema = types.struct([types.field('n', types.long(), false)]);
 * registerSource('counter', {
 *   options: [],
 *   schema: () => schema,
 *   create: (): StreamSource => ({
 *     schema,
 *     description: 'Counter',
 *     replayable: true,
 *     async open() {},
 *     async initialOffset() { return 0; },
 *     async latestOffset(start) { return Math.min((start as number) + 10, 100); },
 *     *read(start, end) {
 *       const rows: { n: number }[] = [];
 *       for (let n = (start as number) + 1; n <= (end as number); n++) rows.push({ n });
 *       yield rows;
 *     },
 *     async commit() {},
 *     async close() {},
 *   }),
 * });
 * spark.readStream.format('counter').load();
 * ```
 */
export interface StreamSource {
  /** The schema of the rows read() yields; the same as the provider's schema() gave at load(). */
  readonly schema: StructType;
  /** How progress and messages name this source, e.g. `KafkaV2[Subscribe[invoices]]`. */
  readonly description: string;
  /** Connects (a consumer, a file watcher) before the first batch, with what the query gives a source. */
  open(ctx: SourceContext): Promise<void>;
  /** The position before the first row a brand-new query reads. */
  initialOffset(): Promise<Offset>;
  /**
   * How far the next batch may read, starting after `start`: bounded by the source's read limits
   * (maxFilesPerTrigger, maxOffsetsPerTrigger) unless `limits` is 'all' (Trigger.Once).
   */
  latestOffset(start: Offset, limits: 'default' | 'all'): Promise<Offset>;
  /** The rows after `start` up to and including `end`; a replay of the same range gives the same rows. */
  read(start: Offset, end: Offset): AsyncIterable<Row[]> | Iterable<Row[]>;
  /** Data up to `end` is committed: the source may release or clean it up. */
  commit(end: Offset): Promise<void>;
  /**
   * Optional. Checkpoint maintenance purged the offset log up to an epoch that ended at
   * `oldestRetainedStart` (the start of the oldest epoch still retained): no restart or re-run
   * reads before it again, so the source may delete metadata it keeps under `metadataPath` only
   * for positions before it. Called in the background, after the epoch's commit.
   */
  purgeMetadata?(oldestRetainedStart: Offset): Promise<void>;
  /** Releases what open() took (connections, timers) when the query stops or fails; errors are ignored. */
  close(): Promise<void>;
  /** AvailableNow: fix the end this run will read up to. */
  prepareForAvailableNow?(): Promise<void>;
  /** Work recorded at prepareForAvailableNow and done so far (files, offsets), for a progress bar. */
  availableNowProgress?(): {
    /** The units read so far. */
    done: number;
    /** The units this AvailableNow run reads in all. */
    total: number;
    /** What is counted, e.g. `files` or `offsets`. */
    unit: string;
  } | null;
  /** Whether this source can run under Trigger.Continuous. */
  readonly supportsContinuous?: boolean;
  /**
   * Optional: the rows are handed over as the application gave them (MemoryStream), so a row may
   * lack a field (read as null), carry others, or list its fields in another order. The query
   * then reads the schema's columns by name, and builds a row of the schema's shape wherever a
   * whole row is needed; the source never copies rows itself.
   */
  readonly rowsAsGiven?: boolean;
  /**
   * Optional, for Trigger.Continuous: the rows after `start` as they arrive, until `signal`
   * aborts (then the iteration ends). A source that supports continuous mode without it is
   * polled through latestOffset/read, woken by SourceContext.wake.
   */
  readContinuous?(start: Offset, signal: AbortSignal): AsyncIterable<ContinuousSegment>;
  /**
   * Optional: the newest offset the source knows of, regardless of read limits (Spark's
   * reportLatestOffset), shown as sources[].latestOffset in progress.
   */
  reportLatestOffset?(): Offset;
  /** Whether a replay reads the same rows (socket: no). */
  readonly replayable?: boolean;
  /**
   * Optional: the source's own figures for the last batch it read (Spark's ReportsSourceMetrics),
   * shown as sources[].metrics in progress, e.g. numInvalidUtf8Records, numFilesVanished.
   */
  metrics?(): Record<string, string>;
  /** Optional: what is left to read after a batch that ended at `end` (as far as the source knows now). */
  backlog?(end: Offset): SourceBacklog | null;
  /**
   * Optional: an event time the source guarantees it has reached at `end` without a row
   * carrying it (a test stream's advanceEventTime), folded into the watermark of every
   * withWatermark above it as if such a row had passed.
   */
  eventTimeReached?(end: Offset): number | null;
  /**
   * Optional, for master('local[N]'): cuts the range after `start` up to `end` into at most
   * `maxSplits` splits that, read by the provider's splitReader on any thread, give together
   * exactly the rows read(start, end) gives. A split is plain data (it is sent to its reader).
   */
  planSplits?(start: Offset, end: Offset, maxSplits: number): unknown[] | Promise<unknown[]>;
}

/** What a split reader may use. */
export interface SplitContext {
  /** Counts records dropped as malformed (DROPMALFORMED); reported in progress. */
  countMalformed(n: number): void;
}

/** Reads splits of one source on a worker thread; one per thread and run of a query. */
export interface SplitReader {
  read(split: unknown, ctx: SplitContext): AsyncIterable<Row[]> | Iterable<Row[]>;
  close(): Promise<void>;
}

/** What a sink may use while the query runs, given to {@link StreamSink.open}. */
export interface SinkContext {
  /** The query's id, stable across restarts from the same checkpoint (e.g. for a Kafka transactional id). */
  readonly queryId: string;
  /** The query's name ({@link DataStreamWriter.queryName}), or null. */
  readonly queryName: string | null;
  /** The query's output mode: `append`, `update` or `complete` (one of the sink's supportedModes). */
  readonly outputMode: OutputMode;
  /** The schema of the rows the sink is given. */
  readonly schema: StructType;
  /** The query's checkpoint, where a sink may keep what it needs to skip epochs it has committed. */
  readonly checkpoint: CheckpointBackend;
}

/**
 * What a failure and a restart can do to the output: `exactly-once` (every row once, even after
 * a replay), `at-least-once` (a replayed epoch may be written twice), `none` (rows may be lost,
 * e.g. a socket source or a temporary checkpoint). See {@link StreamingQuery.guarantee}.
 */
export type DeliveryGuarantee = 'exactly-once' | 'at-least-once' | 'none';

/**
 * One worker thread's share of a sink (master('local[N]')): the rows of the epoch that the
 * thread's tasks produced, written from that thread (a file sink's part files). Built by the
 * sink's provider on the thread from the sink's plain options.
 */
export interface TaskSink {
  /**
   * Set by a sink that writes per key group (its driver instance writesPerKeyGroup): the key
   * group of an output row, a function of the row alone, so that the same rows make the same
   * key group under any thread count. The engine routes every output row to the thread owning
   * its key group before it reaches this thread's writer.
   */
  readonly keyGroupOf?: (row: Row) => number;
  /** A writer for the thread's share of the next epoch (its number is known at its end). */
  writer(): TaskEpochWriter;
  close(): Promise<void>;
}

export interface TaskEpochWriter {
  write(rows: Row[]): void | Promise<void>;
  /**
   * Makes the share of `epoch` durable; what it returns goes to the driver's sink
   * (commitTasks). An epoch the sink already committed (a replay) is dropped instead.
   */
  finish(epoch: number): Promise<TaskSinkResult>;
}

/** What a thread wrote of an epoch: its rows, and whatever its sink's commit needs (the files). */
export interface TaskSinkResult {
  readonly rows: number;
  readonly detail?: unknown;
}

/**
 * A streaming sink, as a connector implements it: it writes each epoch (a batch, or a
 * continuous epoch) and commits it. beginEpoch(epoch) returns a writer for the epoch's rows whose
 * commit() makes them visible, or null when the epoch was already committed (a replay after a
 * crash), so its rows are skipped; a sink that can tell is exactly-once. Made by a
 * {@link SinkProvider}'s create() at start(); open() is called before the first epoch and close()
 * when the query ends (a failure in close() is ignored). An error thrown by the writer fails the
 * query (or restarts it, under a restart policy).
 *
 * @example A sink that logs each epoch's row count.
 * ```ts
 * registerSink('count-log', {
 *   options: [],
 *   create: (): StreamSink => ({
 *     description: 'CountLog',
 *     supportedModes: ['append', 'update', 'complete'],
 *     guarantee: 'at-least-once',
 *     needsCheckpointLocation: false,
 *     async open() {},
 *     beginEpoch(epoch) {
 *       let rows = 0;
 *       return { write: (chunk) => { rows += chunk.length; }, commit: () => console.log(epoch, rows) };
 *     },
 *     async close() {},
 *   }),
 * });
 * df.writeStream.format('count-log').start();
 * ```
 */
export interface StreamSink extends EpochSink {
  /** How progress (`sink.description`) and messages name this sink, e.g. `FileSink[out/]`. */
  readonly description: string;
  /** The output modes this sink accepts; start() refuses others. */
  readonly supportedModes: readonly OutputMode[];
  /** The end-to-end guarantee, stated when the query starts. */
  readonly guarantee: DeliveryGuarantee;
  /** Why, as "<cause>: <guarantee>; <consequence>" (query.guarantee.reason). */
  readonly guaranteeReason?: string;
  /** Whether the sink needs a durable checkpointLocation (file, kafka) or can use a temporary one. */
  readonly needsCheckpointLocation: boolean;
  /** Whether the sink works under Trigger.Continuous. */
  readonly supportsContinuous?: boolean;
  /**
   * False for a sink whose writes the engine cannot count (foreachBatch: the function decides
   * what it writes): progress shows sink.numOutputRows -1, as Spark does for such sinks (SPARK-24933).
   */
  readonly reportsOutputRows?: boolean;
  /** Connects (a producer, a folder) before the first epoch, with what the query gives a sink. */
  open(ctx: SinkContext): Promise<void>;
  /** Releases what open() took when the query stops or fails; errors are ignored. */
  close(): Promise<void>;
  /**
   * Optional, for master('local[N]'): the worker threads write the epoch's rows (the provider's
   * taskSink on each thread), and this sink, on the driver, commits the epoch once it has
   * every thread's result (a file sink: one manifest entry listing every thread's files).
   */
  readonly writesFromTasks?: boolean;
  /**
   * With writesFromTasks: each thread writes the rows of the key groups it owns (the task
   * sink's keyGroupOf), so that a unit of output (a Kafka transaction per key group) is the
   * same whatever the thread count.
   */
  readonly writesPerKeyGroup?: boolean;
  /** The threads' results for `epoch`, given before the epoch's commit. */
  commitTasks?(epoch: number, results: readonly TaskSinkResult[]): void;
}

/** What `readStream.format(f)...load(path)` collected. */
export interface SourceOptions {
  readonly format: string;
  /** Keys lowercased; read with stringOption / numberOption / booleanOption. */
  readonly options: Readonly<Record<string, string>>;
  readonly path?: string;
  readonly userSchema?: StructType;
  readonly instance?: unknown;
  /** False for a static read (spark.read); streaming-only options are refused otherwise. */
  readonly streaming?: boolean;
}

/**
 * A source format, registered with {@link registerSource}: the options it reads, its schema
 * (known at `load()`), and how to make a {@link StreamSource} for a query.
 */
export interface SourceProvider {
  /**
   * Every option this source reads, spelled as documented (matched case-insensitively; `path`
   * is always accepted). A new option must be listed here: the reader warns about any option
   * not declared (an error under spate.conf.strict=true), naming the closest declared one.
   */
  readonly options: readonly string[];
  /** The source's schema, known at load() so the DataFrame can be analysed. */
  schema(opts: SourceOptions): StructType;
  /**
   * A new source for a query, called at start() and again whenever the query recovers.
   * Throws an {@link AnalysisError} for a missing or bad option, naming it.
   */
  create(opts: SourceOptions): StreamSource;
  /** A static read of the same data (spark.read), evaluated afresh on every call. */
  readStatic?(opts: SourceOptions): Promise<Row[]>;
  /**
   * Reads the splits its sources' planSplits cut (master('local[N]')): worker threads read a
   * source's splits when its provider has this, registered on every thread.
   */
  splitReader?(opts: SourceOptions): SplitReader;
}

/** Source formats whose provider reads splits. */
export function splitFormats(): string[] {
  return [...sourceProviders].filter(([, p]) => p.splitReader !== undefined).map(([f]) => f);
}

/** Tables written by the memory sink, read with spark.table(name). */
export interface MemoryTable {
  rows: Row[];
  /** The newest epoch committed into the table (a replayed epoch is skipped). */
  lastEpoch: number;
  readonly schema: StructType;
}

/** Session-wide things a sink may use. */
export interface SinkServices {
  readonly tables: Map<string, MemoryTable>;
}

/** What `writeStream.format(f)...start(path)` collected. */
export interface SinkOptions {
  readonly format: string;
  /** Keys lowercased; read with stringOption / numberOption / booleanOption. */
  readonly options: Readonly<Record<string, string>>;
  readonly path?: string;
  readonly queryName: string | null;
  /** foreachBatch / foreach callbacks, or a custom sink object. */
  readonly instance?: unknown;
  readonly services: SinkServices;
  /** The schema of the rows the sink gets, so create() can check it (kafka columns, partitionBy). */
  readonly schema?: StructType;
}

/**
 * A sink format, registered with {@link registerSink}: the options it reads and how to make a
 * {@link StreamSink} for a query.
 */
export interface SinkProvider {
  /**
   * Every option this sink reads, spelled as documented (matched case-insensitively;
   * `checkpointLocation`, `queryName` and `path` are the writer's own and always accepted). A new
   * option must be listed here: start() warns about any option not declared (an error under
   * spate.conf.strict=true), naming the closest declared one or the reader that takes it.
   */
  readonly options: readonly string[];
  /**
   * A new sink for a query, called at start() (once to check it, once to run) and again whenever
   * the query recovers. Throws an {@link AnalysisError} for a missing or
   * bad option, or rows it cannot write (e.g. a Kafka sink without a `value` column), naming it.
   */
  create(opts: SinkOptions): StreamSink;
  /** A worker thread's writer for a sink whose driver instance writesFromTasks (options without instance or services). */
  taskSink?(opts: TaskSinkOptions): TaskSink;
}

/** What a worker thread knows of a sink: its plain options and the schema of its rows. */
export interface TaskSinkOptions {
  readonly format: string;
  readonly options: Readonly<Record<string, string>>;
  readonly path?: string;
  readonly queryName: string | null;
  readonly queryId: string;
  readonly schema: StructType;
  readonly thread: number;
  /** spate.sql.shuffle.partitions of the query (fixed by its checkpoint); given to a sink that writesPerKeyGroup. */
  readonly keyGroups?: number;
}

/** Sink formats whose provider writes from worker threads. */
export function taskSinkFormats(): string[] {
  return [...sinkProviders].filter(([, p]) => p.taskSink !== undefined).map(([f]) => f);
}

const sourceProviders = new Map<string, SourceProvider>();
const sinkProviders = new Map<string, SinkProvider>();

/**
 * Makes a source format available to `readStream.format(format)` (and to `read.format(format)`
 * when the provider has readStatic) in every session of the process. The name is case-insensitive; registering a name again replaces
 * the provider (a built-in one too). An unregistered format fails at `load()` with an
 * {@link AnalysisError} listing the formats there are. See {@link StreamSource} for an example.
 */
export function registerSource(format: string, p: SourceProvider): void {
  sourceProviders.set(format.toLowerCase(), p);
}
/**
 * Makes a sink format available to `writeStream.format(format)` in every session of the
 * process. The name is case-insensitive; registering a name again replaces the provider (a
 * built-in one too). An unregistered format fails at `start()` with an {@link AnalysisError}
 * listing the formats there are. See {@link StreamSink} for an example.
 */
export function registerSink(format: string, p: SinkProvider): void {
  sinkProviders.set(format.toLowerCase(), p);
}

export function sourceProvider(format: string): SourceProvider {
  const p = sourceProviders.get(format.toLowerCase());
  if (!p) {
    throw new AnalysisError(`unknown source format '${format}': available formats are ${[...sourceProviders.keys()].sort().join(', ')}`);
  }
  return p;
}

/** The formats whose source declares `option` (case-insensitive), for "it is an option of the reader". */
export function sourcesDeclaring(option: string): string[] {
  const o = option.toLowerCase();
  return [...sourceProviders].filter(([, p]) => p.options.some((n) => n.toLowerCase() === o)).map(([f]) => f).sort();
}

/** The formats whose sink declares `option` (case-insensitive), for "it is an option of the writer". */
export function sinksDeclaring(option: string): string[] {
  const o = option.toLowerCase();
  return [...sinkProviders].filter(([, p]) => p.options.some((n) => n.toLowerCase() === o)).map(([f]) => f).sort();
}

export function sinkProvider(format: string): SinkProvider {
  const p = sinkProviders.get(format.toLowerCase());
  if (!p) {
    throw new AnalysisError(`unknown sink format '${format}': available formats are ${[...sinkProviders.keys()].sort().join(', ')}`);
  }
  return p;
}

/** Options are case-insensitive, as Spark's: keys are stored lowercased; read them through these. */
export function stringOption(options: Readonly<Record<string, string>>, name: string): string | undefined {
  return options[name.toLowerCase()];
}

/** Reads a numeric option, with a clear message for a bad value. */
export function numberOption(options: Readonly<Record<string, string>>, name: string, fallback: number, check?: (n: number) => boolean): number {
  const raw = stringOption(options, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || (check && !check(n))) {
    throw new AnalysisError(`option ${name} must be a valid number${check ? ' in range' : ''}, got '${raw}'`);
  }
  return n;
}

export function booleanOption(options: Readonly<Record<string, string>>, name: string, fallback: boolean): boolean {
  const raw = stringOption(options, name);
  if (raw === undefined) return fallback;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  throw new AnalysisError(`option ${name} must be true or false, got '${raw}'`);
}
