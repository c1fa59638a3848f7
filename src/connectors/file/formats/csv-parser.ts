// An incremental CSV tokenizer: text goes in piece by piece, records come out as arrays of
// fields, each with its raw text and line number. Quoted fields may hold separators, quotes
// (doubled, or after the escape character) and line breaks. An unquoted empty field is null.

export interface CsvSyntax {
  readonly sep: string;
  readonly quote: string;
  readonly escape: string;
  /** Lines starting with this are skipped ('' = none). */
  readonly comment: string;
}

export interface CsvRecord {
  /** Field values; null for an unquoted empty field. */
  readonly fields: (string | null)[];
  /** Whether each field was quoted (a quoted empty field is an empty string, not null). */
  readonly raw: string;
  readonly line: number;
}

export class CsvTokenizer {
  private field = '';
  private fields: (string | null)[] = [];
  private quoted = false;
  private inQuotes = false;
  private afterQuote = false;
  private escaped = false;
  private raw = '';
  private line = 1;
  private recordLine = 1;
  private atRecordStart = true;
  private skipping = false;

  constructor(private readonly syntax: CsvSyntax) {}

  /** Feeds text; returns the records it completed. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const { sep, quote, escape, comment } = this.syntax;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (this.skipping) {
        if (ch === '\n') { this.skipping = false; this.line++; this.recordLine = this.line; }
        continue;
      }
      if (this.atRecordStart && comment !== '' && ch === comment) { this.skipping = true; continue; }
      this.atRecordStart = false;
      if (this.inQuotes) {
        this.raw += ch;
        if (this.escaped) { this.field += ch; this.escaped = false; continue; }
        if (ch === escape && escape !== quote) { this.escaped = true; continue; }
        if (ch === quote) {
          if (text[i + 1] === quote) { this.field += quote; this.raw += quote; i++; continue; }
          this.inQuotes = false;
          this.afterQuote = true;
          continue;
        }
        if (ch === '\n') this.line++;
        this.field += ch;
        continue;
      }
      if (ch === sep) { this.raw += ch; this.endField(); continue; }
      if (ch === '\n' || ch === '\r') {
        if (ch === '\r' && text[i + 1] === '\n') i++;
        const rec = this.endRecord();
        if (rec) out.push(rec);
        this.line++;
        this.recordLine = this.line;
        continue;
      }
      this.raw += ch;
      if (ch === quote && this.field === '' && !this.quoted) { this.inQuotes = true; this.quoted = true; continue; }
      if (!this.afterQuote) this.field += ch;
    }
    return out;
  }

  /** Ends the input: the last record if it had no line break. */
  end(): CsvRecord[] {
    const rec = this.endRecord();
    return rec ? [rec] : [];
  }

  private endField(): void {
    this.fields.push(this.field === '' && !this.quoted ? null : this.field);
    this.field = '';
    this.quoted = false;
    this.afterQuote = false;
  }

  private endRecord(): CsvRecord | null {
    if (this.fields.length === 0 && this.field === '' && !this.quoted) {
      this.atRecordStart = true;
      this.raw = '';
      return null; // a blank line is no record
    }
    this.endField();
    const rec = { fields: this.fields, raw: this.raw, line: this.recordLine };
    this.fields = [];
    this.raw = '';
    this.atRecordStart = true;
    return rec;
  }
}
