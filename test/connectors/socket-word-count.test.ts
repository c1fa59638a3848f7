import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { col, explode, split } from '../../src/index.js';
import type { Row, StreamingQuery } from '../../src/index.js';
import { eventually, sortRows, testSession } from '../support/helpers.js';

/** A line server on a free loopback port; `send` writes to every connected client. */
async function lineServer(): Promise<{ port: number; send(line: string): void; connected(): boolean; close(): Promise<void>; server: Server }> {
  const clients: Socket[] = [];
  const server = createServer((s) => clients.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    server,
    send: (line) => { for (const c of clients) c.write(`${line}\n`); },
    connected: () => clients.length > 0,
    close: () => new Promise<void>((r) => { for (const c of clients) c.destroy(); server.close(() => r()); }),
  };
}

function wordCountOverSocket(port: number, mode: 'complete' | 'update', seen: { batchId: number; rows: Row[] }[]): StreamingQuery {
  const spark = testSession();
  const lines = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', port).load();
  const words = lines.select(explode(split(col('value'), ' ')).alias('word'));
  return words.groupBy('word').count().writeStream.outputMode(mode)
    .foreachBatch(async (batch, batchId) => { seen.push({ batchId, rows: await batch.collect() }); })
    .start();
}

async function twoLines(mode: 'complete' | 'update'): Promise<{ batchId: number; rows: Row[] }[]> {
  const srv = await lineServer();
  const seen: { batchId: number; rows: Row[] }[] = [];
  const q = wordCountOverSocket(srv.port, mode, seen);
  try {
    await eventually(() => srv.connected(), 'the socket source to connect');
    srv.send('hello spark streaming');
    await eventually(() => seen.length === 1, 'the first micro-batch');
    srv.send('hello spark programming');
    await eventually(() => seen.length === 2, 'the second micro-batch');
  } finally {
    await q.stop();
    await srv.close();
  }
  return seen;
}

describe('the notes\' word count over a real TCP socket', () => {
  it('complete mode gives hello 2, spark 2, streaming 1, programming 1 after the second line', async () => {
    const seen = await twoLines('complete');
    expect(seen.map((s) => s.batchId)).toEqual([0, 1]);
    expect(sortRows(seen[0]!.rows)).toEqual(sortRows([{ word: 'hello', count: 1 }, { word: 'spark', count: 1 }, { word: 'streaming', count: 1 }]));
    expect(sortRows(seen[1]!.rows)).toEqual(sortRows([
      { word: 'hello', count: 2 }, { word: 'spark', count: 2 }, { word: 'streaming', count: 1 }, { word: 'programming', count: 1 },
    ]));
  });

  it('update mode\'s second batch gives only hello, spark and programming', async () => {
    const seen = await twoLines('update');
    expect(sortRows(seen[1]!.rows)).toEqual(sortRows([{ word: 'hello', count: 2 }, { word: 'spark', count: 2 }, { word: 'programming', count: 1 }]));
  });

  it('append mode fails at start with a message naming the aggregation and the missing watermark', async () => {
    const spark = testSession();
    const lines = spark.readStream.format('socket').option('host', '127.0.0.1').option('port', 9).load();
    const counts = lines.select(explode(split(col('value'), ' ')).alias('word')).groupBy('word').count();
    expect(() => counts.writeStream.format('console').outputMode('append').start())
      .toThrow(/Append output mode not supported .* without watermark: the aggregation grouped by \[word\].*Add withWatermark/s);
  });

  it('a missing host or port is refused when the stream is defined', () => {
    const spark = testSession();
    expect(() => spark.readStream.format('socket').option('port', 9999).load()).toThrow('Set a host to read from with option("host", ...).');
    expect(() => spark.readStream.format('socket').option('host', 'localhost').load()).toThrow('Set a port to read from with option("port", ...).');
  });

  it('a refused connection fails the query with a message saying to start the server', async () => {
    const srv = await lineServer();
    const port = srv.port;
    await srv.close();
    const seen: { batchId: number; rows: Row[] }[] = [];
    const q = wordCountOverSocket(port, 'update', seen);
    await expect(q.awaitTermination()).rejects.toThrow(new RegExp(`cannot connect to 127.0.0.1:${port} \\(ECONNREFUSED\\); start the server first`));
  });

  it('a dropped connection fails the query after the lines received before it are processed', async () => {
    const srv = await lineServer();
    const seen: { batchId: number; rows: Row[] }[] = [];
    const q = wordCountOverSocket(srv.port, 'update', seen);
    await eventually(() => srv.connected(), 'the socket source to connect');
    srv.send('last words');
    await eventually(() => seen.length === 1, 'the batch of the last line');
    await srv.close();
    await expect(q.awaitTermination()).rejects.toThrow(/closed the connection|lost its connection/);
    expect(sortRows(seen[0]!.rows)).toEqual(sortRows([{ word: 'last', count: 1 }, { word: 'words', count: 1 }]));
  });
});
