// A dedicated redis-server on a free loopback port, for tests that stop and restart Redis (and
// for benchmarks and the soak harness when REDIS_URL is not set). With `persistent`, it keeps an
// append-only file fsynced on every write in its own directory, so a restart (even after
// SIGKILL) finds every acknowledged write, as a production Redis configured for it would.
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  readonly persistent?: boolean;
  readonly port?: number;
  /** Extra redis-server arguments, e.g. ['--cluster-enabled', 'yes']. */
  readonly args?: readonly string[];
}

export class RedisServer {
  private child: ChildProcess | null = null;

  private constructor(readonly port: number, readonly dir: string, private readonly args: readonly string[]) {}

  /** Starts a server and waits until it accepts connections. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'spate-redis-'));
    const args = [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      ...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
      ...(options.args ?? []),
    ];
    const server = new RedisServer(port, dir, args);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts the server again on the same port and directory (after `kill`). */
  async restart(): Promise<void> {
    if (this.child) throw new Error(`redis-server on port ${this.port} is already running`);
    const child = spawn(redisServerBinary(), this.args, { stdio: 'ignore' });
    this.child = child;
    child.on('exit', () => { if (this.child === child) this.child = null; });
    await redisReady(this.port);
  }

  /** Kills the server (SIGKILL by default) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.child = null;
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function redisServerBinary(): string {
  const given = process.env.SPATE_TEST_REDIS_SERVER;
  if (given) return given;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server']).toString().trim() || 'redis-server';
  } catch {
    throw new Error('redis-server is not installed: apt-get install -y redis-server (or set SPATE_TEST_REDIS_SERVER)');
  }
}

/** Waits until a redis-server on `port` answers PING (the port answers before an append-only file is loaded). */
export async function redisReady(port: number): Promise<void> {
  await waitForPort(port, 10_000);
  const deadline = Date.now() + 10_000;
  while (!(await ping(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not become ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${ms} ms`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** Whether the server answers PING with PONG (not LOADING). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write('PING\r\n'));
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    s.on('error', () => resolve(false));
  });
}
