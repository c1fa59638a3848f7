// The progress bar of an AvailableNow query run from a terminal: work done against the work
// recorded at start, redrawn in place on a TTY, nothing at all when the output is not one.
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trigger } from '../../src/index.js';
import { ProgressBar, renderBar } from '../../src/query/progress-bar.js';
import type { TtyStream } from '../../src/query/progress-bar.js';
import { testSession } from '../support/helpers.js';

/** A terminal that records what is written to it. */
class FakeTty implements TtyStream {
  readonly isTTY = true;
  text = '';
  constructor(readonly columns = 80) {}
  write(s: string): boolean { this.text += s; return true; }
  /** The lines as a terminal shows them: each \r…\x1b[2K redraw replaces the line. */
  get screen(): string[] {
    return this.text.split('\n').map((line) => line.split('\r\x1b[2K').at(-1)!).filter((l, i, all) => l !== '' || i < all.length - 1);
  }
}

describe('renderBar', () => {
  it('shows the share of the work done, the counts and the unit', () => {
    // 60 columns: the line takes 59, the bar what the text leaves.
    expect(renderBar('files', { done: 0, total: 10, unit: 'files' }, 60)).toBe(`files [${'░'.repeat(35)}] 0/10 files   0%`);
    expect(renderBar('files', { done: 5, total: 10, unit: 'files' }, 60)).toBe(`files [${'█'.repeat(18)}${'░'.repeat(17)}] 5/10 files  50%`);
    expect(renderBar('files', { done: 5, total: 10, unit: 'files' }, 60)).toHaveLength(59);
    expect(renderBar('q', { done: 3, total: 3, unit: 'offsets' }, 200)).toBe(`q [${'█'.repeat(40)}] 3/3 offsets 100%`);
    // Nothing to do is all done.
    expect(renderBar('q', { done: 0, total: 0, unit: 'rows' }, 10)).toBe(`q [${'█'.repeat(10)}] 0/0 rows 100%`);
  });
});

describe('ProgressBar', () => {
  it('redraws one line in place when the work changes, and ends it when finished', () => {
    const tty = new FakeTty(60);
    const bar = new ProgressBar(tty, 'files');
    bar.update({ done: 1, total: 4, unit: 'files' });
    bar.update({ done: 1, total: 4, unit: 'files' });
    bar.update({ done: 4, total: 4, unit: 'files' });
    bar.finish({ done: 4, total: 4, unit: 'files' });
    bar.update({ done: 5, total: 4, unit: 'files' });
    expect(tty.text.split('\r').length - 1).toBe(2);
    expect(tty.screen).toEqual([renderBar('files', { done: 4, total: 4, unit: 'files' }, 60)]);
    expect(tty.text.endsWith('\n')).toBe(true);
  });

  it('erases itself when asked, so that other output starts on a clean line', () => {
    const tty = new FakeTty(60);
    const bar = new ProgressBar(tty, 'files');
    bar.update({ done: 1, total: 4, unit: 'files' });
    bar.clear();
    tty.write('Batch: 1\n');
    bar.update({ done: 2, total: 4, unit: 'files' });
    bar.finish();
    expect(tty.screen).toEqual(['Batch: 1', renderBar('files', { done: 2, total: 4, unit: 'files' }, 60)]);
  });

  it('is drawn on the first terminal among stderr and stdout, and not at all without one', () => {
    const pipe: TtyStream = { isTTY: false, write: () => { throw new Error('nothing may be drawn on a pipe'); } };
    expect(ProgressBar.forTerminal('q', [pipe, pipe])).toBeNull();
    const tty = new FakeTty();
    ProgressBar.forTerminal('q', [pipe, tty])!.update({ done: 1, total: 2, unit: 'files' });
    expect(tty.text).toContain('1/2 files');
  });
});

describe('an AvailableNow query', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spate-bar-'));
    await mkdir(join(dir, 'in'));
    for (let i = 0; i < 10; i++) {
      await writeFile(join(dir, 'in', `f${i}.txt`), `line ${i}\n`);
      await utimes(join(dir, 'in', `f${i}.txt`), 1000 + i, 1000 + i);
    }
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  /** Runs the query with process.stderr and process.stdout standing in as `isTTY`; returns what was written to stderr. */
  async function runWithStreams(isTTY: boolean): Promise<string> {
    const streams = [process.stderr, process.stdout] as unknown as Array<{ isTTY?: boolean; columns?: number; write: (s: string) => boolean }>;
    const saved = streams.map((s) => ({ isTTY: s.isTTY, columns: s.columns, write: s.write }));
    let written = '';
    streams.forEach((s, i) => {
      Object.defineProperty(s, 'isTTY', { value: isTTY, configurable: true, writable: true });
      Object.defineProperty(s, 'columns', { value: 60, configurable: true, writable: true });
      if (i === 0) s.write = (text: string) => { written += text; return true; };
    });
    try {
      const q = testSession().readStream.format('text').option('maxFilesPerTrigger', 3).load(join(dir, 'in'))
        .writeStream.format('memory').queryName(`bar_${isTTY}`).trigger(Trigger.AvailableNow())
        .option('checkpointLocation', join(dir, `cp-${isTTY}`)).start();
      await q.awaitTermination();
    } finally {
      streams.forEach((s, i) => {
        Object.defineProperty(s, 'isTTY', { value: saved[i]!.isTTY, configurable: true, writable: true });
        Object.defineProperty(s, 'columns', { value: saved[i]!.columns, configurable: true, writable: true });
        s.write = saved[i]!.write;
      });
    }
    return written;
  }

  it('draws its files done against the files found at start when run from a terminal', async () => {
    const written = await runWithStreams(true);
    const frames = written.split('\r\x1b[2K').filter(Boolean).map((f) => f.replace('\n', ''));
    expect(frames.map((f) => f.match(/\d+\/\d+ files/)?.[0])).toEqual(['3/10 files', '6/10 files', '9/10 files', '10/10 files']);
    expect(frames.at(-1)).toMatch(/^query bar_true \[█+\] 10\/10 files 100%$/);
    expect(written.endsWith('\n')).toBe(true);
  });

  it('draws nothing when the output is not a terminal', async () => {
    expect(await runWithStreams(false)).toBe('');
  });
});
