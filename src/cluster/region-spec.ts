// What the driver sends a worker thread to run its instance of a region (the unit Kafka
// Streams calls a task): plain data, the same for every thread but `thread`, plus the ports of
// the channels the region's rows travel on. The end-of-epoch report is what a thread sends
// back before each barrier it passes to the driver.
import type { MessagePort } from 'node:worker_threads';
import type { TaskSinkOptions, TaskSinkResult } from '../connectors/contract.js';
import type { StructType } from '../expr/types.js';
import type { OutputMode } from '../plan/logical.js';
import type { WrittenVersion } from '../state/state-repository.js';
import type { EncodedPlan } from './plan-codec.js';

export interface RegionInputSpec {
  /** The plan node (outside the region) whose rows enter through this input. */
  readonly nodeId: number;
  readonly schema: StructType;
  /** Set when the thread reads the splits of this source itself (else rows arrive encoded). */
  readonly source?: { readonly format: string; readonly options: Readonly<Record<string, string>>; readonly path?: string; readonly userSchema?: StructType };
}

/** The input `input` of keyed node `nodeId`, routed between threads by key group. */
export interface ExchangeSpec {
  readonly nodeId: number;
  readonly input: number;
}

export interface RegionSpec {
  /** Unique per query run and region. */
  readonly id: string;
  /** How messages name it: the query and the region. */
  readonly name: string;
  readonly thread: number;
  readonly threads: number;
  /** spate.sql.shuffle.partitions. */
  readonly keyGroups: number;
  /** The thread owning each key group (cluster/assignment.ts). */
  readonly owners: readonly number[];
  readonly chunkRows: number;
  readonly linkCapacity: number;
  readonly outputMode: OutputMode;
  /** The checkpoint's location as the user wrote it (for messages; reads go through the driver). */
  readonly checkpointLocation: string;
  /** Whether state deltas are encoded at all (not for a run without a checkpoint that never restarts). */
  readonly recordsDeltas: boolean;
  readonly plan: EncodedPlan;
  /** Stateful operator ids by node id. */
  readonly operatorIds: readonly (readonly [number, string])[];
  readonly inputs: readonly RegionInputSpec[];
  /** Static sides read by the region's stream-static joins: evaluated by the driver each epoch. */
  readonly statics: readonly { readonly nodeId: number; readonly schema: StructType }[];
  readonly output: { readonly nodeId: number; readonly schema: StructType };
  readonly exchanges: readonly ExchangeSpec[];
  /** Set when the threads write the query's sink themselves (its output then carries no rows). */
  readonly sink?: TaskSinkOptions;
  /** Set when that sink writes per key group: output rows first go to their key group's owner (ports.sinkExchange). */
  readonly sinkPerKeyGroup?: boolean;
  /** Whether the query sends rows dropped by the watermark to a dead-letter sink (the threads then report them). */
  readonly deadLetters: boolean;
}

export interface RegionPorts {
  /** Per input: the channel from the driver. */
  readonly inputs: readonly MessagePort[];
  /** The channel to the driver. */
  readonly output: MessagePort;
  /** Per exchange: the channel to each thread, and from each thread (by thread index). */
  readonly exchanges: readonly { readonly send: readonly MessagePort[]; readonly receive: readonly MessagePort[] }[];
  /** With sinkPerKeyGroup: the exchange in front of the sink, as each of `exchanges`. */
  readonly sinkExchange?: { readonly send: readonly MessagePort[]; readonly receive: readonly MessagePort[] };
}

export interface EventTimeFigures {
  readonly max: number;
  readonly min: number;
  readonly sum: number;
  readonly count: number;
}

/** A withWatermark step's figures on one thread: per split (as EventTimeStats keys them), and rows dropped as too far ahead. */
export interface EventTimeReport {
  readonly splits: readonly (readonly [string, EventTimeFigures])[];
  readonly futureRows: number;
}

export interface OperatorReport {
  readonly metrics: Record<string, number>;
  readonly counters: Record<string, number>;
  readonly updatesMs: number;
  readonly removalsMs: number;
  readonly evictionWatermarkMs: number;
}

/** One thread's figures for one epoch of a region. */
export interface RegionReport {
  readonly epoch: number;
  readonly thread: number;
  /** Rows this thread read from each split input (by input index). */
  readonly splitRows: readonly number[];
  readonly malformed: number;
  readonly eventTime: readonly (readonly [number, EventTimeReport])[];
  readonly operators: readonly (readonly [number, OperatorReport])[];
  /** State deltas staged by the thread's operators, written by the driver with the epoch's commit. */
  readonly blobs: readonly { readonly path: string; readonly data: Uint8Array }[];
  /** The versions those deltas write, for the commit's state index. */
  readonly written: readonly WrittenVersion[];
  /** What this thread sent over the exchange and to the driver. */
  readonly exchange: { readonly chunks: number; readonly rows: number; readonly bytes: number; readonly ms: number };
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** Time its operators spent on rows and at the epoch's end. */
  readonly busyMs: number;
  /** State rows it holds. */
  readonly stateRows: number;
  /** What its share of the sink wrote, when the threads write the sink. */
  readonly sink: TaskSinkResult | null;
  /** Rows its operators dropped by the watermark, for the dead-letter sink (encoded DeadLetter objects). */
  readonly deadLetters: Uint8Array | null;
}
