// The daemon's HTTP server (node:http; a handful of routes needs no framework): the live page
// and its assets, /events (server-sent events), /api/queries, /api/workers, /metrics, /healthz, /readyz, and
// POST /drain (from loopback only: the Helm chart's preStop hook).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { UsageError } from './settings.js';

export interface ServerRoutes {
  metrics(): Promise<{ contentType: string; body: string }>;
  /** 200 when ready; otherwise the reasons. */
  readiness(): { ready: boolean; queries: unknown };
  queries(): unknown;
  /** The cluster workers' last statuses. */
  workers(): unknown;
  subscribe(res: ServerResponse): void;
  /** Stops every query gracefully; resolves once they stopped. */
  drain(): Promise<{ drained: boolean }>;
}

const ASSETS = fileURLToPath(new URL('../../assets/live/', import.meta.url));
const uplot = createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js');

const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: `${ASSETS}index.html`, type: 'text/html; charset=utf-8' },
  '/live.js': { file: `${ASSETS}live.js`, type: 'text/javascript; charset=utf-8' },
  '/live.css': { file: `${ASSETS}live.css`, type: 'text/css; charset=utf-8' },
  '/uplot.js': { file: uplot, type: 'text/javascript; charset=utf-8' },
  '/uplot.css': { file: uplot.replace(/uPlot\.iife\.min\.js$/, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

export interface ListeningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on host:port; a port in use or a host that cannot be bound is a UsageError. */
export async function startServer(routes: ServerRoutes, host: string, port: number): Promise<ListeningServer> {
  const server = createServer((req, res) => {
    handle(routes, req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(e as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new UsageError(e.code === 'EADDRINUSE'
        ? `port ${port} on ${host} is in use: choose another with --port (0 picks a free one)`
        : `cannot listen on ${host}:${port}: ${e.message}; check --host and --port`));
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${shownHost}:${address.port}`, close: () => closeServer(server) };
}

async function handle(routes: ServerRoutes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method === 'POST' && path === '/drain') {
    if (!isLoopback(req.socket.remoteAddress)) return send(res, 403, 'text/plain', 'drain is accepted from loopback only\n');
    return json(res, 200, await routes.drain());
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
  switch (path) {
    case '/healthz': return send(res, 200, 'text/plain', 'ok\n');
    case '/readyz': {
      const r = routes.readiness();
      return json(res, r.ready ? 200 : 503, r);
    }
    case '/metrics': {
      const m = await routes.metrics();
      return send(res, 200, m.contentType, m.body);
    }
    case '/api/queries': return json(res, 200, routes.queries());
    case '/api/workers': return json(res, 200, routes.workers());
    case '/events': return routes.subscribe(res);
  }
  const asset = STATIC[path];
  if (!asset) return send(res, 404, 'text/plain', `no such page: ${path}\n`);
  return send(res, 200, asset.type, await readFile(asset.file));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(body, null, 2)}\n`);
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || (address?.startsWith('127.') ?? false);
}

/** Lets requests in flight (a drain's answer) finish; cuts what is left after a moment. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), 2000);
    force.unref();
    server.close(() => { clearTimeout(force); resolve(); });
    server.closeIdleConnections();
  });
}
