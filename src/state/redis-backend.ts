// The Redis store (ioredis 5): a checkpoint under a key prefix in one Redis database, or on a
// Redis Cluster (detected at connect). Layout and hash tags: redis-layout.ts.
//
// Writes. Every write is a MULTI/EXEC guarded by WATCH on the live-run lock, so a run that lost
// its lock (it stalled past the lock timeout and another run took over) can never write. WATCH
// is per connection, so each transaction leases a connection of its own from a small pool
// (reads share one more): an asynchronous epoch commit and the next epoch's offsets entry go out
// side by side. Renewing the lock touches the watched key; a transaction that overlaps a renewal
// sees EXEC refused and runs again.
//
// On a single server one epoch — its state deltas, directory registrations and commit marker —
// is one transaction. On a cluster a transaction cannot span slots, so each partition's slot gets
// its own transaction and the root slot's (the commit marker's, guarded) comes last: restore
// trusts only versions up to the last commit marker, so a partition written without its marker
// is ignored and rewritten by the re-run. Transactions go out pipelined (ioredis sends MULTI …
// EXEC in one write).
//
// Faults. Commands fail at once while the connection is down (no offline queue, no silent
// resend); each operation retries passing errors with jittered exponential backoff for
// `retryTimeoutMs`, then fails with a retriable ConnectorError, which restarts the query per its
// restart policy. Every write is idempotent (HSET, SADD), so re-sending a transaction whose reply
// was lost is safe.
import { hostname } from 'node:os';
import type { ChainableCommander } from 'ioredis';
import { Cluster, Redis } from 'ioredis';
import { CheckpointError, ConnectorError, errorMessage, isRetriable } from '../errors.js';
import type { BlobWrite, CheckpointBackend, LockHolder } from './backend.js';
import { scrubError } from '../secrets.js';
import { processAlive } from './process-alive.js';
import { RedisLayout, splitPath } from './redis-layout.js';
import type { SlotGroup } from './redis-layout.js';
import type { RedisLocation } from './redis-location.js';
import { withRetries } from './retry.js';

export interface RedisBackendOptions {
  /** How long an operation retries while Redis is unreachable before it fails. */
  readonly retryTimeoutMs: number;
  /** How long the live-run lock lives without renewal (renewed every third of it). */
  readonly lockTimeoutMs: number;
  /** Run on a server whose maxmemory-policy may evict keys, with a warning instead of an error. */
  readonly allowEviction?: boolean;
}

type Client = Redis | Cluster;

/** Transactions in flight at once (an epoch commit, an offsets entry, a snapshot). */
const TX_CONNECTIONS = 3;

const RENEW_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return -1 end";
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const TRANSIENT = /Connection is closed|Stream isn't writeable|isn't ready|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|Command timed out|^LOADING|^TRYAGAIN|^CLUSTERDOWN|^MASTERDOWN|^READONLY|Failed to refresh slots cache|None of startup nodes is available|max retries per request|Connection lost/i;

export function isTransientRedisError(e: unknown): boolean {
  if (e instanceof CheckpointError) return false;
  return isRetriable(e) || TRANSIENT.test(errorMessage(e));
}

export class RedisBackend implements CheckpointBackend {
  readonly location: string;
  readonly layout: RedisLayout;
  private conn: Client | null = null;
  private connecting: Promise<Client> | null = null;
  /** Makes another connection like `conn` (a duplicate, or a new cluster client). */
  private makeClient: (() => Promise<Client>) | null = null;
  private readonly idleTx: Client[] = [];
  private readonly allTx: Client[] = [];
  private readonly txWaiters: Array<(c: Client) => void> = [];
  private txOpening = 0;
  /** Directories registered in their parents (they are never removed). */
  private readonly knownDirs = new Set<string>();
  private token: string | null = null;
  private runId: string | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  /** Set when another run took the lock: every later write fails with this. */
  private lost: CheckpointError | null = null;
  private vanishedCheck: (() => Promise<void>) | null = null;
  private lastConnectionError: unknown = null;
  private closed = false;

  constructor(private readonly where: RedisLocation, private readonly options: RedisBackendOptions) {
    this.location = where.display;
    this.layout = new RedisLayout(where.prefix);
  }

  /** Whether the checkpoint is on a Redis Cluster (known once connected). */
  get isCluster(): boolean {
    return this.conn instanceof Cluster;
  }

