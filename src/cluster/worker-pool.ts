// The process's worker threads (Piscina's lesson: one pool, reused). Queries under
// master('local[N]') deploy their regions onto threads 0..N-1; a thread hosts the tasks of any
// number of queries, owns its key groups' state for the whole run of each, and stays up between
// queries (a thread starts in about a second: it loads spate, then the modules listed in
// spate.worker.imports). Threads hold the process open only while a query uses them, and end
// after a few idle seconds. A thread that dies fails every query on it (their supervisors
// restart them per policy, on a fresh thread).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, rename, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SerializedError } from './rpc.js';
import { Rpc } from './rpc.js';

/** How long an unused pool keeps its threads. */
const IDLE_MS = 5000;

/**
 * This module's file, from V8's call sites: the same code then works as ES module, as the
 * CommonJS build and under jest, none of which share a way to name the current file.
 */
function thisFile(): string {
  const saved = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_error, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[];
    const file = frames[0]?.getFileName();
    if (!file) throw new Error('internal: cannot tell where the worker pool module is, to start worker threads');
    return file.startsWith('file:') ? fileURLToPath(file) : file;
  } finally {
    Error.prepareStackTrace = saved;
  }
}

const here = thisFile();

/** What a deployment on a thread is told by it: a failure, and requests (checkpoint reads, static sides). */
export interface ThreadRoute {
  failed(error: SerializedError, where: string): void;
  request(body: Record<string, unknown>): Promise<unknown> | unknown;
}

export interface PoolThread {
  readonly index: number;
  readonly worker: Worker;
  readonly rpc: Rpc;
  /** Told once if the thread dies. */
  onExit(listener: (error: Error) => void): () => void;
  /** Routes the thread's messages about deployment `id`; returns the undo. */
  route(id: string, route: ThreadRoute): () => void;
  readonly alive: boolean;
}

class Thread implements PoolThread {
  readonly worker: Worker;
  readonly rpc: Rpc;
  alive = true;
  private readonly exitListeners = new Set<(error: Error) => void>();
  private readonly routes = new Map<string, ThreadRoute>();
  readonly imported = new Set<string>();

