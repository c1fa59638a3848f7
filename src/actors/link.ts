// A link between two actors: an RxJS stream of messages with credit-based backpressure.
// At most `capacity` messages are in flight; the sender waits for credit, which the receiver
// returns (ack) once it has processed a message. A slow consumer therefore holds memory flat.
import { Observable, Subject } from 'rxjs';
import type { Message } from './messages.js';

export class Link {
  private readonly subject = new Subject<Message>();
  private credit: number;
  private readonly waiting: Array<() => void> = [];
  private closed = false;
  /** Rows sent but not yet acknowledged: what this link holds in memory. */
  rowsInFlight = 0;
  /** The most rows this link ever held at once. */
  peakRowsInFlight = 0;

  readonly messages: Observable<Message> = this.subject.asObservable();

  constructor(readonly name: string, readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`link capacity must be a positive integer, got ${capacity} (spate.link.capacity)`);
    }
    this.credit = capacity;
  }

  /** Sends a message, waiting for credit first when the receiver is behind. */
  send(msg: Message): Promise<void> | void {
    if (this.credit > 0 || this.closed) return this.push(msg);
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.send(msg));
  }

  /** The receiver has processed `msg`: one more message may be sent. */
  ack(msg: Message): void {
    if (msg.type === 'chunk') this.rowsInFlight -= msg.rows.length;
    this.credit++;
    this.waiting.shift()?.();
  }

  /** Ends the stream and releases any sender still waiting for credit. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiting.splice(0)) w();
    this.subject.complete();
  }

  private push(msg: Message): void {
    if (this.closed) return;
    this.credit--;
    if (msg.type === 'chunk') {
      this.rowsInFlight += msg.rows.length;
      if (this.rowsInFlight > this.peakRowsInFlight) this.peakRowsInFlight = this.rowsInFlight;
    }
    this.subject.next(msg);
  }
}
