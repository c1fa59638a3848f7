// An actor: a mailbox that runs one message at a time to completion. Data arrives on input
// links; control requests arrive through `ask`. Credit is returned to a link only after the
// message was fully handled (including sending any output), so backpressure travels upstream.
// A handler that throws fails the actor; the failure goes to the parent (the Supervisor),
// never back into the producer.
import type { Subscription } from 'rxjs';
import type { Link } from './link.js';
import type { Message, Row, RowOrigin } from './messages.js';
import { chunk } from './messages.js';

export type ActorStatus = 'active' | 'stopped' | 'failed';

/** Who is told when an actor fails: the Supervisor. */
export interface ActorParent {
  actorFailed(actor: Actor, error: unknown): void;
}

type Envelope =
  | { readonly kind: 'data'; readonly msg: Message; readonly input: number; readonly link: Link }
  | {
    readonly kind: 'control'; readonly run: () => Promise<unknown> | unknown;
    readonly resolve: (v: unknown) => void; readonly reject: (e: unknown) => void;
  };

export abstract class Actor {
  status: ActorStatus = 'active';
  private readonly mailbox: Envelope[] = [];
  private draining = false;
  private readonly subscriptions: Subscription[] = [];
  private readonly outputs: Link[] = [];
  private inputCount = 0;
  /** Inputs whose messages wait in the mailbox (unacknowledged, so their senders run out of credit). */
  private readonly paused = new Set<number>();

  constructor(
    readonly name: string,
    private readonly parent: ActorParent,
    /** Rows per output chunk (spate.link.chunkRows). */
    protected readonly chunkRows: number,
  ) {}

  get inputs(): number {
    return this.inputCount;
  }

  /** Subscribes to `link` as input number `this.inputs`. */
  connectInput(link: Link): void {
    const input = this.inputCount++;
    this.subscriptions.push(link.messages.subscribe({
      next: (msg) => this.enqueue({ kind: 'data', msg, input, link }),
    }));
  }

  connectOutput(link: Link): void {
    this.outputs.push(link);
  }

  /** Runs `work` inside the mailbox, after the messages already queued; resolves with its result. */
  ask<T>(work: () => Promise<T> | T): Promise<T> {
    if (this.status !== 'active') return Promise.reject(new Error(`actor ${this.name} is ${this.status}`));
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ kind: 'control', run: work, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  /** Holds back messages of `input` until `resumeInput`: barrier alignment uses this. */
  protected pauseInput(input: number): void {
    this.paused.add(input);
  }

  protected resumeInput(input: number): void {
    if (this.paused.delete(input) && !this.draining && this.mailbox.length > 0) void this.drain();
  }

  /** Handles one data message; output goes through `send` / `sendRows`. */
  protected abstract receive(msg: Message, input: number): Promise<void> | void;

  /** Releases what the actor holds; called once when it stops or fails. */
  protected dispose(): Promise<void> | void {}

  /** Sends a message to every output, waiting for credit. */
  protected async send(msg: Message): Promise<void> {
    for (const out of this.outputs) {
      const pending = out.send(msg);
      if (pending) await pending;
    }
  }

  /**
   * Sends rows as chunks of at most `chunkRows`, each tagged with the source split they came
   * from, if known, and with their origin (shifted to each chunk).
   */
  protected async sendRows(rows: Row[], split?: string, origin?: RowOrigin): Promise<void> {
    if (rows.length === 0) return;
    if (rows.length <= this.chunkRows) return this.send(chunk(rows, split, origin));
    for (let i = 0; i < rows.length; i += this.chunkRows) {
      const from = i;
      await this.send(chunk(rows.slice(i, i + this.chunkRows), split, origin && ((index) => origin(from + index))));
    }
  }

  /** Stops the actor: unsubscribes, closes its outputs, rejects pending requests. */
  async stop(): Promise<void> {
    if (this.status === 'stopped') return;
    if (this.status === 'active') this.status = 'stopped';
    this.teardown(new Error(`actor ${this.name} stopped`));
    await this.dispose();
  }

  private teardown(reason: unknown): void {
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    for (const out of this.outputs) out.close();
    for (const env of this.mailbox.splice(0)) if (env.kind === 'control') env.reject(reason);
  }

  private enqueue(env: Envelope): void {
    this.mailbox.push(env);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    for (;;) {
      if (this.status !== 'active') break;
      const at = this.paused.size === 0
        ? (this.mailbox.length > 0 ? 0 : -1)
        : this.mailbox.findIndex((e) => e.kind === 'control' || !this.paused.has(e.input));
      if (at < 0) break;
      const env = this.mailbox.splice(at, 1)[0]!;
      try {
        if (env.kind === 'data') {
          await this.receive(env.msg, env.input);
          env.link.ack(env.msg);
        } else {
          env.resolve(await env.run());
        }
      } catch (error) {
        if (env.kind === 'control') env.reject(error);
        this.fail(error);
      }
    }
    this.draining = false;
  }

  private fail(error: unknown): void {
    if (this.status !== 'active') return;
    this.status = 'failed';
    this.teardown(error);
    void Promise.resolve(this.dispose()).catch(() => undefined);
    this.parent.actorFailed(this, error);
  }
}
