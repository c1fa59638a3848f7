// Every write a cluster worker makes to Redis, as Lua scripts that check a fencing token first,
// so that a worker frozen past its lease or its key groups' hand-over (SIGSTOP, a long GC, a
// partition) cannot write when it wakes: the script refuses, and counts the refusal.
// Each script touches the keys of one hash tag only (the query's, or one key group's), so it
// runs on Redis Cluster as on one server. Values are binary-safe strings (v8.serialize).
import type { RedisClient } from './redis-client.js';

/** Key names. `{q}` keys (lease, logs) share one slot; each key group's keys share another. */
export class ClusterKeys {
  constructor(readonly prefix: string) {}
  private get q(): string { return `{${this.prefix}}`; }
  get lease(): string { return `${this.q}:lease`; }
  get leaseSeq(): string { return `${this.q}:lease-seq`; }
  /** epoch -> JSON of the planned ranges (Spark's offset log). */
  get offsets(): string { return `${this.q}:offsets`; }
  /** The newest planned epoch. */
  get planned(): string { return `${this.q}:planned`; }
  /** epoch -> JSON (Spark's commit log). */
  get commits(): string { return `${this.q}:commits`; }
  get committed(): string { return `${this.q}:committed`; }
  /** Refused coordinator writes. */
  get refusedCoordinator(): string { return `${this.q}:refused`; }
  /** source partition (coordinator.ts' unitKey) -> JSON of what its stage-one task wrote to the repartition topic, for `epoch`. */
  stageOne(epoch: number): string { return `${this.q}:s1:${epoch}`; }
  /** Refused stage-one records (a late duplicate). */
  get refusedStageOne(): string { return `${this.q}:s1-refused`; }
  private g(group: number): string { return `{${this.prefix}:kg${group}}`; }
  owner(group: number): string { return `${this.g(group)}:owner`; }
  ownerSeq(group: number): string { return `${this.g(group)}:owner-seq`; }
  groupEpoch(group: number): string { return `${this.g(group)}:epoch`; }
  state(group: number): string { return `${this.g(group)}:state`; }
  output(group: number, epoch: number): string { return `${this.g(group)}:out:${epoch}`; }
  /** The owner token whose task of the key group is running now (expires: a frozen owner's lapses). */
  running(group: number): string { return `${this.g(group)}:running`; }
  /** Refused state commits of the key group (a late commit after a move). */
  refused(group: number): string { return `${this.g(group)}:refused`; }
  /** Refused sink records of the key group (a late sink record after a move: task-sink.ts). */
  refusedSink(group: number): string { return `${this.g(group)}:refused-sink`; }
  /** The last epoch whose output the key group's task wrote to the sink (task-sink.ts). */
  sunk(group: number): string { return `${this.g(group)}:sunk`; }
  /** JSON of what the key group's task wrote to the sink for `epoch`: rows, and the sink's detail (files). */
  sinkRecord(group: number, epoch: number): string { return `${this.g(group)}:sink:${epoch}`; }
}

/** Takes the lease if free (a new token) or renews it if held with `holder`; returns the lease value or null. */
const LEASE = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[3]); return cur end
if cur then return false end
local token = redis.call('INCR', KEYS[2])
local v = ARGV[2] .. ':' .. token
redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
return v`;

/** A coordinator write (HSET log field, SET pointer) only while the lease is still `ARGV[1]`. */
const COORDINATOR_WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('INCR', KEYS[4]); return 0 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SET', KEYS[3], ARGV[2])
return 1`;

/**
 * A new owner token for a key group: every older holder's commits are refused from now on.
 * Not while the group's task runs under the current owner's token (BEGIN's mark: an eager
 * rebalance moved the group in the middle of its epoch): the new owner waits for that task to
 * finish (its commit, and its sink record when the tasks write the sink: task-sink.ts) rather
 * than refuse it and run or write the epoch again. A frozen owner's mark lapses after its TTL
 * (the session timeout), and the fence refuses its late writes then as before.
 */
const CLAIM = `
if redis.call('EXISTS', KEYS[3]) == 1 then return false end
local token = ARGV[1] .. ':' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token)
return token`;

