import { Actor } from '../../src/actors/actor.js';
import type { ActorParent } from '../../src/actors/actor.js';
import { Link } from '../../src/actors/link.js';
import type { Message } from '../../src/actors/messages.js';
import { chunk } from '../../src/actors/messages.js';
import { eventually } from '../support/helpers.js';

class Recorder extends Actor {
  readonly log: string[] = [];
  running = 0;
  maxConcurrent = 0;
  constructor(parent: ActorParent, private readonly delayMs = 0, private readonly failOn?: string) {
    super('recorder', parent, 100);
  }
  protected async receive(msg: Message, input: number): Promise<void> {
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    const label = msg.type === 'chunk' ? String(msg.rows[0]?.['v']) : msg.type;
    if (label === this.failOn) throw new Error(`cannot handle ${label}`);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    this.log.push(`${input}:${label}`);
    this.running--;
  }
}

const quietParent = (failures: unknown[] = []): ActorParent => ({ actorFailed: (_a, e) => { failures.push(e); } });

describe('links', () => {
  it('admit at most `capacity` messages before the sender waits for credit', async () => {
    const link = new Link('l', 2);
    let delivered = 0;
    link.messages.subscribe(() => { delivered++; });
    expect(link.send(chunk([{ v: 1 }]))).toBeUndefined();
    expect(link.send(chunk([{ v: 2 }]))).toBeUndefined();
    let third = false;
    const pending = link.send(chunk([{ v: 3 }]));
    expect(pending).toBeInstanceOf(Promise);
    void (pending as Promise<void>).then(() => { third = true; });
    await new Promise((r) => setImmediate(r));
    expect(third).toBe(false);
    expect(delivered).toBe(2);
    link.ack(chunk([{ v: 1 }]));
    await pending;
    expect(third).toBe(true);
    expect(delivered).toBe(3);
    expect(link.rowsInFlight).toBe(2);
  });

  it('refuse a capacity that is not a positive integer', () => {
    expect(() => new Link('l', 0)).toThrow(/spate.link.capacity/);
  });
});

describe('actors', () => {
  it('run one message at a time, in order, even when handling is asynchronous', async () => {
    const actor = new Recorder(quietParent(), 2);
    const link = new Link('in', 10);
    actor.connectInput(link);
    for (let i = 0; i < 5; i++) await link.send(chunk([{ v: i }]));
    await eventually(() => actor.log.length === 5, 'the five messages');
    expect(actor.log).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4']);
    expect(actor.maxConcurrent).toBe(1);
  });

  it('report a failing message to their parent, stop, and close their outputs', async () => {
    const failures: unknown[] = [];
    const actor = new Recorder(quietParent(failures), 0, 'bad');
    const input = new Link('in', 10);
    const output = new Link('out', 10);
    actor.connectInput(input);
    actor.connectOutput(output);
    let outputClosed = false;
    output.messages.subscribe({ complete: () => { outputClosed = true; } });
    await input.send(chunk([{ v: 'bad' }]));
    await input.send(chunk([{ v: 'later' }]));
    await new Promise((r) => setImmediate(r));
    expect(actor.status).toBe('failed');
    expect(failures).toHaveLength(1);
    expect((failures[0] as Error).message).toBe('cannot handle bad');
    expect(actor.log).toEqual([]);
    expect(outputClosed).toBe(true);
  });

  it('answer requests made with ask after the messages queued before them', async () => {
    const actor = new Recorder(quietParent(), 1);
    const link = new Link('in', 10);
    actor.connectInput(link);
    await link.send(chunk([{ v: 'first' }]));
    const answer = await actor.ask(() => actor.log.slice());
    expect(answer).toEqual(['0:first']);
  });
});
