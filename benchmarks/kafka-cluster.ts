// A Kafka cluster for benchmarks: KAFKA_BROKERS when set, else librdkafka's mock cluster started
// through kcat (as the tests do), stopped when the scenario ends.
import { spawn } from 'node:child_process';

export interface BenchCluster {
  readonly brokers: string;
  readonly mock: boolean;
  stop(): void;
}

export async function kafkaCluster(): Promise<BenchCluster> {
  const given = process.env['KAFKA_BROKERS'];
  if (given) return { brokers: given, mock: process.env['SPATE_TEST_KAFKA_MOCK'] === '1', stop: () => undefined };
  const child = spawn('kcat', ['-C', '-t', 'warmup', '-X', 'test.mock.num.brokers=3', '-b', 'dummy:1', '-d', 'mock', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const brokers = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`kcat mock cluster did not start: ${buf.slice(0, 300)}`)), 15_000);
    child.on('error', (e) => reject(new Error(`kcat is needed for the Kafka benchmark (apt-get install -y kcat) or set KAFKA_BROKERS: ${e.message}`)));
    child.stderr.on('data', (d: Buffer) => {
      if (buf.length < 10_000) buf += d.toString();
      const m = /bootstrap\.servers=([0-9.:,]+)/.exec(buf);
      if (m) { clearTimeout(timer); resolve(m[1]!); }
    });
  });
  child.stderr.resume(); // the mock logs every request: keep draining
  return { brokers, mock: true, stop: () => { child.kill('SIGTERM'); } };
}
