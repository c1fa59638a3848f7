// The socket source holds only the lines not committed yet, and cuts a long line without
// keeping more of it than maxLineBytes.
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { eventually, testSession } from '../support/helpers.js';

async function lineServer(): Promise<{ port: number; write(text: string): void; connected(): boolean; close(): Promise<void> }> {
  const clients: Socket[] = [];
  const server = createServer((s) => clients.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    write: (text) => { for (const c of clients) c.write(text); },
    connected: () => clients.length > 0,
    close: () => new Promise<void>((r) => { for (const c of clients) c.destroy(); server.close(() => r()); }),
  };
}

describe('the socket source', () => {
  it('lets go of the lines of committed batches', async () => {
    const srv = await lineServer();
    const spark = testSession();
    let seen = 0;
    const q = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', srv.port).load()
      .writeStream.foreachBatch(async (batch) => { seen += (await batch.collect()).length; }).start();
    try {
      await eventually(() => srv.connected(), 'the socket source to connect');
      const total = 200_000;
      for (let i = 0; i < total; i += 10_000) srv.write(`${Array.from({ length: 10_000 }, (_, k) => `line ${i + k}`).join('\n')}\n`);
      await eventually(() => seen === total, 'every line to be processed', 30_000);
      const buffered = q.recentProgress.map((p) => Number(p.sources[0]!.metrics['numBufferedLines']));
      // Each batch ends with at most what arrived after its end offset; the last with none.
      expect(buffered[buffered.length - 1]).toBe(0);
      expect(buffered.every((n, i) => n <= total - Number(q.recentProgress[i]!.sources[0]!.endOffset))).toBe(true);
    } finally {
      await q.stop();
      await srv.close();
    }
  });

  it('makes a line longer than maxLineBytes a malformed record: null in PERMISSIVE, dropped and counted in DROPMALFORMED', async () => {
    for (const mode of ['PERMISSIVE', 'DROPMALFORMED'] as const) {
      const srv = await lineServer();
      const spark = testSession();
      const rows: unknown[] = [];
      const q = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', srv.port)
        .option('maxLineBytes', 1000).option('mode', mode).load()
        .writeStream.foreachBatch(async (batch) => { for (const r of await batch.collect()) rows.push(r['value']); }).start();
      try {
        await eventually(() => srv.connected(), 'the socket source to connect');
        srv.write('short\n');
        for (let i = 0; i < 100; i++) srv.write('y'.repeat(1000)); // one line of 100 KB, in pieces
        srv.write('\nlast\n');
        await eventually(() => rows.includes('last'), 'the last line');
        expect(rows).toEqual(mode === 'PERMISSIVE' ? ['short', null, 'last'] : ['short', 'last']);
        if (mode === 'DROPMALFORMED') expect(q.recentProgress.reduce((n, p) => n + p.numMalformedRowsDropped, 0)).toBe(1);
      } finally {
        await q.stop();
        await srv.close();
      }
    }
  });
});
