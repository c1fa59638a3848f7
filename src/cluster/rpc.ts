// Requests and replies over a port between the driver and a worker thread (the control plane:
// deploy, restore, checkpoint reads, static sides). Data never goes this way; it takes the
// channels of the exchange. Errors cross as their name, message and stack, and come back as
// the same spate error class when it is one.
import type { MessagePort, Worker } from 'node:worker_threads';
import {
  AnalysisError, CheckpointError, ConnectorError, MalformedRecordError, SpateError, TimeoutError,
} from '../errors.js';

/** An error as it crosses a thread boundary. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly retriable?: boolean;
  readonly cause?: SerializedError;
}

export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: String(e) };
  return {
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(e instanceof SpateError ? { retriable: e.retriable } : {}),
    ...(e.cause !== undefined ? { cause: serializeError(e.cause) } : {}),
  };
}

const CLASSES: Record<string, new (message: string, options?: { retriable?: boolean; cause?: unknown }) => Error> = {
  AnalysisError, CheckpointError, ConnectorError, MalformedRecordError, SpateError, TimeoutError,
};

export function deserializeError(s: SerializedError): Error {
  const cause = s.cause ? deserializeError(s.cause) : undefined;
  const Known = CLASSES[s.name];
  let e: Error;
  if (Known) e = new Known(s.message, { ...(s.retriable !== undefined ? { retriable: s.retriable } : {}), ...(cause ? { cause } : {}) });
  else {
    const builtin = (globalThis as Record<string, unknown>)[s.name];
    e = typeof builtin === 'function' && (builtin === TypeError || builtin === RangeError || builtin === SyntaxError || builtin === ReferenceError)
      ? new (builtin as ErrorConstructor)(s.message, cause ? { cause } : undefined)
      : new Error(s.message, cause ? { cause } : undefined);
    if (!(e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError)) e.name = s.name;
  }
  if (s.stack) e.stack = s.stack;
  return e;
}

type Endpoint = MessagePort | Worker;

interface Envelope {
  readonly rpc: 'call' | 'reply' | 'post';
  readonly id?: number;
  readonly kind?: string;
  readonly body?: unknown;
  readonly error?: SerializedError;
}

export type Handler = (body: unknown) => Promise<unknown> | unknown;

/** One end of the control plane. `transfer` lists buffers (or ports) a call or post gives up. */
export class Rpc {
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly handlers = new Map<string, Handler>();

  constructor(private readonly endpoint: Endpoint) {
    endpoint.on('message', (m: Envelope) => this.receive(m));
  }

  handle(kind: string, fn: Handler): void {
    this.handlers.set(kind, fn);
  }

  /** A request; resolves with the handler's value. */
  call<T>(kind: string, body: unknown, transfer: (ArrayBuffer | MessagePort)[] = []): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.endpoint.postMessage({ rpc: 'call', id, kind, body } satisfies Envelope, transfer);
    });
  }

  /** A one-way message. */
  post(kind: string, body: unknown, transfer: (ArrayBuffer | MessagePort)[] = []): void {
    this.endpoint.postMessage({ rpc: 'post', kind, body } satisfies Envelope, transfer);
  }

  /** Rejects every request still waiting (the other side is gone). */
  failAll(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private receive(m: Envelope): void {
    if (m.rpc === 'reply') {
      const p = this.pending.get(m.id!);
      if (!p) return;
      this.pending.delete(m.id!);
      if (m.error) p.reject(deserializeError(m.error));
      else p.resolve(m.body);
      return;
    }
    const handler = this.handlers.get(m.kind!);
    const run = async (): Promise<unknown> => {
      if (!handler) throw new Error(`internal: no handler for '${m.kind}' on this thread`);
      return handler(m.body);
    };
    const result = run();
    if (m.rpc === 'post') {
      // A one-way message has nobody to tell: its handler reports its own failures.
      result.catch(() => undefined);
      return;
    }
    result.then(
      // Replies are copied, never transferred: a buffer may still belong to its owner (a backend's blob).
      (body) => this.endpoint.postMessage({ rpc: 'reply', id: m.id, body } satisfies Envelope),
      (e: unknown) => this.endpoint.postMessage({ rpc: 'reply', id: m.id, error: serializeError(e) } satisfies Envelope),
    );
  }
}
