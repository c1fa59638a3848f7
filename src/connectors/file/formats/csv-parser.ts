// An incremental CSV tokenizer: text goes in piece by piece, records come out as arrays of
// fields, each with its raw text and line number. Quoted fields may hold separators, quotes
// (doubled, or after the escape character) and, with multiLine, line breaks. An unquoted empty
// field is null. Fields and raw text are sliced from the input, never built a character at a
// time, so a record costs time and memory linear in its length; a record longer than
// maxRecordBytes is not kept (its characters are scanned to its end and it comes out
// malformed). Hand-written rather than a library because Spark's parse modes need to know why
// a record is malformed, and where it ends, which CSV libraries do not say.

export interface CsvSyntax {
  readonly sep: string;
  readonly quote: string;
  readonly escape: string;
  /** Lines starting with this are skipped ('' = none). */
  readonly comment: string;
  /** Whether a quoted field may span lines (Spark's multiLine; otherwise a record is one line). */
  readonly multiLine: boolean;
  readonly maxRecordBytes: number;
}

export interface CsvRecord {
  /** Field values; null for an unquoted empty field. */
  readonly fields: (string | null)[];
  /** The record's text as read (its first 1,000 characters when it is too long). */
  readonly raw: string;
  readonly line: number;
  /** Why the record is malformed, or null. */
  readonly problem: string | null;
}

const PREFIX_CHARS = 1000;
const LF = 10;
const CR = 13;

export class CsvTokenizer {
  private readonly sep: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly comment: number;
  /** The current field's text before `segStart` (in earlier pieces, or before an escape). */
  private fieldParts: string[] = [];
  private fields: (string | null)[] = [];
  private quoted = false;
  private inQuotes = false;
  private afterQuote = false;
  /** The previous piece ended on the escape character, or on a quote inside quotes. */
  private escapePending = false;
  private quotePending = false;
  /** The previous piece ended on `\r`: a `\n` starting this one belongs to the same line break. */
  private crPending = false;
  private rawParts: string[] = [];
  private rawChars = 0;
  private problem: string | null = null;
  /** The record passed maxRecordBytes: its text is dropped, kept only as `prefix`. */
  private overflow: string | null = null;
  private line = 1;
  private recordLine = 1;
  private atRecordStart = true;
  private skippingComment = false;
  private invalidUtf8 = false;
  /** Characters examined so far: linear in the input (the tests check it). */
  scanned = 0;

  constructor(private readonly syntax: CsvSyntax) {
    this.sep = syntax.sep.charCodeAt(0);
    this.quote = syntax.quote.charCodeAt(0);
    this.escape = syntax.escape.charCodeAt(0);
    this.comment = syntax.comment === '' ? -1 : syntax.comment.charCodeAt(0);
  }

