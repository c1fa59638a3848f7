// Where a query's log lines go. A session takes any logger with pino's call shape
// (`Session.builder().logger(pino())`); `spate run` passes its own. Without one, informational
// lines are written only under NODE_DEBUG=spate and warnings go through process.emitWarning,
// as the library's other warnings do.
import { debuglog } from 'node:util';

/** The structured fields of a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/** pino's (and bunyan's) call shape: fields first, then the message. */
export interface QueryLogger {
  /** An informational line, e.g. a query started, with its id and guarantee in `fields`. */
  info(fields: LogFields, message: string): void;
  /** A warning, e.g. a query restarting after a failure, with the attempt and the cause in `fields`. */
  warn(fields: LogFields, message: string): void;
}

const debug = debuglog('spate');

export const defaultLogger: QueryLogger = {
  info: (fields, message) => debug('%s %j', message, fields),
  warn: (fields, message) => process.emitWarning(`${message} ${JSON.stringify(fields)}`),
};
