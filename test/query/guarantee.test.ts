import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStream, Session, types as T } from '../../src/index.js';
import type { LogFields, QueryLogger, StreamingQuery } from '../../src/index.js';
import { endToEndGuarantee } from '../../src/query/guarantee.js';
import { brokers } from '../support/kafka.js';

/** A logger that keeps what it was given. */
function capture(): QueryLogger & { lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const at = (level: string) => (fields: LogFields, message: string): void => { lines.push({ level, fields, message }); };
  return { lines, info: at('info'), warn: at('warn') };
}

describe("each query states its sink's end-to-end guarantee", () => {
  const dirs: string[] = [];
  const dir = (): string => { const d = mkdtempSync(join(tmpdir(), 'spate-guarantee-')); dirs.push(d); return d; };
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

  const schema = T.struct([T.field('value', T.string())]);

  async function started(build: (spark: Session) => StreamingQuery): Promise<{ q: StreamingQuery; log: ReturnType<typeof capture> }> {
    const log = capture();
    const spark = Session.builder().appName('guarantee').logger(log).config('spate.sql.shuffle.partitions', 2).create();
    const q = build(spark);
    await q.stop();
    return { q, log };
  }

  it('a Kafka sink without transactional=true is at-least-once, with the reason, and start() logs it', async () => {
    const { q, log } = await started((spark) => new MemoryStream(spark, schema).toDF().writeStream.format('kafka')
      .option('kafka.bootstrap.servers', brokers()).option('topic', 'never-written')
      .option('checkpointLocation', dir()).start());
    expect(q.guarantee).toEqual({ level: 'at-least-once', reason: 'Kafka sink without transactional=true: at-least-once; a replayed epoch may write twice' });
    const line = log.lines.find((l) => l.message.startsWith('query started'));
    expect(line).toMatchObject({ level: 'info', fields: { guarantee: 'at-least-once', guaranteeReason: q.guarantee.reason, id: q.id } });
  });

  it('a transactional Kafka sink and a file sink over replayable sources with a checkpoint are exactly-once', async () => {
    const kafka = await started((spark) => new MemoryStream(spark, schema).toDF().writeStream.format('kafka')
      .option('kafka.bootstrap.servers', brokers()).option('topic', 'never-written').option('transactional', 'true')
      .option('checkpointLocation', dir()).start());
    expect(kafka.q.guarantee.level).toBe('exactly-once');
    expect(kafka.q.guarantee.reason).toMatch(/^Kafka sink with transactional=true: exactly-once; /);
    const file = await started((spark) => spark.readStream.format('rate').option('rowsPerSecond', 1).load()
      .writeStream.format('json').option('checkpointLocation', dir()).start(dir()));
    expect(file.q.guarantee.level).toBe('exactly-once');
    expect(file.q.guarantee.reason).toMatch(/^file sink: exactly-once; /);
  });

  it('foreachBatch is at-least-once; without a checkpointLocation nothing survives the process', async () => {
    const withCheckpoint = await started((spark) => new MemoryStream(spark, schema).toDF().writeStream
      .option('checkpointLocation', dir()).foreachBatch(() => undefined).start());
    expect(withCheckpoint.q.guarantee.level).toBe('at-least-once');
    expect(withCheckpoint.q.guarantee.reason).toMatch(/same batchId/);
    const without = await started((spark) => new MemoryStream(spark, schema).toDF().writeStream.foreachBatch(() => undefined).start());
    expect(without.q.guarantee).toEqual({
      level: 'none',
      reason: "no checkpointLocation: none; the checkpoint lives in this process, so a new process starts over from the sources' starting offsets",
    });
  });

  it('a source that cannot replay an epoch makes any sink "none"', () => {
    const g = endToEndGuarantee({
      sources: [{ description: 'KafkaV2[Subscribe[a]]', replayable: true }, { description: 'TextSocketV2[localhost:9999]', replayable: false }],
      checkpointLocation: '/tmp/cp',
      sink: { description: 'FileSink', guarantee: 'exactly-once', guaranteeReason: 'file sink: exactly-once; …' },
    });
    expect(g).toEqual({ level: 'none', reason: 'TextSocketV2[localhost:9999] cannot replay an epoch: none; rows read by an epoch that fails before its commit are lost' });
    const custom = endToEndGuarantee({ sources: [{ description: 'MySource' }], checkpointLocation: '/tmp/cp', sink: { description: 'S', guarantee: 'exactly-once' } });
    expect(custom.reason).toMatch(/^MySource \(does not declare itself replayable\) cannot replay/);
    expect(endToEndGuarantee({ sources: [], checkpointLocation: '/cp', sink: { description: 'MySink', guarantee: 'at-least-once' } }))
      .toEqual({ level: 'at-least-once', reason: 'MySink: at-least-once' });
  });
});
