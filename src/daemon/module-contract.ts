// What `spate run <module>` expects of a module: a default export that starts queries on the
// session it is given (or a module that starts them at load time on
// Session.builder().getOrCreate(), which returns the same session).
import type { Session } from '../api/session.js';
import type { ClusterWorker, ClusterWorkerOptions } from '../cluster/group/worker.js';
import type { DataStreamWriter } from '../api/writer.js';
import type { QueryLogger } from '../query/log.js';

/**
 * What `spate run <module>` gives the module's default export ({@link DaemonMain}): the session
 * to start queries on, the application's settings and the daemon's logger. The daemon then serves
 * the live page, `/metrics`, `/healthz` and `/readyz` for those queries, and drains them on
 * SIGTERM or SIGINT.
 *
 * @example A module, run with spate run app.ts --set app.rate=50
 * ```ts
 * export default function main({ spark, settings, logger }: DaemonContext): void {
 *   logger.info({ rate: settings['app.rate'] }, 'starting');
 *   spark.readStream.format('rate').option('rowsPerSecond', settings['app.rate'] ?? '10').load()
 *     .writeStream.queryName('rate').format('console').start();
 * }
 * ```
 */
export interface DaemonContext {
  /** The session `spate run` made, with the spate.* settings of --config and --set. */
  readonly spark: Session;
  /** The other settings of --config and --set: the application's own. */
  readonly settings: Readonly<Record<string, string>>;
  /** The daemon's logger (JSON lines, pretty on a terminal). */
  readonly logger: QueryLogger;
  /**
   * Runs this process as one worker of a cluster query ({@link startWorker}, DESIGN.md section 9)
   * that the daemon watches: `/readyz` is ready once the worker joined its group (not while its
   * steps keep failing or its query is stalled), `/metrics` has what it owns, its tasks' rows,
   * its source partitions' lag, rebalances and refused commits, progress lines include them,
   * SIGTERM and SIGINT stop it within --grace-period (its tasks of the epoch in flight commit,
   * then it leaves the group) and exit 0, and a query that commits no epoch for the stall
   * threshold while its sources lag exits with code 3. Call it while the default export runs
   * (awaiting it or not): the daemon waits for the workers started then before it checks that
   * something runs; a worker that cannot start is a usage error (exit 2).
   *
   * @example Every replica runs the same module: spate run words.js --set spate.sql.shuffle.partitions=64
   * ```ts
   * export default async function main({ spark, startWorker }: DaemonContext): Promise<void> {
   *   const counts = wordCounts(spark);  // a DataFrame from a Kafka source
   *   await startWorker(counts.writeStream.format('kafka').option('topic', 'word-counts')
   *     .option('kafka.bootstrap.servers', 'kafka:9092')
   *     .option('checkpointLocation', 'redis://redis:6379/0/word-count').outputMode('update'));
   * }
   * ```
   */
  readonly startWorker: (writer: DataStreamWriter, options?: ClusterWorkerOptions) => Promise<ClusterWorker>;
}

/** The default export of a module that `spate run` runs. */
export type DaemonMain = (ctx: DaemonContext) => unknown;
