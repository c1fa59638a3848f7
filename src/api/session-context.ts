// What DataFrames, readers and writers need from their Session, as an interface so the API
// modules do not import each other in a cycle.
import type { MemoryTable } from '../connectors/contract.js';
import type { QueryClock } from '../query/clock.js';
import type { QueryLogger } from '../query/log.js';
import type { StreamingQueryManager } from '../query/manager.js';

export interface SessionContext {
  /** The session's configuration (string values, Spark-style keys). */
  readonly confValues: ReadonlyMap<string, string>;
  readonly streams: StreamingQueryManager;
  readonly tables: Map<string, MemoryTable>;
  readonly clock: QueryClock;
  /** Where queries log (start with their guarantee, restarts). */
  readonly logger: QueryLogger;
}