/** Marks the key group's task running under `token`, if the token is still the owner's (else 0: lost). */
const BEGIN = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1`;

/**
 * A key group's commit of epoch e: its state changes and its output, only under the owner
 * token, only once (an epoch already committed is skipped), only right after e-1. It ends the
 * task (clears BEGIN's mark) only when ARGV[4] is '1': no sink record follows (the coordinator
 * gathers the output); otherwise the sink record does (task-sink.ts).
 * ARGV: token, epoch, output, ends the task ('1'/'0'), number of puts, then put pairs, then deleted fields.
 */
const COMMIT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then redis.call('INCR', KEYS[5]); return -1 end
if ARGV[4] == '1' then redis.call('DEL', KEYS[6]) end
local e = tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[2]) or '-1')
if cur >= e then return 0 end
if cur ~= e - 1 then return -2 end
local puts = tonumber(ARGV[5])
local i = 6
for _ = 1, puts do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]); i = i + 2 end
while i <= #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]); i = i + 1 end
redis.call('SET', KEYS[4], ARGV[3])
redis.call('SET', KEYS[2], e)
return 1`;

export type CommitOutcome = 'committed' | 'already' | 'refused' | 'out-of-order';

export class Fencing {
  constructor(private readonly redis: RedisClient, readonly keys: ClusterKeys) {}

  /** The lease value this worker holds after the call, or null when another holds it. */
  async lease(worker: string, held: string | null, ttlMs: number): Promise<string | null> {
    const v = await this.redis.eval(LEASE, 2, this.keys.lease, this.keys.leaseSeq, held ?? '', worker, ttlMs);
    return typeof v === 'string' ? v : null;
  }

  /** Writes `epoch`'s entry into the offset or commit log; false: the lease is gone (refused). */
  async coordinatorWrite(lease: string, log: 'offsets' | 'commits', epoch: number, json: string): Promise<boolean> {
    const [hash, pointer] = log === 'offsets' ? [this.keys.offsets, this.keys.planned] : [this.keys.commits, this.keys.committed];
    const r = await this.redis.eval(COORDINATOR_WRITE, 4, this.keys.lease, hash, pointer, this.keys.refusedCoordinator, lease, epoch, json);
    return r === 1;
  }

  /** A new owner token, or null while the current owner's task of the group runs (try again later). */
  async claim(worker: string, group: number): Promise<string | null> {
    const token = await this.redis.eval(CLAIM, 3, this.keys.owner(group), this.keys.ownerSeq(group), this.keys.running(group), worker);
    return typeof token === 'string' ? token : null;
  }

  /** Marks a task of the key group running for at most `ttlMs`; false: the token is no longer the owner's. */
  async begin(group: number, token: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(BEGIN, 2, this.keys.owner(group), this.keys.running(group), token, ttlMs)) === 1;
  }

  /** Records a stage-one task's output once; false: another run of it was recorded first. */
  async recordStageOne(epoch: number, unit: number | string, json: string): Promise<boolean> {
    const set = await this.redis.hsetnx(this.keys.stageOne(epoch), String(unit), json);
    if (set === 0) await this.redis.incr(this.keys.refusedStageOne);
    return set === 1;
  }

  /**
   * Commits key group `group`'s epoch. `endsTask`: no sink record follows (the coordinator
   * gathers the output), so the commit clears the task's running mark; otherwise the sink record does.
   */
  async commit(group: number, token: string, epoch: number, output: Buffer, puts: readonly (readonly [string, Buffer])[], deletes: readonly string[],
    endsTask = true): Promise<CommitOutcome> {
    const k = this.keys;
    const r = await this.redis.eval(COMMIT, 6, k.owner(group), k.groupEpoch(group), k.state(group), k.output(group, epoch), k.refused(group), k.running(group),
      token, epoch, output, endsTask ? '1' : '0', puts.length, ...puts.flat(), ...deletes);
    return r === 1 ? 'committed' : r === 0 ? 'already' : r === -1 ? 'refused' : 'out-of-order';
  }
}
