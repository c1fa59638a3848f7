// The notes' Kafka examples, run as scripts against the test cluster with --available-now.
import avro from 'avsc';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokers, newTopic, produce, readTopic } from '../support/kafka.js';

const ROOT = join(__dirname, '../..');
const invoices = readFileSync(join(ROOT, 'examples/data/invoices.jsonl'), 'utf8').trim().split('\n');

function runExample(script: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', script), '--available-now'], {
      cwd: ROOT, env: { ...process.env, KAFKA_BROKERS: brokers(), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const lineItems = invoices.flatMap((l) => (JSON.parse(l) as { InvoiceLineItems: { ItemCode: string }[] }).InvoiceLineItems);

describe('the Kafka examples of the notes', () => {
  const dirs: string[] = [];
  afterAll(async () => { await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))); });
  const checkpointDir = (): string => { const d = join(tmpdir(), `spate-example-${randomUUID()}`); dirs.push(d); return d; };

  it('kafka-invoices.ts writes one JSON notification per line item, keyed by ItemCode', async () => {
    const input = await newTopic('invoices');
    const output = await newTopic('notifications');
    await produce(input, invoices.map((value) => ({ value })));
    const run = await runExample('kafka-invoices.ts', { INVOICES_TOPIC: input, NOTIFICATIONS_TOPIC: output, CHECKPOINT_DIR: checkpointDir() });
    expect(run.code).toBe(0);
    expect(run.out).toContain('6 notifications');
    const got = (await readTopic(output)).map((m) => JSON.stringify([m.key, JSON.parse(m.value!)]));
    expect(got.sort()).toEqual(lineItems.map((i) => JSON.stringify([i.ItemCode, i])).sort());
  });

  it('kafka-invoices-avro.ts writes the line items as Avro with the .avsc from disk and reads them back', async () => {
    const input = await newTopic('invoices');
    const output = await newTopic('notifications-avro');
    await produce(input, invoices.map((value) => ({ value })));
    const run = await runExample('kafka-invoices-avro.ts', { INVOICES_TOPIC: input, NOTIFICATIONS_TOPIC: output, CHECKPOINT_DIR: checkpointDir() });
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/\|\s*key\|\s*ItemDescription\|ItemQty\|TotalValue\|/);
    expect(run.out).toMatch(/\|\s*458\|\s*Wine glass\|\s*3\|\s*4932(\.0)?\|/);
    const type = avro.Type.forSchema(JSON.parse(readFileSync(join(ROOT, 'examples/schemas/invoice-item.avsc'), 'utf8')) as avro.Schema);
    const rows = await (await import('../../src/index.js')).Session.builder().create().read.format('kafka')
      .option('kafka.bootstrap.servers', brokers()).option('subscribe', output).load().collect();
    const decoded = rows.map((r) => ({ ...(type.fromBuffer(r['value'] as Buffer) as object) }));
    expect(decoded.map((d) => JSON.stringify(d)).sort()).toEqual(lineItems.map((i) => JSON.stringify(i)).sort());
  });
});
