// Every Redis write to a cluster query's key-group keys while a test watches, from MONITOR on the
// test's redis-server (scoped to the query's prefix). MONITOR prints a script's EVAL and then,
// marked `lua`, each command the script ran, so each state write is attributed to the script
// that made it: a key group's commit of epoch e is the script that ends with SET ...:epoch e.
// A state write outside such a script (a restore or hand-over that rewrote state) is "stray".
import type { Socket } from 'node:net';
import { connect } from 'node:net';

const WRITES = new Set(['set', 'hset', 'hdel', 'del', 'unlink', 'hsetnx', 'incr', 'expire', 'pexpire', 'restore', 'rename']);

export interface WriteCount {
  /** `group@epoch` -> how many scripts committed it (must be 1). */
  readonly commits: Map<string, number>;
  /** State writes (HSET/HDEL of a key group's state hash) inside committing scripts. */
  readonly stateWrites: number;
  /** State writes anywhere else: none may exist. */
  readonly strayStateWrites: string[];
  /** Key groups whose state commit the fence refused (INCR of its refused counter, not refused-sink), in order. */
  readonly refusals: number[];
}

export class RedisWriteLog {
  private readonly entries: { lua: boolean; args: string[] }[] = [];

  private constructor(private readonly socket: Socket, private readonly prefix: string) {}

  /**
   * MONITOR on a plain socket (ioredis's monitor() mixes monitor lines with its own commands'
   * replies under load: "Command queue state error"). Each line is `+<time> [<db> <source>] "cmd" "arg" ...`.
   */
  static async start(url: string, prefix: string): Promise<RedisWriteLog> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    const log = new RedisWriteLog(socket, prefix);
    let rest = '';
    let started = false;
    const on = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        const lines = (rest + d.toString('latin1')).split('\r\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (line === '+OK' && !started) { started = true; resolve(); continue; }
          const m = /^\+[\d.]+ \[\d+ ([^\]]+)\] (.*)$/.exec(line);
          if (!m || !m[2]!.includes(prefix)) continue;
          const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!);
          log.entries.push({ lua: m[1] === 'lua', args });
        }
      });
    });
    socket.write('MONITOR\r\n');
    await on;
    return log;
  }

  /** How many entries are in so far (a mark to count from). */
  get length(): number {
    return this.entries.length;
  }

  stop(): void {
    this.socket.destroy();
  }

  /** The writes since entry `from`. */
  count(from = 0): WriteCount {
    const group = new RegExp(`^\\{${this.prefix.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}:kg(\\d+)\\}:([\\w-]+)`);
    const commits = new Map<string, number>();
    const strayStateWrites: string[] = [];
    const refusals: number[] = [];
    let stateWrites = 0;
    // The lua commands of one script, until the next client command.
    let script: { args: string[] }[] = [];
    const close = (): void => {
      const states = script.filter((c) => WRITES.has(c.args[0]!.toLowerCase()) && group.exec(c.args[1] ?? '')?.[2] === 'state');
      const epochSet = script.find((c) => c.args[0]!.toLowerCase() === 'set' && group.exec(c.args[1] ?? '')?.[2] === 'epoch');
      for (const c of script) {
        const m = group.exec(c.args[1] ?? '');
        if (m?.[2] === 'refused' && c.args[0]!.toLowerCase() === 'incr') refusals.push(Number(m[1]));
      }
      if (epochSet) {
        const id = `${group.exec(epochSet.args[1]!)![1]}@${epochSet.args[2]}`;
        commits.set(id, (commits.get(id) ?? 0) + 1);
        stateWrites += states.length;
      } else {
        strayStateWrites.push(...states.map((c) => c.args.slice(0, 3).join(' ')));
      }
      script = [];
    };
    for (const e of this.entries.slice(from)) {
      if (e.lua) {
        script.push(e);
        continue;
      }
      close();
      const m = group.exec(e.args[1] ?? '');
      if (m?.[2] === 'state' && WRITES.has(e.args[0]!.toLowerCase())) strayStateWrites.push(e.args.slice(0, 3).join(' '));
    }
    close();
    return { commits, stateWrites, strayStateWrites, refusals };
  }
}
