// `spate run examples/daemon/trades-windows.ts` against a real Kafka broker of its own (this test
// stops it, so it does not use the suite's shared one) and the suite's Redis: metrics move with
// the data and match progress; SIGTERM drains with the batch committed and exits 0; a second run
// resumes from the Redis checkpoint, and when the broker goes away /readyz fails and the process
// exits with code 3 after the grace period.
import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Session } from '../../src/index.js';
import { inspectCheckpoint } from '../../src/query/inspect-checkpoint.js';
import type { QueryView } from '../../src/daemon/live-feed.js';
import { KafkaBroker } from '../support/kafka-broker.js';
import type { DaemonProcess } from './daemon-process.js';
import { get, metric, spawnSpate, until } from './daemon-process.js';
import { PATIENCE_MS } from '../support/helpers.js';

jest.setTimeout(600_000);

interface Trade { CreatedTime: string; Type: 'BUY' | 'SELL'; Amount: number; BrokerCode: string }

const trade = (minute: number, type: Trade['Type'], amount: number): Trade => ({
  CreatedTime: `2019-02-05 10:${String(minute).padStart(2, '0')}:00`, Type: type, Amount: amount, BrokerCode: 'ABX',
});

describe('spate run over Kafka and Redis', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  const running: DaemonProcess[] = [];
  const topic = `trades-${randomUUID().slice(0, 8)}`;
  const output = `${topic}-windows`;
  const checkpoint = `${process.env['REDIS_URL']}/0/spate-daemon-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    broker = await KafkaBroker.start();
    kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'daemon-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }, { topic: output, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
  });
  afterEach(async () => { await Promise.all(running.splice(0).map((d) => d.stop())); });
  afterAll(async () => { await broker?.stop(); });

  async function produce(trades: readonly Trade[]): Promise<void> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: trades.map((t, i): Message => ({ key: String(i), value: JSON.stringify(t) })) });
    await producer.disconnect();
  }

  /** The newest value of each window in the output topic, as a read_committed reader sees it. */
  async function windows(): Promise<Record<string, { BUY: number | null; SELL: number | null }>> {
    const spark = Session.builder().appName('read-output').create();
    const rows = await spark.read.format('kafka').option('kafka.bootstrap.servers', broker.bootstrap).option('subscribe', output)
      .option('kafka.isolation.level', 'read_committed').load().collect();
    const out: Record<string, { BUY: number | null; SELL: number | null }> = {};
    for (const r of rows.sort((a, b) => (a['offset'] as number) - (b['offset'] as number))) {
      const v = JSON.parse((r['value'] as Buffer).toString('utf8')) as { BUY?: number; SELL?: number };
      out[(r['key'] as Buffer).toString('utf8')] = { BUY: v.BUY ?? null, SELL: v.SELL ?? null };
    }
    return out;
  }

  function daemon(extra: readonly string[] = []): DaemonProcess {
    const d = spawnSpate(['run', 'examples/daemon/trades-windows.ts', '--port', '0', '--progress-interval', '0',
      '--set', `trades.brokers=${broker.bootstrap}`, '--set', `trades.topic=${topic}`, '--set', `trades.output=${output}`,
      '--set', `trades.checkpoint=${checkpoint}`, '--set', 'spate.sql.shuffle.partitions=4', ...extra]);
    running.push(d);
    return d;
  }

  const q = { query: 'trades_windows' };
  const inputRows = (text: string): number => metric(text, 'spate_input_rows_total', q) ?? 0;
  const lagOf = (text: string): number[] => [0, 1].map((p) => metric(text, 'spate_source_lag_records', { ...q, topic, partition: String(p) }) ?? -1);

  it('metrics follow the data and match progress; SIGTERM drains, commits and exits 0', async () => {
    const first = [trade(5, 'BUY', 500), trade(12, 'SELL', 100), trade(20, 'BUY', 300), trade(40, 'SELL', 50)];
    await produce(first);
    const d = daemon();
    const url = await d.url;
    const started = await d.waitFor((l) => l.msg.startsWith('query started'), 'query started');
    expect(started['guarantee']).toBe('exactly-once');
    expect(started['guaranteeReason']).toMatch(/^Kafka sink with transactional=true: exactly-once/);
    await until('readiness', () => get(url, '/readyz'), (r) => r.status === 200);

    const m1 = await until('the first trades counted', async () => (await get(url, '/metrics')).text, (t) => inputRows(t) === first.length);
    expect(lagOf(m1)).toEqual([0, 0]);
    const view = (JSON.parse((await get(url, '/api/queries')).text) as QueryView[])[0]!;
    const ends = view.progress!.sources[0]!.endOffset as Record<string, Record<string, number>>;
    expect(Object.values(ends[topic]!).reduce((a, n) => a + n, 0)).toBe(inputRows(m1));
    expect(metric(m1, 'spate_watermark_seconds', q)).toBe(Date.parse(view.progress!.eventTime.watermark!) / 1000);

    const second = [trade(44, 'BUY', 70), trade(47, 'SELL', 30)];
    await produce(second);
    const m2 = await until('more trades counted', async () => (await get(url, '/metrics')).text, (t) => inputRows(t) === first.length + second.length);
    expect(metric(m2, 'spate_batches_total', q)).toBeGreaterThan(metric(m1, 'spate_batches_total', q)!);
    // The watermark (10:17) evicts the 10:00 window once the no-data batch after them has run.
    await until('the first window evicted', async () => (await get(url, '/metrics')).text,
      (t) => metric(t, 'spate_state_rows', { ...q, operator: 'stateStoreSave' }) === 3);

    d.child.kill('SIGTERM');
    expect(await d.exit).toBe(0);
    const inspection = await inspectCheckpoint(checkpoint);
    expect(inspection.epochs.uncommitted).toEqual([]);
    expect(await windows()).toEqual({
      '2019-02-05 10:00:00': { BUY: 500, SELL: 100 },
      '2019-02-05 10:15:00': { BUY: 300, SELL: null },
      '2019-02-05 10:30:00': { BUY: 70, SELL: 50 },
      '2019-02-05 10:45:00': { BUY: null, SELL: 30 },
    });
  });

  it('resumes from its checkpoint; when the broker goes away /readyz fails and the process exits with code 3', async () => {
    await produce([trade(46, 'BUY', 5)]);
    const d = daemon(['--stall-timeout', '3s', '--stall-grace', '20s']);
    const url = await d.url;
    await until('readiness', () => get(url, '/readyz'), (r) => r.status === 200);
    // Only the new trade is read: the first run's offsets were committed.
    await until('the new trade counted', async () => (await get(url, '/metrics')).text, (t) => inputRows(t) === 1);
    expect((await windows())['2019-02-05 10:45:00']).toEqual({ BUY: 5, SELL: 30 });

    await broker.stop();
    await d.waitFor((l) => l.msg.startsWith('query trades_windows stalled'), 'the stall', PATIENCE_MS);
    const ready = await get(url, '/readyz');
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ ready: false, queries: [{ query: 'trades_windows', stalled: true }] });
    expect(await d.exit).toBe(3);
  });
});
