// Backpressure across the exchange: a channel between two threads holds at most `capacity`
// data messages unacknowledged, whatever the sender offers, and each acknowledgement by the
// receiving actor lets exactly one more through. Buffers are transferred, not copied. No timing:
// a report (outside the credit count) posted after the data marks the point at which everything
// the sender was allowed to post has arrived (a port delivers in order).
import { MessageChannel } from 'node:worker_threads';
import type { Message } from '../../../src/actors/messages.js';
import type { ChannelMessage } from '../../../src/cluster/exchange/channel.js';
import { ChannelReceiver, ChannelSender } from '../../../src/cluster/exchange/channel.js';

const rowsMessage = (n: number): ChannelMessage => {
  const buf = new ArrayBuffer(8);
  new DataView(buf).setFloat64(0, n);
  return { t: 'rows', buf, len: 8, n: 1 };
};

const open: Array<() => void> = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

function pair(capacity: number) {
  const { port1, port2 } = new MessageChannel();
  const reports: Array<{ received: number }> = [];
  const received: Message[] = [];
  const sender = new ChannelSender(port1, capacity);
  const receiver = new ChannelReceiver(port2, 'test link', capacity,
    (m) => ({ type: 'chunk', rows: m.t === 'rows' ? [{ n: new DataView(m.buf).getFloat64(0) }] : [] }),
    () => reports.push({ received: received.length }));
  receiver.link.messages.subscribe((m) => received.push(m));
  /** Resolves once the receiver has taken a report posted now (so all data posted before it arrived). */
  const settled = async (): Promise<number> => {
    const before = reports.length;
    void sender.send({ t: 'report', report: null });
    while (reports.length === before) await new Promise((r) => setImmediate(r));
    return reports[reports.length - 1]!.received;
  };
  open.push(() => {
    sender.close();
    receiver.close();
  });
  return { sender, receiver, received, settled };
}

describe('exchange channel', () => {
  it('holds at most capacity data messages in flight and lets one more through per acknowledgement', async () => {
    const { sender, receiver, received, settled } = pair(2);
    const sent = [1, 2, 3, 4, 5].map((n) => sender.send(rowsMessage(n)));
    expect(await settled()).toBe(2);
    expect(sender.stats.chunks).toBe(2);

    receiver.link.ack(received[0]!);
    await sent[2];
    expect(await settled()).toBe(3);

    for (const m of received.slice(1)) receiver.link.ack(m);
    await Promise.all(sent);
    expect(await settled()).toBe(5);
    expect(received.map((m) => (m.type === 'chunk' ? m.rows[0]!['n'] : null))).toEqual([1, 2, 3, 4, 5]);
    expect(receiver.stats).toMatchObject({ chunks: 5, rows: 5, bytes: 40 });
  });

  it('transfers the encoded buffer: the sender no longer holds it', async () => {
    const { sender, settled } = pair(4);
    const msg = rowsMessage(7);
    const buf = (msg as Extract<ChannelMessage, { t: 'rows' }>).buf;
    await sender.send(msg);
    expect(buf.byteLength).toBe(0);
    expect(await settled()).toBe(1);
  });

  it('forwards watermarks, barriers and end in order with the data, and reports aside', async () => {
    const { sender, receiver, received, settled } = pair(8);
    await sender.send(rowsMessage(1));
    await sender.send({ t: 'wm', ms: 5 });
    await sender.send({ t: 'barrier', epoch: 3, ts: 9 });
    await sender.send({ t: 'end' });
    expect(await settled()).toBe(4);
    expect(received.map((m) => m.type)).toEqual(['chunk', 'watermark', 'barrier', 'end']);
    expect(received[2]).toEqual({ type: 'barrier', epoch: 3, batchTimestampMs: 9 });
    for (const m of received) receiver.link.ack(m);
  });
});
