// Cuts text that arrives in pieces (a file read in chunks, a socket) into lines, in time linear
// in the text: each piece is split once, natively, and a line that spans pieces is kept as a
// list of its parts, joined once when it ends (re-splitting the growing partial line on every
// piece was quadratic). A line longer than `maxLineBytes` is not kept: its bytes are skipped to
// the separator and it comes out as a malformed line, so memory stays bounded. A line any of
// whose pieces held invalid UTF-8 comes out marked so.

/** A line: its text, or a malformed line (a plain string is the common case, allocated once). */
export type Line = string | MalformedLine;

/** A line that is too long (its text is then at most the first 1,000 characters) or not valid UTF-8. */
export interface MalformedLine {
  readonly text: string;
  readonly problem: LineProblem;
}

export type LineProblem = 'invalidUtf8' | 'tooLong';

export interface LineSplitterOptions {
  /** The separator; by default `\n`, with a `\r` before it dropped (Spark's default). */
  readonly separator?: string;
  readonly maxLineBytes: number;
}

/** What a malformed line keeps of its text, for a corrupt-record column or a message. */
const PREFIX_CHARS = 1000;

export class LineSplitter {
  private readonly separator: string;
  private readonly crlf: boolean;
  private readonly maxLineBytes: number;
  private parts: string[] = [];
  /** Characters in `parts`. */
  private partChars = 0;
  /** Bytes in `parts`, counted once they may approach the limit (null before: see `grow`). */
  private partBytes: number | null = null;
  private invalid = false;
  /** The line being skipped because it is too long: what is kept of it. */
  private skipping: string | null = null;
  /** While skipping: the end of the last piece, where a separator of several characters may begin. */
  private skippedTail = '';
  /** Characters examined so far: linear in the input (the tests check it). */
  scanned = 0;

  constructor(options: LineSplitterOptions) {
    this.separator = options.separator ?? '\n';
    this.crlf = options.separator === undefined;
    this.maxLineBytes = options.maxLineBytes;
  }

  /** Feeds a piece of text (`invalid`: it was decoded from bytes that are not valid UTF-8). */
  push(text: string, invalid = false): Line[] {
    const out: Line[] = [];
    const sep = this.separator;
    // A separator of several characters may straddle two pieces: the end of the partial line
    // goes in front of the new piece.
    let carried = 0;
    if (sep.length > 1) {
      const tail = this.skipping !== null ? this.skippedTail : this.partChars > 0 ? this.takeTail(sep.length - 1) : '';
      carried = tail.length;
      text = tail + text;
    }
    this.scanned += text.length;
    const pieces = text.split(sep);
    // A separator that began in a skipped line's carried end: those characters are no part of the line.
    if (this.skipping !== null && pieces.length > 1 && pieces[0]!.length < carried) {
      const sepStart = carried - pieces[0]!.length;
      if (this.skipping.endsWith(this.skippedTail.slice(-sepStart))) this.skipping = this.skipping.slice(0, -sepStart);
    }
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1) {
        this.grow(piece, invalid);
        break;
      }
      if (i === 0) {
        this.grow(piece, invalid);
        out.push(this.finishLine());
      } else if (this.lineTooLong(piece)) {
        out.push({ text: piece.slice(0, PREFIX_CHARS), problem: 'tooLong' });
      } else {
        out.push(this.line(piece, invalid));
      }
    }
    return out;
  }

  /** The last line, when the text did not end with a separator. */
  end(): Line[] {
    if (this.partChars === 0 && this.skipping === null && !this.invalid) return [];
    return [this.finishLine()];
  }

  private line(text: string, invalid: boolean): Line {
    const t = this.crlf && text.endsWith('\r') ? text.slice(0, -1) : text;
    return invalid ? { text: t, problem: 'invalidUtf8' } : t;
  }

  private finishLine(): Line {
    let line: Line;
    if (this.skipping !== null) line = { text: this.skipping, problem: 'tooLong' };
    else line = this.line(this.parts.length === 1 ? this.parts[0]! : this.parts.join(''), this.invalid);
    this.parts = [];
    this.partChars = 0;
    this.partBytes = null;
    this.invalid = false;
    this.skipping = null;
    this.skippedTail = '';
    return line;
  }

  /** Adds to the partial line, or starts skipping it once it is too long. */
  private grow(piece: string, invalid: boolean): void {
    if (this.skipping !== null) {
      this.skippedTail = this.tailOf(piece);
      return;
    }
    if (piece === '') return;
    this.invalid ||= invalid;
    this.parts.push(piece);
    this.partChars += piece.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: bytes are counted only once that could pass the limit.
    if (this.partChars * 3 <= this.maxLineBytes) return;
    this.partBytes = this.partBytes === null ? this.parts.reduce((n, p) => n + Buffer.byteLength(p), 0) : this.partBytes + Buffer.byteLength(piece);
    if (this.partBytes > this.maxLineBytes) {
      this.skipping = this.parts.join('').slice(0, PREFIX_CHARS);
      this.skippedTail = this.tailOf(piece);
      this.parts = [];
      this.partChars = 0;
    }
  }

  private lineTooLong(text: string): boolean {
    return text.length * 3 > this.maxLineBytes && Buffer.byteLength(text) > this.maxLineBytes;
  }

  /** Where a separator of several characters may begin at the end of `piece`. */
  private tailOf(piece: string): string {
    return this.separator.length > 1 ? piece.slice(-(this.separator.length - 1)) : '';
  }

  /** Removes and returns the last `n` characters of the partial line. */
  private takeTail(n: number): string {
    let tail = '';
    while (tail.length < n && this.parts.length > 0) {
      const last = this.parts.pop()!;
      const need = n - tail.length;
      if (last.length <= need) tail = last + tail;
      else {
        tail = last.slice(-need) + tail;
        this.parts.push(last.slice(0, -need));
      }
    }
    this.partChars -= tail.length;
    return tail;
  }
}
