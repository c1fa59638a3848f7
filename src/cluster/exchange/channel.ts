// One directed link between two threads: a MessagePort carrying the data plane's messages with
// the same credit-based backpressure as a Link (at most `capacity` messages in flight; the
// receiver returns a credit once its actor has processed one). Rows cross it only encoded
// (src/data/chunk-codec.ts), as transferred ArrayBuffers: the sender gives the buffer up, the
// receiver reads it in place. End-of-epoch reports ride the same port just before the barrier
// they belong to, outside the credit count. Messages between threads cost about a microsecond
// each, so a channel moves whole chunks, never rows one by one. An exchange's link from a thread
// to itself is a LocalChannel: the rows stay the objects they are, never encoded.
import type { MessagePort } from 'node:worker_threads';
import type { Message } from '../../actors/messages.js';
import { END, barrier, chunk, watermark } from '../../actors/messages.js';
import { Link } from '../../actors/link.js';
import type { Row } from '../../data/row.js';

/** What travels on a channel. `buf`s are transferred, never copied. */
export type ChannelMessage =
  /** Rows of one input, encoded with its schema's codec. */
  | { readonly t: 'rows'; readonly buf: ArrayBuffer; readonly len: number; readonly n: number; readonly split?: string }
  /** An exchange frame: one section per (epoch, key group), in `groups` order, `counts` rows each. */
  | { readonly t: 'frame'; readonly buf: ArrayBuffer; readonly len: number; readonly groups: readonly number[]; readonly counts: readonly number[] }
  /** A source split for the receiving thread to read (plain data, planned by the source). */
  | { readonly t: 'split'; readonly split: unknown; readonly index: number; readonly tag?: string }
  | { readonly t: 'wm'; readonly ms: number }
  | { readonly t: 'barrier'; readonly epoch: number; readonly ts: number }
  | { readonly t: 'end' }
  /** A thread's end-of-epoch figures, sent right before that epoch's barrier (no credit). */
  | { readonly t: 'report'; readonly report: unknown }
  /** The driver starts an epoch, before any of its rows (no credit): its trigger time and watermark. */
  | { readonly t: 'epoch'; readonly epoch: number; readonly ts: number; readonly wm: number };

/** Figures of one channel, for progress (the exchange's bytes and chunks, and its cost). */
export interface ChannelStats {
  chunks: number;
  rows: number;
  bytes: number;
  /** Time spent encoding (sender) or decoding (receiver) what crossed. */
  ms: number;
}

export const noStats = (): ChannelStats => ({ chunks: 0, rows: 0, bytes: 0, ms: 0 });

/** The figures of several channels together. */
export function sumStats(all: readonly ChannelStats[]): ChannelStats {
  const out = noStats();
  for (const s of all) {
    out.chunks += s.chunks;
    out.rows += s.rows;
    out.bytes += s.bytes;
    out.ms += s.ms;
  }
  return out;
}

/** What `now` adds to `before`. */
export function statsSince(now: ChannelStats, before: ChannelStats): ChannelStats {
  return { chunks: now.chunks - before.chunks, rows: now.rows - before.rows, bytes: now.bytes - before.bytes, ms: now.ms - before.ms };
}

export class ChannelSender {
  private credit: number;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** Its actor adds its encoding time to `ms`. */
  readonly stats: ChannelStats = noStats();

  constructor(readonly port: MessagePort, readonly capacity: number) {
    this.credit = capacity;
    port.on('message', (m: { t: 'ack' }) => {
      if (m.t !== 'ack') return;
      this.credit++;
      this.waiting.shift()?.();
    });
  }

  /** Sends a message, waiting for credit first when the receiver is behind. */
  send(msg: ChannelMessage): Promise<void> | void {
    if (this.closed) return;
    if (msg.t === 'report' || msg.t === 'epoch') return this.post(msg);
    if (this.credit > 0) {
      this.credit--;
      return this.post(msg);
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.send(msg));
  }