  /** Feeds text (`invalid`: decoded from bytes that are not valid UTF-8); returns the records it completed. */
  push(text: string, invalid = false): CsvRecord[] {
    const out: CsvRecord[] = [];
    const { sep, quote, escape } = this;
    const n = text.length;
    this.scanned += n;
    if (invalid) this.invalidUtf8 = true;
    let i = 0;
    /** Where the current field's text in this piece starts. */
    let seg = 0;
    /** Where the current record's text in this piece starts. */
    let rawStart = 0;
    if (this.crPending) {
      this.crPending = false;
      if (n > 0 && text.charCodeAt(0) === LF) { i = 1; seg = 1; rawStart = 1; }
    }
    if (this.escapePending && i < n) {
      this.escapePending = false;
      this.keep(text.slice(i, i + 1));
      i++;
      seg = i;
    } else if (this.quotePending && i < n) {
      this.quotePending = false;
      if (text.charCodeAt(i) === quote) {
        this.keep(text.slice(i, i + 1)); // "" inside quotes: one quote
        i++;
        seg = i;
      } else {
        this.closeQuote();
        seg = i;
      }
    }
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (this.skippingComment) {
        if (c === LF || c === CR) {
          this.skippingComment = false;
          this.newLine();
          seg = rawStart = this.nextStart(text, i);
          if (seg > i + 1) i++;
        }
        continue;
      }
      if (this.atRecordStart) {
        if (c === this.comment) { this.skippingComment = true; continue; }
        this.atRecordStart = false;
        rawStart = i;
        seg = i;
      }
      if (this.inQuotes) {
        if (c === escape && escape !== quote) {
          this.keep(text.slice(seg, i));
          if (i + 1 < n) { this.keep(text.slice(i + 1, i + 2)); i++; seg = i + 1; } else { this.escapePending = true; seg = n; }
          continue;
        }
        if (c === quote) {
          this.keep(text.slice(seg, i));
          if (i + 1 >= n) { this.quotePending = true; seg = n; continue; }
          if (text.charCodeAt(i + 1) === quote) { this.keep(text.slice(i + 1, i + 2)); i++; seg = i + 1; continue; }
          this.closeQuote();
          seg = i + 1;
          continue;
        }
        if (c === LF || c === CR) {
          if (this.syntax.multiLine) {
            if (c === LF || text.charCodeAt(i + 1) !== LF) this.line++;
            continue;
          }
          // Without multiLine a record ends with its line, open quote or not.
          this.problem ??= 'a quoted field is not closed before the end of the line (set multiLine to read quoted line breaks)';
          this.keep(text.slice(seg, i));
          seg = i;
          this.inQuotes = false;
        } else {
          continue;
        }
      }
      if (c === sep) {
        this.endField(text, seg, i);
        seg = i + 1;
        continue;
      }
      if (c === LF || c === CR) {
        const rec = this.endRecord(text, seg, rawStart, i);
        if (rec) out.push(rec);
        this.newLine();
        seg = rawStart = this.nextStart(text, i);
        if (seg > i + 1) i++;
        continue;
      }
      if (this.afterQuote) {
        this.problem ??= 'text follows the closing quote of a field';
        seg = i + 1;
        continue;
      }
      if (c === quote && seg === i && this.fieldParts.length === 0 && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
        seg = i + 1;
      }
    }
    // The rest of this piece belongs to the record and field still open.
    if (!this.atRecordStart && !this.skippingComment) {
      if (!this.escapePending && !this.quotePending && !this.afterQuote) this.keep(text.slice(seg, n));
      this.addRaw(text.slice(rawStart, n));
    }
    if (n > 0 && text.charCodeAt(n - 1) === CR && !this.inQuotes) this.crPending = true;
    return out;
  }

  /** Ends the input: the last record if it had no line break. */
  end(): CsvRecord[] {
    if (this.quotePending) { this.quotePending = false; this.closeQuote(); }
    if (this.inQuotes) this.problem ??= 'a quoted field is not closed before the end of the file';
    if (this.atRecordStart) return [];
    const rec = this.endRecord('', 0, 0, 0);
    return rec ? [rec] : [];
  }

  private closeQuote(): void {
    this.inQuotes = false;
    this.afterQuote = true;
  }

  /** Appends to the current field (dropped once the record is too long). */
  private keep(part: string): void {
    if (part !== '' && this.overflow === null) this.fieldParts.push(part);
  }

  private addRaw(part: string): void {
    if (this.overflow !== null || part === '') return;
    this.rawParts.push(part);
    this.rawChars += part.length;
    const max = this.syntax.maxRecordBytes;
    if (this.rawChars * 3 > max && this.rawParts.reduce((b, p) => b + Buffer.byteLength(p), 0) > max) {
      this.overflow = this.rawParts.join('').slice(0, PREFIX_CHARS);
      this.rawParts = [];
      this.fieldParts = [];
      this.fields = [];
    }
  }

  private endField(text: string, seg: number, end: number): void {
    if (!this.afterQuote && !this.escapePending) this.keep(text.slice(seg, end));
    const value = this.fieldParts.length === 0 ? '' : this.fieldParts.length === 1 ? this.fieldParts[0]! : this.fieldParts.join('');
    if (this.overflow === null) this.fields.push(value === '' && !this.quoted ? null : value);
    this.fieldParts = [];
    this.quoted = false;
    this.afterQuote = false;
  }

  private endRecord(text: string, seg: number, rawStart: number, end: number): CsvRecord | null {
    this.addRaw(text.slice(rawStart, end));
    if (this.overflow === null && this.fields.length === 0 && this.fieldParts.length === 0 && !this.quoted && this.rawChars === 0) {
      this.reset();
      return null; // a blank line is no record
    }
    this.endField(text, seg, end);
    const tooLong = this.overflow !== null;
    const rec: CsvRecord = {
      fields: this.fields,
      raw: tooLong ? this.overflow! : this.rawParts.length === 1 ? this.rawParts[0]! : this.rawParts.join(''),
      line: this.recordLine,
      problem: tooLong ? `it is longer than maxRecordBytes (${this.syntax.maxRecordBytes} bytes)`
        : this.problem ?? (this.invalidUtf8 ? 'it is not valid UTF-8' : null),
    };
    this.reset();
    return rec;
  }

  private reset(): void {
    this.fields = [];
    this.fieldParts = [];
    this.rawParts = [];
    this.rawChars = 0;
    this.problem = null;
    this.overflow = null;
    this.quoted = false;
    this.afterQuote = false;
    this.invalidUtf8 = false;
    this.atRecordStart = true;
  }

  /** A line break outside a record's quoted field: the next record starts on the next line. */
  private newLine(): void {
    this.line++;
    this.recordLine = this.line;
  }

  /** Where the text after the line break at `i` starts (after `\r\n` as one). */
  private nextStart(text: string, i: number): number {
    return text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
  }
}
