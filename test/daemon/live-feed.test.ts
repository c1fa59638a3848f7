// The live feed's cluster workers, through the daemon's real HTTP server: /api/workers lists each
// worker's last view; /events sends the views known when a page connects, then every change
// once (a view read again unchanged is not sent again).
import { get as httpGet } from 'node:http';
import type { ClusterWorkerStatus } from '../../src/cluster/group/worker-status.js';
import type { WorkerView } from '../../src/daemon/live-feed.js';
import { LiveFeed } from '../../src/daemon/live-feed.js';
import type { ListeningServer } from '../../src/daemon/server.js';
import { startServer } from '../../src/daemon/server.js';
import { get } from './daemon-process.js';

const status = (committedEpoch: number): ClusterWorkerStatus => ({
  query: 'words', workerId: 'a', generation: 1, coordinator: true, plannedEpoch: committedEpoch + 1, committedEpoch,
  sourcePartitions: [{ topic: 'in', partition: 0, owned: true, committedOffset: 10, latestOffset: 12, lagRecords: 2, rowsRead: 10 }],
  keyGroups: [{ group: 3, epoch: committedEpoch, rowsIn: 10, rowsOut: 4 }],
  rebalances: 1, lastRebalanceMs: 40, refusedCommits: 0, refusedSinkRecords: 0, failingSteps: 0, lastFailure: null, lastEpochMs: 5, lastCommitStepMs: 1,
});

const view = (committedEpoch: number): WorkerView => ({
  key: 'words/a', query: 'words', workerId: 'a', message: `Processing epoch ${committedEpoch + 1}`, ready: true, stopped: false, status: status(committedEpoch),
});

/** Reads server-sent events from `url` until `count` events named `name` came; resolves to their data. */
function events(url: string, name: string, count: number, onOpen: () => void): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const seen: unknown[] = [];
    let text = '';
    const req = httpGet(`${url}/events`, (res) => {
      onOpen();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        let end: number;
        while ((end = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const m = /^event: (.*)\ndata: (.*)$/s.exec(block);
          if (m?.[1] === name) seen.push(JSON.parse(m[2]!));
          if (seen.length === count) {
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', reject);
  });
}

describe('the live feed of cluster workers', () => {
  let server: ListeningServer;
  const feed = new LiveFeed();

  beforeAll(async () => {
    server = await startServer({
      metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
      readiness: () => ({ ready: true, queries: [] }),
      queries: () => feed.snapshot(),
      workers: () => feed.workers(),
      subscribe: (res) => feed.subscribe(res),
      drain: () => Promise.resolve({ drained: true }),
    }, '127.0.0.1', 0);
  });
  afterAll(async () => {
    feed.close();
    await server.close();
  });

  it('lists each worker\'s last view and streams its changes once', async () => {
    expect(JSON.parse((await get(server.url, '/api/workers')).text)).toEqual([]);
    feed.worker(view(0));
    expect(JSON.parse((await get(server.url, '/api/workers')).text)).toEqual([view(0)]);

    // A page connecting now gets the view it missed, then epoch 1's; the unchanged repeat is not sent.
    const got = events(server.url, 'worker', 3, () => {
      feed.worker(view(1));
      feed.worker(view(1));
      feed.worker({ ...view(1), ready: false, stopped: true, message: 'Waiting for data to arrive' });
    });
    expect(await got).toEqual([view(0), view(1), { ...view(1), ready: false, stopped: true, message: 'Waiting for data to arrive' }]);
    expect(JSON.parse((await get(server.url, '/api/workers')).text)).toHaveLength(1);
  });
});