  private post(msg: ChannelMessage): void {
    if (msg.t === 'rows' || msg.t === 'frame') {
      this.stats.chunks++;
      this.stats.rows += msg.t === 'rows' ? msg.n : msg.counts.reduce((a, b) => a + b, 0);
      this.stats.bytes += msg.len;
      this.port.postMessage(msg, [msg.buf]);
    } else {
      this.port.postMessage(msg);
    }
  }

  /** Stops sending; a sender waiting for credit is let go (its message is dropped with the graph). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
    this.port.close();
  }
}

/**
 * An exchange's link from a thread to itself: the sending actor hands over its row objects (or a
 * partial aggregation's groups as they sit in its table) and the control messages, in order,
 * through a local Link with the same credit as any other; nothing is encoded, nothing crosses a
 * port, so nothing counts in the exchange's figures.
 */
export class LocalChannel {
  readonly link: Link;
  readonly stats: ChannelStats = noStats();

  constructor(name: string, capacity: number) {
    this.link = new Link(name, capacity);
  }

  /** Rows for the owner on this thread, as they are. */
  sendRows(rows: Row[]): Promise<void> | void {
    return this.link.send(chunk(rows));
  }

  /** A watermark, barrier or End (what a ChannelSender would post). */
  send(msg: ChannelMessage): Promise<void> | void {
    switch (msg.t) {
      case 'wm': return this.link.send(watermark(msg.ms));
      case 'barrier': return this.link.send(barrier(msg.epoch, msg.ts));
      case 'end': return this.link.send(END);
      default: throw new Error(`internal: a '${msg.t}' message on an exchange's link to its own thread`);
    }
  }

  close(): void {
    this.link.close();
  }
}

/** Turns what arrives on a port into messages on a local Link, and returns credit as they are handled. */
export class ChannelReceiver {
  readonly link: Link;
  readonly stats: ChannelStats = noStats();

  constructor(
    readonly port: MessagePort,
    name: string,
    capacity: number,
    /** Decodes a data message into the Message its actor handles. */
    decode: (m: Extract<ChannelMessage, { t: 'rows' | 'frame' | 'split' }>) => Message,
    /** Takes a report (it is not forwarded to the actor). */
    onReport: (report: unknown) => void = () => undefined,
    /** Told that the driver starts an epoch (not forwarded either). */
    onEpoch: (m: Extract<ChannelMessage, { t: 'epoch' }>) => void = () => undefined,
  ) {
    const p = port;
    this.link = new AckingLink(name, capacity, () => p.postMessage({ t: 'ack' }));
    port.on('message', (m: ChannelMessage) => {
      switch (m.t) {
        case 'report': onReport(m.report); return;
        case 'epoch': onEpoch(m); return;
        case 'wm': this.forward({ type: 'watermark', ms: m.ms }); return;
        case 'barrier': this.forward({ type: 'barrier', epoch: m.epoch, batchTimestampMs: m.ts }); return;
        case 'end': this.forward({ type: 'end' }); return;
        default:
          if (m.t === 'split') {
            this.forward(decode(m));
            return;
          }
          this.stats.chunks++;
          this.stats.rows += m.t === 'rows' ? m.n : m.counts.reduce((a, b) => a + b, 0);
          this.stats.bytes += m.len;
          {
            const t0 = performance.now();
            const msg = decode(m);
            this.stats.ms += performance.now() - t0;
            this.forward(msg);
          }
      }
    });
  }

  private forward(msg: Message): void {
    // The sender holds at most `capacity` messages unacknowledged, so the link never waits here.
    void this.link.send(msg);
  }

  close(): void {
    this.link.close();
    this.port.close();
  }
}

/** A Link whose acknowledgements also go back to the sending thread. */
class AckingLink extends Link {
  constructor(name: string, capacity: number, private readonly onAck: () => void) {
    super(name, capacity);
  }

  override ack(msg: Message): void {
    super.ack(msg);
    this.onAck();
  }
}
