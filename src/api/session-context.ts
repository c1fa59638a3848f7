// What DataFrames, readers and writers need from their Session, as an interface so the API
// modules do not import each other in a cycle.
import type { MemoryTable } from '../connectors/contract.js';
import type { QueryClock } from '../query/clock.js';
import type { QueryLogger } from '../query/log.js';
import type { StreamingQueryManager } from '../query/manager.js';

/** What DataFrames, readers and writers use of their {@link Session}. */
export interface SessionContext {
  /** The session's configuration (string values, Spark-style keys). */
  readonly confValues: ReadonlyMap<string, string>;
  /** The session's queries and listeners (`spark.streams`). */
  readonly streams: StreamingQueryManager;
  /** The tables of the memory sink, by query name, read with `spark.table(name)`. */
  readonly tables: Map<string, MemoryTable>;
  /** The clock the session's queries run on, unless a writer sets its own. */
  readonly clock: QueryClock;
  /** Where queries log (start with their guarantee, restarts). */
  readonly logger: QueryLogger;
}
