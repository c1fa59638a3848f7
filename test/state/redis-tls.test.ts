// rediss://: the Redis store over TLS, against a redis-server with a test certificate.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer, freePort } from '../support/redis-server.js';

describe('the Redis store over TLS', () => {
  let dir: string;
  let server: RedisServer;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spate-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    port = await freePort();
    server = await RedisServer.start({
      port: await freePort(),
      args: ['--tls-port', String(port), '--tls-cert-file', join(dir, 'cert.pem'), '--tls-key-file', join(dir, 'key.pem'),
        '--tls-ca-cert-file', join(dir, 'cert.pem'), '--tls-auth-clients', 'no'],
    });
  }, 300_000);

  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const runChild = (location: string, env: NodeJS.ProcessEnv, rows = 300): { status: number | null; out: string } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/count-query-child.ts', location, String(rows)], {
      env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000,
    });
    return { status: r.status, out: r.stdout };
  };
  const total = (out: string): number => (JSON.parse(out) as { rows: Array<{ n: number }> }).rows.reduce((a, r) => a + r.n, 0);

  it('checkpoints and resumes over rediss:// when the server certificate is trusted', () => {
    const location = `rediss://127.0.0.1:${port}/0/tls-query`;
    const first = runChild(location, { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
    expect(first.status).toBe(0);
    expect(JSON.parse(first.out).lastBatch).toBe(2);
    expect(total(first.out)).toBe(300);
    // A second process resumes after epoch 2 with the counts of the first 300 rows.
    const second = runChild(location, { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') }, 600);
    expect(second.status).toBe(0);
    expect(JSON.parse(second.out).lastBatch).toBe(5);
    expect(total(second.out)).toBe(600);
  });

  it('an untrusted server certificate fails the query with a message saying how to trust it', () => {
    const r = runChild(`rediss://127.0.0.1:${port}/0/tls-untrusted`, { NODE_EXTRA_CA_CERTS: '' });
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/FAILED .*cannot connect to Redis at rediss:\/\/127\.0\.0\.1:\d+\/0\/tls-untrusted: .*certificate.*set NODE_EXTRA_CA_CERTS/);
  });
});
