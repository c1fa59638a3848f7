// Ties a server process started for tests to the life of this process: a `sh` whose stdin is a
// pipe from us kills the server (and deletes its directory) when that pipe closes, which happens
// when this process exits however it exits. Servers never outlive a crashed test run.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

export function watchdog(pid: number, dir = ''): ChildProcess {
  const script = 'cat >/dev/null; kill -9 "$1" 2>/dev/null; if [ -n "$2" ]; then rm -rf "$2"; fi';
  const child = spawn('sh', ['-c', script, 'spate-watchdog', String(pid), dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  (child.stdin as unknown as { unref(): void }).unref();
  return child;
}
