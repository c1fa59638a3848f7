// The socket source (Spark's TextSocketSource): connects to host:port and makes each line a
// row `value` (plus `timestamp` with includeTimestamp). Offsets count lines received. Like
// Spark's, it is not fault tolerant: lines received before a restart are not read again.
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import type { Row } from '../../actors/messages.js';
import { AnalysisError, ConnectorError } from '../../errors.js';
import type { StructType } from '../../expr/types.js';
import { STRING, TIMESTAMP, fieldOf, structOf } from '../../expr/types.js';
import type { Offset, SourceContext, SourceOptions, StreamSource } from '../contract.js';
import { booleanOption, registerSource, stringOption } from '../contract.js';

function schemaOf(includeTimestamp: boolean): StructType {
  return structOf(includeTimestamp ? [fieldOf('value', STRING), fieldOf('timestamp', TIMESTAMP)] : [fieldOf('value', STRING)]);
}

class SocketSource implements StreamSource {
  readonly replayable = false;
  readonly supportsContinuous = true;
  private socket: Socket | null = null;
  private readonly lines: Row[] = [];
  private partial = '';
  private failure: Error | null = null;
  private closing = false;

  constructor(readonly schema: StructType, private readonly host: string, private readonly port: number, private readonly withTimestamp: boolean) {}

  get description(): string {
    return `TextSocketV2[host: ${this.host}, port: ${this.port}]`;
  }

  open(ctx: SourceContext): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: this.host, port: this.port });
      this.socket = socket;
      socket.setEncoding('utf8');
      let connected = false;
      socket.once('connect', () => { connected = true; resolve(); });
      socket.on('data', (text: string) => {
        const parts = (this.partial + text).split('\n');
        this.partial = parts.pop()!;
        const now = ctx.clock.now();
        for (const p of parts) {
          const value = p.endsWith('\r') ? p.slice(0, -1) : p;
          this.lines.push(this.withTimestamp ? { value, timestamp: new Date(now) } : { value });
        }
        if (parts.length) ctx.wake();
      });
      socket.on('error', (e: NodeJS.ErrnoException) => {
        const err = new ConnectorError(
          connected
            ? `socket source lost its connection to ${this.host}:${this.port} (${e.code ?? e.message}); restart the server and the query`
            : `socket source cannot connect to ${this.host}:${this.port} (${e.code ?? e.message}); start the server first, e.g. nc -lk ${this.port}`,
          { cause: e, retriable: true },
        );
        this.failure = err;
        if (!connected) reject(err);
        ctx.wake();
      });
      socket.on('close', () => {
        if (!this.closing && connected && !this.failure) {
          this.failure = new ConnectorError(`socket source ${this.host}:${this.port} closed the connection; the stream has ended`, { retriable: true });
          ctx.wake();
        }
      });
    });
  }

  async initialOffset(): Promise<Offset> {
    return 0;
  }

  async latestOffset(start: Offset): Promise<Offset> {
    // Lines received before the connection dropped are processed before the failure is reported.
    if (this.failure && (start as number) >= this.lines.length) throw this.failure;
    return this.lines.length;
  }

  reportLatestOffset(): Offset {
    return this.lines.length;
  }

  *read(start: Offset, end: Offset): Iterable<Row[]> {
    yield this.lines.slice(start as number, end as number);
  }

  async commit(): Promise<void> {}

  async close(): Promise<void> {
    this.closing = true;
    this.socket?.destroy();
  }
}

function settings(opts: SourceOptions): { host: string; port: number; includeTimestamp: boolean } {
  const host = stringOption(opts.options, 'host');
  const portText = stringOption(opts.options, 'port');
  if (!host) throw new AnalysisError('Set a host to read from with option("host", ...).');
  if (!portText) throw new AnalysisError('Set a port to read from with option("port", ...).');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AnalysisError(`socket port must be an integer from 1 to 65535, got '${portText}'`);
  if (opts.userSchema) throw new AnalysisError('The socket source does not support a user-specified schema: its rows are value (and timestamp)');
  return { host, port, includeTimestamp: booleanOption(opts.options, 'includeTimestamp', false) };
}

registerSource('socket', {
  options: ['host', 'port', 'includeTimestamp'],
  schema: (opts) => schemaOf(settings(opts).includeTimestamp),
  create: (opts) => {
    const s = settings(opts);
    return new SocketSource(schemaOf(s.includeTimestamp), s.host, s.port, s.includeTimestamp);
  },
});