  constructor(readonly index: number, readonly entry: WorkerEntry, onDead: (t: Thread) => void) {
    this.worker = spawn(entry);
    this.rpc = new Rpc(this.worker);
    this.rpc.handle('failed', (b) => {
      const { id, where, error } = b as { id: string; where: string; error: SerializedError };
      this.routes.get(id)?.failed(error, where);
    });
    this.rpc.handle('warning', (b) => {
      const { name, message } = b as { name: string; message: string };
      process.emitWarning(message, name);
    });
    this.rpc.handle('request', (b) => {
      const body = b as Record<string, unknown>;
      const r = this.routes.get(body['id'] as string);
      if (!r) throw new Error(`internal: a request about region ${String(body['id'])}, which is gone`);
      return r.request(body);
    });
    const die = (error: Error): void => {
      if (!this.alive) return;
      this.alive = false;
      this.rpc.failAll(error);
      onDead(this);
      for (const l of [...this.exitListeners]) l(error);
      this.exitListeners.clear();
    };
    this.worker.on('error', (e) => die(new Error(`worker thread ${index} failed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => die(new Error(`worker thread ${index} exited (code ${code})`)));
  }

  onExit(listener: (error: Error) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  route(id: string, route: ThreadRoute): () => void {
    this.routes.set(id, route);
    return () => this.routes.delete(id);
  }
}

export class WorkerPool {
  private static current: WorkerPool | null = null;
  private readonly threads: Thread[] = [];
  private users = 0;
  private idle: NodeJS.Timeout | null = null;

  /** The process's pool. */
  static shared(): WorkerPool {
    WorkerPool.current ??= new WorkerPool();
    return WorkerPool.current;
  }

  /**
   * Threads 0..n-1, started if needed, each having imported `imports` (module paths or
   * specifiers). Resolves with the source formats whose splits every one of them can read.
   */
  async prepare(n: number, imports: readonly string[]): Promise<{ threads: PoolThread[]; splitFormats: Set<string>; taskSinkFormats: Set<string> }> {
    const threads: Thread[] = [];
    const entry = await workerEntry(imports.length > 0);
    for (let i = 0; i < n; i++) {
      let t: Thread | undefined = this.threads[i];
      // A bundled thread cannot import TypeScript modules that share its spate: when this query
      // is the only one on it, it is replaced by a thread that loads the sources through tsx.
      if (t && t.alive && t.entry.kind === 'bundle' && entry.kind === 'tsx' && this.users <= 1) {
        delete this.threads[i];
        await t.worker.terminate();
        t = undefined;
      }
      if (!t || !t.alive) {
        t = new Thread(i, entry, (dead) => { if (this.threads[dead.index] === dead) delete this.threads[dead.index]; });
        this.threads[i] = t;
        if (this.users === 0) t.worker.unref();
      }
      threads.push(t);
    }
    const known = await Promise.all(threads.map(async (t) => {
      const missing = imports.filter((m) => !t.imported.has(m));
      const formats = await t.rpc.call<{ sources: string[]; sinks: string[] }>('import', { modules: missing.map(moduleUrl) });
      for (const m of missing) t.imported.add(m);
      return formats;
    }));
    return { threads, splitFormats: common(known.map((k) => k.sources)), taskSinkFormats: common(known.map((k) => k.sinks)) };
  }

  /** A query starts using the pool: its threads hold the process open. */
  retain(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.users++ === 0) for (const t of this.threads) t?.worker.ref();
  }

  /** A query stopped using the pool; the last one lets the threads go, and ends them when idle. */
  release(): void {
    if (--this.users > 0) return;
    this.users = 0;
    for (const t of this.threads) t?.worker.unref();
    this.idle = setTimeout(() => void this.close(), IDLE_MS);
    this.idle.unref();
  }

  /** Ends every thread. */
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const threads = this.threads.splice(0);
    await Promise.all(threads.map((t) => t?.worker.terminate()));
    if (WorkerPool.current === this) WorkerPool.current = null;
  }
}

/** How a thread loads spate: compiled JavaScript, one bundle of the TypeScript sources, or the sources through tsx. */
interface WorkerEntry { readonly kind: 'js' | 'bundle' | 'tsx'; readonly url: string }

const ts = here.endsWith('.ts');
const mainModule = here.replace(/worker-pool\.(ts|js)$/, `worker/worker-main.${ts ? 'ts' : 'js'}`);
let bundled: Promise<string> | null = null;

/**
 * What a new thread runs: src/cluster/worker/worker-main. From the compiled package it is a
 * plain module. From TypeScript sources (tests, `tsx`) the sources are bundled once into one
 * file (esbuild, which tsx brings; cached by the sources' sizes and times), which a thread loads
 * in a fraction of the time tsx takes module by module; a thread that must import TypeScript
 * modules of its own (spate.worker.imports) loads everything through tsx instead, so that those
 * modules and the thread share one spate.
 */
async function workerEntry(imports: boolean): Promise<WorkerEntry> {
  if (!ts) return { kind: 'js', url: pathToFileURL(mainModule).href };
  if (imports) return { kind: 'tsx', url: pathToFileURL(mainModule).href };
  bundled ??= bundle().catch((e: unknown) => {
    bundled = null;
    throw e;
  });
  return { kind: 'bundle', url: pathToFileURL(await bundled).href };
}

/** Bundles worker-main and what it imports (packages stay external) into node_modules/.cache/spate. */
async function bundle(): Promise<string> {
  const src = join(here, '..', '..');
  const stamp = createHash('sha1');
  const walk = async (dir: string): Promise<void> => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.ts')) {
        const st = await stat(p);
        stamp.update(`${p}:${st.size}:${st.mtimeMs}\n`);
      }
    }
  };
  await walk(src);
  const out = join(src, '..', 'node_modules', '.cache', 'spate', `worker-${stamp.digest('hex').slice(0, 16)}.mjs`);
  if (existsSync(out)) return out;
  const esbuild = createRequire(createRequire(here).resolve('tsx/esm/api')).call(null, 'esbuild') as typeof import('esbuild');
  const tmp = `${out}.${process.pid}.tmp`;
  await esbuild.build({ entryPoints: [mainModule], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: tmp, logLevel: 'error' });
  await rename(tmp, out);
  return out;
}

/**
 * The young generation of each worker thread (V8's nursery, where a row's short-lived objects
 * live and die). A worker's starts small and grows slowly; the threads allocate a row object or
 * more per event, so a small nursery promotes garbage and scavenges often. Measured on the Yahoo
 * benchmark under local[2]: the equivalent of 64 MiB semi-spaces cut CPU per event by a quarter
 * (5.6-6.2 to 4.3-4.7 us), while the driver thread (local[1]) gained nothing from the same setting.
 */
const WORKER_YOUNG_GENERATION_MB = 192;

const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };

function spawn(entry: WorkerEntry): Worker {
  return entry.kind === 'tsx' ? tsxThread(entry.url) : new Worker(new URL(entry.url), { resourceLimits });
}

/**
 * A thread running the TypeScript module at `url` through tsx, with the worker threads' young
 * generation (the many-cores benchmark runs its hand loop on such threads, to compare like with like).
 */
export function tsxThread(url: string): Worker {
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const bootstrap = [
    "const { workerData } = require('node:worker_threads');",
    'import(workerData.tsx).then((m) => { m.register(); return import(workerData.entry); })',
    '  .catch((e) => { console.error(e); process.exit(1); });',
  ].join('\n');
  return new Worker(bootstrap, { eval: true, workerData: { tsx, entry: url }, resourceLimits });
}

/** What every list has. */
function common(lists: readonly string[][]): Set<string> {
  const out = new Set(lists[0] ?? []);
  for (const l of lists.slice(1)) for (const x of out) if (!l.includes(x)) out.delete(x);
  return out;
}

/** A module to import on worker threads: a file URL, a path (from the working directory) or a package name. */
function moduleUrl(spec: string): string {
  if (spec.startsWith('file:') || spec.startsWith('node:')) return spec;
  return pathToFileURL(createRequire(`${process.cwd()}/`).resolve(spec)).href;
}
