// The progress bar of a Trigger.AvailableNow query run from a terminal: the work done (files,
// offsets) against the work recorded when the query started. It redraws one line in place on
// a TTY and draws nothing anywhere else (a pipe, a file, a CI log).

/** The part of a stream the bar writes to; process.stderr and process.stdout fit. */
export interface TtyStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface WorkDone {
  readonly done: number;
  readonly total: number;
  /** What is counted: files, offsets. */
  readonly unit: string;
}

/** One line: `label [██████░░░░░░] 6/10 files  60%`, fitted to `width` columns. */
export function renderBar(label: string, work: WorkDone, width: number): string {
  const total = Math.max(0, work.total);
  const done = Math.min(Math.max(0, work.done), total);
  const ratio = total === 0 ? 1 : done / total;
  const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
  const counts = `${done}/${total} ${work.unit}`;
  const fixed = `${label} [] ${counts} ${percent}`.length;
  const barWidth = Math.max(10, Math.min(40, width - fixed - 1));
  const filled = Math.round(ratio * barWidth);
  return `${label} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${counts} ${percent}`;
}

export class ProgressBar {
  private last = '';
  private finished = false;

  constructor(private readonly out: TtyStream, private readonly label: string) {}

  /** A bar on the first of `streams` that is a terminal (stderr first, then stdout), else null. */
  static forTerminal(label: string, streams: readonly TtyStream[] = [process.stderr, process.stdout]): ProgressBar | null {
    const tty = streams.find((s) => s.isTTY === true);
    return tty ? new ProgressBar(tty, label) : null;
  }

  /** Redraws the line when the work changed. */
  update(work: WorkDone): void {
    if (this.finished) return;
    const line = renderBar(this.label, work, this.out.columns ?? 80);
    if (line === this.last) return;
    this.last = line;
    // Carriage return and erase-line, so a shorter line leaves nothing of the longer one behind.
    this.out.write(`\r\x1b[2K${line}`);
  }

  /**
   * Erases the bar, so that what the query prints next (the console sink's batch) starts on a
   * clean line; the next update draws it again below.
   */
  clear(): void {
    if (this.finished || !this.last) return;
    this.last = '';
    this.out.write('\r\x1b[2K');
  }

  /** Draws the final state (if given) and ends the line. */
  finish(work?: WorkDone | null): void {
    if (this.finished) return;
    if (work) this.update(work);
    this.finished = true;
    if (this.last) this.out.write('\n');
  }
}
