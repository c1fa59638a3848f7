// What `spate run <module>` expects of a module: a default export that starts queries on the
// session it is given (or a module that starts them at load time on
// Session.builder().getOrCreate(), which returns the same session).
import type { Session } from '../api/session.js';
import type { QueryLogger } from '../query/log.js';

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
