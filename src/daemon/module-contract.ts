// What `spate run <module>` expects of a module: a default export that starts queries on the
// session it is given (or a module that starts them at load time on
// Session.builder().getOrCreate(), which returns the same session).
import type { Session } from '../api/session.js';
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
}

/** The default export of a module that `spate run` runs. */
export type DaemonMain = (ctx: DaemonContext) => unknown;