  async read(path: string): Promise<Buffer | null> {
    const { dir, name } = splitPath(path);
    return this.retrying(`reading ${path}`, async (c) => c.hgetBuffer(this.layout.filesKey(dir), name));
  }

  async write(path: string, data: Buffer | string): Promise<void> {
    await this.writeAll([{ path, data }]);
  }

  async writeAll(writes: readonly BlobWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const what = writes.length === 1 ? `writing ${writes[0]!.path}` : `writing ${writes.length} blobs ending with ${writes[writes.length - 1]!.path}`;
    await this.retrying(what, () => this.withTx((c) => this.transact(c, writes)));
  }

  async list(dir: string): Promise<string[]> {
    return this.retrying(`listing ${dir || '/'}`, async (c) => {
      const [files, dirs] = await Promise.all([c.hkeys(this.layout.filesKey(dir)), c.smembers(this.layout.dirsKey(dir))]);
      return [...new Set([...files, ...dirs])];
    });
  }

  async delete(paths: readonly string[]): Promise<void> {
    const byDir = new Map<string, string[]>();
    for (const p of paths) {
      const { dir, name } = splitPath(p);
      const names = byDir.get(dir);
      if (names) names.push(name);
      else byDir.set(dir, [name]);
    }
    await this.retrying(`deleting ${paths.length} blobs`, async (c) => {
      await Promise.all([...byDir].map(([dir, names]) => c.hdel(this.layout.filesKey(dir), ...names)));
    });
  }

  async sizes(dir: string): Promise<Map<string, number>> {
    return this.retrying(`sizing ${dir}`, async (c) => {
      const key = this.layout.filesKey(dir);
      const names = await c.hkeys(key);
      const lengths = await Promise.all(names.map((n) => c.hstrlen(key, n)));
      return new Map(names.map((n, i) => [n, lengths[i]!]));
    });
  }

