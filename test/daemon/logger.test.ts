import { Writable } from 'node:stream';
import { daemonLogger } from '../../src/daemon/logger.js';

describe("the daemon's logger", () => {
  const capture = (): Writable & { lines: string[] } => {
    const lines: string[] = [];
    const w = new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done(); } });
    return Object.assign(w, { lines });
  };

  it('writes JSON lines with the level as a word, an ISO time and the fields, and honours --log-level', () => {
    const out = capture();
    const log = daemonLogger('info', false, out);
    log.debug({ query: 'q' }, 'hidden at info');
    log.info({ query: 'q', batchId: 3 }, 'progress of q');
    expect(out.lines).toHaveLength(1);
    const line = JSON.parse(out.lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', query: 'q', batchId: 3, msg: 'progress of q', pid: process.pid });
    expect(new Date(line['time'] as string).toISOString()).toBe(line['time']);
  });

  it('writes readable lines instead on a terminal', () => {
    const out = capture();
    daemonLogger('debug', true, out).warn({ query: 'q' }, 'query q restarting');
    const text = out.lines.join('');
    expect(text).toMatch(/WARN.*query q restarting/);
    expect(text).toMatch(/query: "q"/);
    expect(() => JSON.parse(text)).toThrow();
  });

  it('masks credentials in every line, also inside an error\'s stack and causes, in both forms', () => {
    const location = 'redis://app:Log-Sekr3t-51@127.0.0.1:6379/0/q';
    for (const pretty of [false, true]) {
      const out = capture();
      const err = new Error(`cannot open ${location}`, { cause: new Error(`connecting to ${location} failed`) });
      daemonLogger('info', pretty, out).error({ query: 'q', err, location }, `query q failed: ${location}`);
      const text = out.lines.join('');
      expect(text).toContain('redis://app:***@127.0.0.1:6379/0/q');
      expect({ pretty, leaked: text.includes('Log-Sekr3t-51') }).toEqual({ pretty, leaked: false });
    }
  });
});
