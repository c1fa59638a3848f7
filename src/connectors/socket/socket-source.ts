// The socket source (Spark's TextSocketSource): connects to host:port and makes each line a
// row `value` (plus `timestamp` with includeTimestamp). Offsets count lines received. Like
// Spark's, it is not fault tolerant: lines received before a restart are not read again, and
// the lines of committed batches are let go. Lines are cut in linear time (LineSplitter); a
// line longer than maxLineBytes is malformed under the parse mode (PERMISSIVE: value null).
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import type { Row } from '../../data/row.js';
import { AnalysisError, ConnectorError, MalformedRecordError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import { STRING, TIMESTAMP, fieldOf, structOf } from '../../expr/types.js';
import type { Offset, SourceContext, SourceOptions, StreamSource } from '../contract.js';
import { booleanOption, registerSource, stringOption } from '../contract.js';
import type { ParseMode } from '../file/formats/format.js';
import { parseModeOf, recordLimit } from '../file/formats/format.js';
import { LineSplitter } from '../line-splitter.js';

/** A line dropped as malformed (DROPMALFORMED): it keeps its offset, and the batch reading it counts it. */
const DROPPED = Symbol('dropped line');

function schemaOf(includeTimestamp: boolean): StructType {
  return structOf(includeTimestamp ? [fieldOf('value', STRING), fieldOf('timestamp', TIMESTAMP)] : [fieldOf('value', STRING)]);
}

interface SocketSettings {
  readonly host: string;
  readonly port: number;
  readonly includeTimestamp: boolean;
  readonly maxLineBytes: number;
  readonly mode: ParseMode;
}

class SocketSource implements StreamSource {
  readonly replayable = false;
  readonly supportsContinuous = true;
  private socket: Socket | null = null;
  /** Lines received and not committed yet: lines[i] is at offset `base + i`. */
  private lines: (Row | typeof DROPPED)[] = [];
  private ctx: SourceContext | null = null;
  private base = 0;
  private readonly splitter: LineSplitter;
  private failure: Error | null = null;
  private closing = false;

  constructor(readonly schema: StructType, private readonly settings: SocketSettings) {
    this.splitter = new LineSplitter({ maxLineBytes: settings.maxLineBytes });
  }

  get description(): string {
    return `TextSocketV2[host: ${this.settings.host}, port: ${this.settings.port}]`;
  }

  /** The offset after the last line received. */
  private get received(): number {
    return this.base + this.lines.length;
  }

  open(ctx: SourceContext): Promise<void> {
    this.ctx = ctx;
    const { host, port } = this.settings;
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      this.socket = socket;
      socket.setEncoding('utf8');
      let connected = false;
      socket.once('connect', () => { connected = true; resolve(); });
      socket.on('data', (text: string) => {
        const lines = this.splitter.push(text);
        if (lines.length === 0) return;
        this.receive(lines, ctx);
        ctx.wake();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const err = new ConnectorError(
          connected
            ? `socket source lost its connection to ${host}:${port} (${e.code ?? e.message}); restart the server and the query`
            : `socket source cannot connect to ${host}:${port} (${e.code ?? e.message}); start the server first, e.g. nc -lk ${port}`,
          { cause: e, retriable: true },
        );
        this.failure = err;
        if (!connected) reject(err);
        ctx.wake();
      });
      socket.on('close', () => {
        if (!this.closing && connected && !this.failure) {
          this.failure = new ConnectorError(`socket source ${host}:${port} closed the connection; the stream has ended`, { retriable: true });
          ctx.wake();
        }
      });
    });
  }

  private receive(lines: ReturnType<LineSplitter['push']>, ctx: SourceContext): void {
    const now = ctx.clock.now();
    for (const line of lines) {
      let value: string | null = typeof line === 'string' ? line : line.text;
      if (typeof line !== 'string' && line.problem === 'tooLong') {
        const why = `socket source ${this.settings.host}:${this.settings.port} received a line longer than maxLineBytes (${this.settings.maxLineBytes} bytes)`;
        if (this.settings.mode === 'FAILFAST') {
          this.failure ??= new MalformedRecordError(`${why}; use mode PERMISSIVE or DROPMALFORMED to keep going`);
          return;
        }
        if (this.settings.mode === 'DROPMALFORMED') {
          // Counted by the batch that reads past it.
          this.lines.push(DROPPED);
          continue;
        }
        value = null;
      }
      this.lines.push(this.settings.includeTimestamp ? { value, timestamp: new Date(now) } : { value });
    }
  }

  async initialOffset(): Promise<Offset> {
    return 0;
  }

  async latestOffset(start: Offset): Promise<Offset> {
    // Lines received before the connection dropped are processed before the failure is reported.
    if (this.failure && (start as number) >= this.received) throw this.failure;
    return this.received;
  }

  reportLatestOffset(): Offset {
    return this.received;
  }

  *read(start: Offset, end: Offset): Iterable<Row[]> {
    const lines = this.lines.slice(Math.max(0, (start as number) - this.base), (end as number) - this.base);
    const rows = lines.filter((l): l is Row => l !== DROPPED);
    if (rows.length < lines.length) this.ctx?.countMalformed(lines.length - rows.length);
    yield rows;
  }

  /** Lines up to `end` are committed and never read again (the source cannot replay): let them go. */
  async commit(end: Offset): Promise<void> {
    const upTo = Math.min((end as number) - this.base, this.lines.length);
    if (upTo <= 0) return;
    // A copy of the rest, so the old array and every committed row are released.
    this.lines = this.lines.slice(upTo);
    this.base += upTo;
  }

  /** Lines held: received and not committed yet. */
  metrics(): Record<string, string> {
    return { numBufferedLines: String(this.lines.length) };
  }

  async close(): Promise<void> {
    this.closing = true;
    this.socket?.destroy();
    this.lines = [];
  }
}

function settings(opts: SourceOptions): SocketSettings {
  const host = stringOption(opts.options, 'host');
  const portText = stringOption(opts.options, 'port');
  if (!host) throw new AnalysisError('Set a host to read from with option("host", ...).');
  if (!portText) throw new AnalysisError('Set a port to read from with option("port", ...).');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AnalysisError(`socket port must be an integer from 1 to 65535, got '${portText}'`);
  if (opts.userSchema) throw new AnalysisError('The socket source does not support a user-specified schema: its rows are value (and timestamp)');
  return {
    host,
    port,
    includeTimestamp: booleanOption(opts.options, 'includeTimestamp', false),
    maxLineBytes: recordLimit(opts.options, 'maxLineBytes'),
    mode: parseModeOf(opts.options),
  };
}

registerSource('socket', {
  options: ['host', 'port', 'includeTimestamp', 'maxLineBytes', 'mode'],
  schema: (opts) => schemaOf(settings(opts).includeTimestamp),
  create: (opts) => {
    const s = settings(opts);
    return new SocketSource(schemaOf(s.includeTimestamp), s);
  },
});
