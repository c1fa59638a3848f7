// Credentials never appear in anything a run prints: errors (with their causes), warnings,
// progress, status, explain(), or the inspection of its checkpoint.
import { spawnSync } from 'node:child_process';
import { inspect } from 'node:util';
import { scrubError } from '../src/secrets.js';
import { RedisServer } from './support/redis-server.js';

const SECRETS = {
  redis: 'Rd1s@Sekr3t@x9',
  wrong: 'Wr0ng@Sekr3t-42',
  slash: 'Sl4sh/Sekr3t/q7',
  jaas: 'Kfk-Sekr3t-Jaas-77',
  plain: 'Kfk-Sekr3t-Plain-88',
};

describe('credentials', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--user', 'app', 'on', `>${SECRETS.redis}`, '~*', '&*', '+@all'] });
  });
  afterAll(async () => { await server.stop(); });

  it('appear in no output of a run, its failures or the inspection of its checkpoint', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/secrets-child.ts', JSON.stringify({ redisPort: server.port, secrets: SECRETS })], {
      cwd: process.cwd(), encoding: 'utf8', timeout: 120_000,
    });
    const location = `redis://app:${SECRETS.redis}@127.0.0.1:${server.port}/0/secret-q`;
    const inspect = ['', '--json'].map((flag) => spawnSync(process.execPath, ['bin/spate.mjs', 'checkpoint', 'inspect', location, ...(flag ? [flag] : [])], {
      cwd: process.cwd(), encoding: 'utf8', timeout: 60_000,
    }));
    const output = [run.stdout, run.stderr, ...inspect.flatMap((r) => [r.stdout, r.stderr])].join('\n');
    // The run did print what it had to: progress, explain(), each failure, the inspection.
    expect(run.status).toBe(0);
    expect(output).toContain('"numInputRows":3');
    expect(output).toContain(`Checkpoint redis://app:***@127.0.0.1:${server.port}/0/secret-q`);
    expect(output).toContain(`redis://app:***@127.0.0.1:${server.port}/0/secret-q`);
    expect(output).toMatch(/WRONGPASS|invalid username-password/);
    expect(output).toContain('"kafka.sasl.password": "***"');
    expect(output).toContain('"kafka.sasl.jaas.config": "***"');
    for (const secret of Object.values(SECRETS)) {
      for (const form of [secret, encodeURIComponent(secret), ...secret.split(/[@/]/).filter((part) => part.length >= 6)]) {
        expect({ form, found: output.includes(form) }).toEqual({ form, found: false });
      }
    }
  });

  it('are masked in the stacks of an error and its causes, which printing an error shows', () => {
    const location = 'redis://app:Stack-Sekr3t-73@127.0.0.1:6379/0/q';
    const cause = new Error(`connecting to ${location} failed`);
    const error = new Error(`cannot open ${location}`, { cause });
    // V8 formats a stack when it is first read: read now, each holds the message as it was.
    expect([error.stack, cause.stack].every((stack) => stack!.includes('Stack-Sekr3t-73'))).toBe(true);
    const printed = inspect(scrubError(error));
    expect(printed).toContain('redis://app:***@127.0.0.1:6379/0/q');
    expect(printed).not.toContain('Stack-Sekr3t-73');
  });
});
