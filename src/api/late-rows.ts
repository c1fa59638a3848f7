// onLateRows: where rows dropped by the watermark go. The sink is any sink a query can write to
// (a file folder, Kafka, memory, console, foreachBatch), given as the writer would take it; at
// start() it is checked like the query's own sink, for the dead-letter rows' schema.
import type { SinkOptions, SinkServices } from '../connectors/contract.js';
import { sinkProvider } from '../connectors/contract.js';
import { AnalysisError } from '../errors.js';
import type { LateRowsSpec, LogicalPlan } from '../plan/logical.js';
import { nodes } from '../plan/logical.js';
import { DEAD_LETTER_SCHEMA } from '../query/dead-letter-sink.js';
import { DataFrame } from './dataframe.js';
import type { SessionContext } from './session-context.js';
import type { Row } from '../data/row.js';
import type { StructType } from '../expr/types.js';

/** What foreachBatch runs on each micro-batch: the batch as a static DataFrame of the query's rows, and its id. */
export type ForeachBatchFunction<R extends Row = Row> = (batch: DataFrame<R>, batchId: number) => void | Promise<void>;

/**
 * A dead-letter sink: a format with its path and options, as `writeStream.format(format)
 * .options(options).start(path)` takes them (memory: `options: { queryName }`), or a foreachBatch
 * function. Its rows: operator, reason ('late' | 'maxFutureSkew'), watermark, batchId, and the
 * dropped row as JSON in `value`.
 */
export type LateRowsSink =
  | {
    /** The sink's format: `json`, `csv`, `text`, `kafka`, `memory`, `console`. */
    readonly format: string;
    /** The output folder of a file sink. */
    readonly path?: string;
    /** The sink's options, as `writeStream.options()` takes them (e.g. `{ topic: 'late' }`). */
    readonly options?: Readonly<Record<string, string | number | boolean>>;
  }
  | ForeachBatchFunction;

/** The sink function foreachBatch runs: the epoch's rows as a static DataFrame. */
export function batchFunction<R extends Row>(session: SessionContext, fn: ForeachBatchFunction<R>): (rows: Row[], schema: StructType, batchId: number) => Promise<void> {
  return async (rows, schema, batchId) => {
    const batch = new DataFrame<R>(session, { k: 'static', description: `batch ${batchId}`, schema, load: () => rows });
    await fn(batch, batchId);
  };
}

/**
 * What `onLateRows(sink)` names, as the dead-letter sink's format, lowercased options and path (a
 * function becomes a foreachBatch sink). Throws an AnalysisError when `sink` is neither.
 */
export function lateRowsSpec(session: SessionContext, sink: LateRowsSink): LateRowsSpec {
  if (typeof sink === 'function') return { format: 'foreachBatch', options: {}, instance: batchFunction(session, sink) };
  if (sink === null || typeof sink !== 'object' || typeof sink.format !== 'string') {
    throw new AnalysisError("onLateRows needs a sink: { format: 'json', path: 'dead-letters/' } (any sink format and its options) or a foreachBatch function");
  }
  const options = Object.fromEntries(Object.entries(sink.options ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  return { format: sink.format, options, ...(sink.path !== undefined ? { path: sink.path } : {}) };
}

/**
 * The query's dead-letter sink, if a withWatermark of its plan names one: one per query (the
 * same sink may be named on several streams), accepting append mode, with the checkpoint a file
 * or Kafka sink needs for exactly-once.
 */
export function deadLetterSinkOptions(plan: LogicalPlan, services: SinkServices, hasCheckpoint: boolean): SinkOptions | null {
  const specs = nodes(plan).flatMap((n) => (n.k === 'watermark' && n.lateRows ? [n.lateRows] : []));
  const distinct = [...new Map(specs.map((s) => [JSON.stringify([s.format, s.path ?? null, s.options]) + (s.instance ? `#${specs.indexOf(s)}` : ''), s])).values()];
  if (distinct.length === 0) return null;
  if (distinct.length > 1) {
    throw new AnalysisError(`a query sends its late rows to one dead-letter sink, and this one names ${distinct.length} (${distinct.map((s) => s.format).join(', ')}): call onLateRows once, or with the same sink`);
  }
  const spec = distinct[0]!;
  const opts: SinkOptions = {
    format: spec.format,
    options: spec.options,
    ...(spec.path !== undefined || spec.options['path'] ? { path: spec.path ?? spec.options['path']! } : {}),
    queryName: spec.options['queryname'] ?? null,
    instance: spec.instance,
    services,
    schema: DEAD_LETTER_SCHEMA,
  };
  const probe = sinkProvider(spec.format).create(opts);
  if (!probe.supportedModes.includes('append')) {
    throw new AnalysisError(`the dead-letter sink ${spec.format} does not take appended rows: choose a file, kafka, memory, console or foreachBatch sink`);
  }
  if (probe.needsCheckpointLocation && !hasCheckpoint) {
    throw new AnalysisError(`the dead-letter sink ${spec.format} needs the query's checkpointLocation to be exactly-once: set option("checkpointLocation", ...)`);
  }
  return opts;
}
