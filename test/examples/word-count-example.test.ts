import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventually } from '../support/helpers.js';

const root = join(__dirname, '..', '..');

describe('examples/word-count.ts (DESIGN.md section 1, as written)', () => {
  it('counts the words of lines sent to localhost:9999 and prints complete-mode tables', async () => {
    const clients: Socket[] = [];
    const server = createServer((s) => clients.push(s));
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(9999, '127.0.0.1', () => resolve(true));
    });
    if (!listening) throw new Error('port 9999 is in use: the example reads localhost:9999 as written, so this test needs it free');
    const cwd = mkdtempSync(join(tmpdir(), 'spate-example-'));
    // Run from an empty directory (the example writes checkpoints/ relative to it); tsx resolves
    // `import ... from 'spate'` through the repository's tsconfig paths.
    const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, join(root, 'examples', 'word-count.ts')], {
      cwd, env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    try {
      await eventually(() => clients.length > 0 || child.exitCode !== null, 'the example to connect', 30000);
      if (clients.length === 0) throw new Error(`the example exited: ${err}`);
      clients[0]!.write('hello spark streaming\n');
      await eventually(() => out.includes('Batch: 0'), 'the first batch', 30000);
      clients[0]!.write('hello spark programming\n');
      await eventually(() => out.includes('Batch: 1') && out.split('Batch: 1')[1]!.includes('+-----------+'), 'the second batch', 30000);
      const second = out.split('Batch: 1')[1]!;
      expect(second).toMatch(/\|\s+hello\|\s+2\|/);
      expect(second).toMatch(/\|\s+spark\|\s+2\|/);
      expect(second).toMatch(/\|\s+streaming\|\s+1\|/);
      expect(second).toMatch(/\|programming\|\s+1\|/);
    } finally {
      child.kill('SIGKILL');
      for (const c of clients) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 300_000);
});
