// A process that takes and releases a local checkpoint's live-run lock on command, for the lock
// race test: one JSON command per stdin line ({ cmd: 'acquire', dir, runId } | { cmd: 'release' }),
// one JSON answer per stdout line.
import { createInterface } from 'node:readline';
import { LocalDirBackend } from '../../src/state/local-backend.js';

let held: { backend: LocalDirBackend; runId: string } | null = null;
const reply = (v: unknown): void => { process.stdout.write(`${JSON.stringify(v)}\n`); };

for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { cmd: string; dir?: string; runId?: string };
  if (cmd.cmd === 'acquire') {
    const backend = new LocalDirBackend(cmd.dir!);
    try {
      await backend.acquire(cmd.runId!);
      held = { backend, runId: cmd.runId! };
      reply({ ok: true });
    } catch (e) {
      reply({ ok: false, error: (e as Error).message });
    }
  } else if (cmd.cmd === 'release') {
    if (held) await held.backend.release(held.runId);
    held = null;
    reply({ released: true });
  } else if (cmd.cmd === 'exit') {
    break;
  }
}
