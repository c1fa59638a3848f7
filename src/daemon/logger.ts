// The daemon's logs: pino JSON lines on stdout (level as a word, ISO time), written synchronously
// so that nothing is lost when the process exits; pretty lines when stdout is a terminal.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { redactText } from '../secrets.js';

/** The levels --log-level accepts (pino's), most severe first; `info` by default. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Lines go to stdout (fd 1) unless a test gives a `destination` stream. */
export function daemonLogger(level: LogLevel, pretty = process.stdout.isTTY === true, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Every line, whatever it logs (an error's stack and causes included), has its credentials masked.
    hooks: { streamWrite: redactText },
  };
  if (pretty) {
    return pino(options, PinoPretty({
      colorize: destination === undefined, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid',
      ...(destination ? { destination } : {}),
    }));
  }
  return pino(options, destination ?? pino.destination({ fd: 1, sync: true }));
}