  async acquire(runId: string): Promise<void> {
    const token = JSON.stringify({ runId, host: hostname(), pid: process.pid, sinceMs: Date.now() });
    await this.retrying('taking the live-run lock', (c) => this.takeLock(c, runId, token));
    this.runId = runId;
    this.token = token;
    this.lost = null;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(100, Math.floor(this.options.lockTimeoutMs / 3)));
    this.renewTimer.unref();
  }

  async release(runId: string): Promise<void> {
    if (this.runId !== runId || !this.token) return;
    this.stopRenewal();
    const token = this.token;
    this.token = null;
    this.runId = null;
    await this.retrying('releasing the live-run lock', (c) => c.eval(RELEASE_SCRIPT, 1, this.layout.lockKey, token));
  }

  /** The lock must still hold this run's token; a lock that merely expired is taken again (after checkAfterVanish). */
  async checkFence(): Promise<void> {
    if (this.lost) throw this.lost;
    const token = this.token;
    if (!token) return;
    await this.retrying('checking the live-run lock', async (c) => {
      const holder = await c.get(this.layout.lockKey);
      if (holder !== token) await this.reclaimLock(c, holder);
    });
  }

  setLockVanishedCheck(check: () => Promise<void>): void {
    this.vanishedCheck = check;
  }

  async lockHolder(): Promise<LockHolder | null> {
    const raw = await this.retrying('reading the live-run lock', (c) => c.get(this.layout.lockKey));
    return raw ? parseHolder(raw) : null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopRenewal();
    const c = this.conn;
    this.conn = null;
    c?.disconnect();
    for (const tx of this.allTx.splice(0)) tx.disconnect();
    this.idleTx.length = 0;
  }

  // ---- transactions -------------------------------------------------------------------------

  private async transact(c: Client, writes: readonly BlobWrite[]): Promise<void> {
    if (this.lost) throw this.lost;
    const groups = this.layout.plan(writes, this.knownDirs);
    if (c instanceof Cluster) {
      for (const g of groups) await this.execGroup(c, g, g.tag === this.layout.rootTag);
    } else {
      const all: SlotGroup = { tag: '', commands: groups.flatMap((g) => g.commands), registers: groups.flatMap((g) => g.registers) };
      await this.execGroup(c, all, true);
    }
  }

  /** Runs one group as MULTI/EXEC; when `guarded`, only while this run holds the lock. */
  private async execGroup(c: Client, g: SlotGroup, guarded: boolean): Promise<void> {
    const lockKey = this.layout.lockKey;
    for (let attempt = 0; ; attempt++) {
      if (guarded && this.token) {
        await c.watch(lockKey);
        const holder = await c.get(lockKey);
        if (holder !== this.token) {
          await c.unwatch();
          await this.reclaimLock(c, holder);
          continue;
        }
      }
      const tx = c.multi();
      for (const cmd of g.commands) addCommand(tx, cmd);
      let results: Awaited<ReturnType<typeof tx.exec>>;
      try {
        results = await tx.exec();
      } catch (e) {
        throw await this.explainWriteError(c, e);
      }
      if (results === null) {
        // The lock key changed between WATCH and EXEC (expired, or taken): look again.
        if (attempt > 20) throw new ConnectorError(`the live-run lock of ${this.location} keeps changing during a commit`, { retriable: true });
        continue;
      }
      const failed = results.find(([err]) => err);
      if (failed) throw await this.explainWriteError(c, failed[0]!);
      for (const d of g.registers) this.knownDirs.add(d);
      return;
    }
  }

  /** A refused write in plain words: Redis's OOM shows as EXECABORT otherwise. */
  private async explainWriteError(c: Client, e: unknown): Promise<unknown> {
    const previous = (e as { previousErrors?: unknown[] }).previousErrors ?? [];
    if (![e, ...previous].some((x) => /^OOM\b|\bOOM command not allowed/.test(errorMessage(x)))) return e;
    const info = await (c as Redis).info('memory').catch(() => '');
    const max = /maxmemory_human:(\S+)/.exec(info)?.[1] ?? /maxmemory:(\d+)/.exec(info)?.[1] ?? 'unknown';
    const used = /used_memory_human:(\S+)/.exec(info)?.[1];
    return new ConnectorError(
      `Redis at ${this.location} is out of memory (maxmemory ${max}${used ? `, ${used} used` : ''}) and refused the checkpoint write: ` +
      'raise maxmemory, free memory on that server, or move the checkpoint; the query resumes from its last commit once it can write',
      { cause: e },
    );
  }

  /**
   * Refuses a server that may evict keys under memory pressure: an evicted state or offsets key
   * is silently lost state or replayed batches. allowEviction turns the refusal into a warning.
   */
  private async checkEvictionPolicy(c: Client): Promise<void> {
    const nodes = c instanceof Cluster ? c.nodes('master') : [c];
    for (const node of nodes) {
      const policy = await evictionPolicyOf(node);
      if (policy === null || policy === 'noeviction') continue;
      const what = `Redis at ${this.location}${c instanceof Cluster ? ` (node ${node.options.host}:${node.options.port})` : ''} has maxmemory-policy ${policy}`;
      const why = 'it may evict checkpoint keys under memory pressure, which silently loses state or offsets';
      if (this.options.allowEviction) {
        process.emitWarning(`${what}: ${why}. Running anyway because spate.checkpoint.redis.allowEviction is true`, 'SpateCheckpointWarning');
        continue;
      }
      throw new CheckpointError(
        `${what}: ${why}. Set maxmemory-policy noeviction on that server (CONFIG SET maxmemory-policy noeviction, and in redis.conf), ` +
        'or set spate.checkpoint.redis.allowEviction=true to run with a warning',
      );
    }
  }

  // ---- the live-run lock --------------------------------------------------------------------

  private async takeLock(c: Client, runId: string, token: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if ((await c.set(this.layout.lockKey, token, 'PX', this.options.lockTimeoutMs, 'NX')) === 'OK') return;
      const raw = await c.get(this.layout.lockKey);
      if (raw === null) continue; // expired in between
      const holder = parseHolder(raw);
      if (holder.runId === runId) {
        await c.set(this.layout.lockKey, token, 'PX', this.options.lockTimeoutMs);
        return;
      }
      if (holder.host === hostname() && holder.pid !== undefined && !processAlive(holder.pid)) {
        // Left by a process of this machine that died: take it over at once.
        await c.eval(RELEASE_SCRIPT, 1, this.layout.lockKey, raw);
        continue;
      }
      const ttl = await c.pttl(this.layout.lockKey);
      throw new CheckpointError(
        `checkpoint ${this.location} is in use by run ${holder.runId}${describeHolder(holder)}: ` +
        'two live runs cannot share a checkpoint; stop the other run, or use another checkpointLocation' +
        (ttl > 0 ? `. If that run died, its lock expires within ${Math.ceil(ttl / 1000)} s and the checkpoint can be used again` : ''),
      );
    }
    throw new ConnectorError(`could not take the live-run lock of ${this.location}: it kept changing hands`, { retriable: true });
  }

  /**
   * The lock is not ours any more: take it again if it simply expired and the checkpoint still
   * holds what this run wrote, else stop writing for good.
   */
  private async reclaimLock(c: Client, holder: string | null): Promise<void> {
    if (holder === null && this.token) {
      await this.checkAfterVanish();
      if ((await c.set(this.layout.lockKey, this.token, 'PX', this.options.lockTimeoutMs, 'NX')) === 'OK') return;
    }
    const now = holder ?? (await c.get(this.layout.lockKey));
    if (now === this.token) return;
    const other = now ? parseHolder(now) : null;
    this.lost = new CheckpointError(
      `run ${this.runId} lost checkpoint ${this.location}${other ? ` to run ${other.runId}${describeHolder(other)}` : ''} ` +
      `(its lock was not renewed within spate.checkpoint.redis.lockTimeout = ${this.options.lockTimeoutMs} ms); ` +
      'it stops so that two runs never write one checkpoint. Restart it once the other run has stopped',
    );
    this.stopRenewal();
    throw this.lost;
  }

  /** A vanished lock may mean Redis lost its data (restarted without persistence): verify first. */
  private async checkAfterVanish(): Promise<void> {
    if (!this.vanishedCheck) return;
    try {
      await this.vanishedCheck();
    } catch (e) {
      if (isTransientRedisError(e)) throw e;
      this.lost = new CheckpointError(
        `run ${this.runId} stops writing checkpoint ${this.location}: its live-run lock vanished and ${errorMessage(e)}. ` +
        'Redis lost data this run wrote (a restart without persistence, a FLUSHALL, or eviction); writing on would leave a ' +
        'partial checkpoint. Restore the data from a backup, or start the query with a new checkpointLocation',
        { cause: e },
      );
      this.stopRenewal();
      throw this.lost;
    }
  }

  private async renew(): Promise<void> {
    const token = this.token;
    if (!token || this.lost || this.closed) return;
    try {
      const c = await this.client();
      const r = await c.eval(RENEW_SCRIPT, 1, this.layout.lockKey, token, String(this.options.lockTimeoutMs));
      if (r === -1 && this.token === token) await this.reclaimLock(c, await c.get(this.layout.lockKey));
    } catch {
      // Unreachable now: the next renewal or write tries again; a lost lock is recorded in `lost`.
    }
  }

  private stopRenewal(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  // ---- connection and retries ---------------------------------------------------------------

  /** Runs `work` on a transaction connection that no other transaction uses meanwhile. */
  private async withTx<T>(work: (c: Client) => Promise<T>): Promise<T> {
    const c = await this.leaseTx();
    try {
      return await work(c);
    } catch (e) {
      // Leave no WATCH behind for the next lease (a lost connection has none anyway).
      await c.unwatch().catch(() => undefined);
      throw e;
    } finally {
      const waiter = this.txWaiters.shift();
      if (waiter) waiter(c);
      else this.idleTx.push(c);
    }
  }

  private async leaseTx(): Promise<Client> {
    const idle = this.idleTx.pop();
    if (idle) return idle;
    if (this.allTx.length + this.txOpening < TX_CONNECTIONS) {
      await this.client();
      this.txOpening++;
      try {
        const c = await this.makeClient!();
        this.allTx.push(c);
        return c;
      } finally {
        this.txOpening--;
      }
    }
    return new Promise<Client>((resolve) => this.txWaiters.push(resolve));
  }

  private async retrying<T>(what: string, op: (c: Client) => Promise<T>): Promise<T> {
    if (this.closed) throw new CheckpointError(`checkpoint ${this.location} is closed`);
    return withRetries(async () => op(await this.client()), {
      budgetMs: this.options.retryTimeoutMs,
      isTransient: isTransientRedisError,
      exhausted: (last, attempts, elapsed) => new ConnectorError(
        `Redis at ${this.location} did not answer while ${what} (${attempts} attempts over ${elapsed} ms: ${errorMessage(last)}` +
        `${this.lastConnectionError && errorMessage(this.lastConnectionError) !== errorMessage(last) ? `; connection: ${errorMessage(this.lastConnectionError)}` : ''}). ` +
        'Check that Redis runs and is reachable: a query fails, or restarts per its restartPolicy, and resumes from its last commit once Redis is back',
        { retriable: true, cause: last },
      ),
    });
  }

  private client(): Promise<Client> {
    if (this.conn) return Promise.resolve(this.conn);
    this.connecting ??= this.connect().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const w = this.where;
    const common = {
      ...(w.username !== undefined ? { username: w.username } : {}),
      ...(w.password !== undefined ? { password: w.password } : {}),
      ...(w.tls ? { tls: { servername: w.host } } : {}),
      connectTimeout: 2000,
      commandTimeout: 20000,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times: number) => Math.min(2000, 50 * 2 ** Math.min(times, 6)),
      lazyConnect: true,
    };
    const open = async <C extends Client>(c: C): Promise<C> => {
      c.on('error', (e: unknown) => { this.lastConnectionError = e; });
      c.on('ready', () => { this.lastConnectionError = null; });
      try {
        await c.connect();
      } catch (e) {
        c.disconnect();
        // A refused TLS handshake shows as "Connection is closed"; the 'error' event has the reason.
        const reason = this.lastConnectionError;
        const cause = isTransientRedisError(e) && reason && !isTransientRedisError(reason) ? reason : e;
        if (isTransientRedisError(cause)) throw e;
        scrubError(cause);
        throw new ConnectorError(
          `cannot connect to Redis at ${this.location}: ${errorMessage(cause)}` +
          (w.tls ? ' (with rediss://, the server certificate must be trusted by Node.js: for a private CA, set NODE_EXTRA_CA_CERTS)' : ''),
          { cause },
        );
      }
      if (this.closed) {
        c.disconnect();
        throw new CheckpointError(`checkpoint ${this.location} is closed`);
      }
      return c;
    };
    const standalone = await open(new Redis({ host: w.host, port: w.port, db: w.db, ...common }));
    let info: string;
    try {
      info = await standalone.info('cluster');
    } catch (e) {
      standalone.disconnect();
      throw e;
    }
    if (!/cluster_enabled:1/.test(info)) {
      try {
        await this.checkEvictionPolicy(standalone);
      } catch (e) {
        standalone.disconnect();
        throw e;
      }
      this.makeClient = () => open(standalone.duplicate());
      this.conn = standalone;
      return standalone;
    }
    standalone.disconnect();
    if (w.db !== 0) {
      throw new CheckpointError(`checkpoint ${this.location} names database ${w.db}, but ${w.host}:${w.port} is a Redis Cluster, which has only database 0: use /0/ in the location`);
    }
    const newCluster = (): Cluster => new Cluster([{ host: w.host, port: w.port }], {
      redisOptions: common,
      enableOfflineQueue: false,
      lazyConnect: true,
      clusterRetryStrategy: (times: number) => Math.min(2000, 50 * 2 ** Math.min(times, 6)),
    });
    const cluster = await open(newCluster());
    try {
      await this.checkEvictionPolicy(cluster);
    } catch (e) {
      cluster.disconnect();
      throw e;
    }
    this.makeClient = () => open(newCluster());
    this.conn = cluster;
    return cluster;
  }

}

