// spate: Spark Structured Streaming's semantics for TypeScript and Node.js.
// The public API; this file only re-exports.
/**
 * The `spate` package: sessions, DataFrames, streaming readers and writers, queries, connectors.
 * @module spate
 */
export { Session, SessionBuilder, RuntimeConfig } from './api/session.js';
export { DataFrame } from './api/dataframe.js';
export type { ExplainMode } from './api/dataframe.js';
export type { WatermarkOptions } from './api/watermark-options.js';
export type { LateRowsSink } from './api/late-rows.js';
export { GroupedData } from './api/grouped-data.js';
export { KeyValueGroupedDataFrame } from './api/key-value-grouped.js';
export type { MapGroupsWithStateOptions, FlatMapGroupsWithStateOptions, GroupsWithStateFunction } from './api/key-value-grouped.js';
export type { GroupState } from './operators/group-state.js';
export { GroupStateTimeout } from './plan/logical.js';
export { Column } from './api/column.js';
export type { ColumnLike } from './api/column.js';
export { DataStreamReader, DataFrameReader } from './api/reader.js';
export { DataStreamWriter } from './api/writer.js';
export type { ForeachBatchFunction } from './api/writer.js';
export { deleteClusterTopics, startWorker } from './api/start-worker.js';
export type { ClusterWorker, ClusterWorkerOptions } from './api/start-worker.js';
export type { ClusterWorkerStatus, SourcePartitionStatus, KeyGroupStatus } from './cluster/group/worker-status.js';
export { MemoryStream } from './api/memory-stream.js';
export * from './api/functions.js';
export * as types from './api/types.js';
export type { Row } from './data/row.js';
export type { ForeachWriter } from './connectors/foreach/foreach-sink.js';
export type { RestartPolicy } from './actors/restart-policy.js';
export { Trigger } from './query/trigger.js';
export type { TriggerMode } from './query/trigger.js';
export { StreamingQuery } from './query/streaming-query.js';
export { inspectCheckpoint } from './query/inspect-checkpoint.js';
export type {
  CheckpointInspection, EpochsInspection, SourceInspection, StateOperatorInspection, StoreInspection,
} from './state/inspect.js';
export type { LockHolder } from './state/backend.js';
export { inspectOperatorState } from './query/inspect-operator.js';
export type { OperatorStateRequest, OperatorStateRows } from './query/inspect-operator.js';
export { migrateState } from './api/state-migration.js';
export type { StateMigration } from './api/state-migration.js';
export type { MigrationRecord } from './state/checkpoint-log.js';
export { StreamingQueryManager } from './query/manager.js';
export type {
  StreamingQueryListener, QueryStartedEvent, QueryProgressEvent, QueryIdleEvent, QueryTerminatedEvent, QueryRestartedEvent,
} from './query/manager.js';
export type { QueryLogger, LogFields } from './query/log.js';
export type { EndToEndGuarantee } from './query/guarantee.js';
export type { DaemonContext, DaemonMain } from './daemon/module-contract.js';
export type { DeliveryGuarantee } from './connectors/contract.js';
export type {
  StreamingQueryProgress, StreamingQueryStatus, StateOperatorProgress, SourceProgress, SinkProgress,
} from './query/progress.js';
export type { WatermarkProgress, PartitionWatermarkProgress } from './query/progress.js';
export type { QueryClock } from './query/clock.js';
export type { OutputMode, JoinType } from './plan/logical.js';
export type { JoinHow } from './plan/join.js';
export {
  SpateError, AnalysisError, ParseError, CheckpointError, MalformedRecordError, ConnectorError, TimeoutError, StreamingQueryError,
} from './errors.js';
export type {
  StreamSource, StreamSink, SourceProvider, SinkProvider, SourceContext, SinkContext, Offset, ContinuousSegment,
} from './connectors/contract.js';
export { registerSource, registerSink } from './connectors/contract.js';