/** A server's maxmemory-policy (CONFIG GET, or INFO where CONFIG is disabled), or null if it cannot tell. */
async function evictionPolicyOf(node: Redis): Promise<string | null> {
  try {
    const reply = await node.config('GET', 'maxmemory-policy') as string[];
    if (reply[1]) return reply[1];
  } catch {
    // CONFIG is often renamed or disabled on managed Redis: INFO has it too.
  }
  const info = await node.info('memory').catch(() => '');
  return /maxmemory_policy:(\S+)/.exec(info)?.[1] ?? null;
}

function addCommand(tx: ChainableCommander, cmd: SlotGroup['commands'][number]): void {
  if (cmd.op === 'hset') tx.hset(cmd.key, cmd.field, cmd.value);
  else tx.sadd(cmd.key, cmd.member);
}

function parseHolder(raw: string): LockHolder {
  try {
    const v = JSON.parse(raw) as LockHolder;
    if (typeof v.runId === 'string') return v;
  } catch {
    // not ours: described as is below
  }
  return { runId: raw };
}

function describeHolder(h: LockHolder): string {
  const parts: string[] = [];
  if (h.pid !== undefined) parts.push(`process ${h.pid}`);
  if (h.host) parts.push(`on ${h.host}`);
  if (h.sinceMs) parts.push(`since ${new Date(h.sinceMs).toISOString()}`);
  return parts.length ? ` (${parts.join(' ')})` : '';
}
