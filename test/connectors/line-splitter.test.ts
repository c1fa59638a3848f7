import { LineSplitter } from '../../src/connectors/line-splitter.js';
import { CsvTokenizer } from '../../src/connectors/file/formats/csv-parser.js';

/** Feeds `text` in pieces of `size` characters. */
function feed<T>(text: string, size: number, push: (piece: string) => T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...push(text.slice(i, i + size)));
  return out;
}

describe('cutting long input in linear time', () => {
  it('examines each character of a 4 MB line fed in 1 KB pieces once, not once per piece', () => {
    const big = 'x'.repeat(4 << 20);
    const splitter = new LineSplitter({ maxLineBytes: 64 << 20 });
    const lines = [...feed(`${big}\nend\n`, 1024, (p) => splitter.push(p)), ...splitter.end()];
    expect(lines.map((l) => (typeof l === 'string' ? l.length : l))).toEqual([big.length, 3]);
    // Re-splitting the partial line on every piece examined about n²/2048 = 8.6 billion characters.
    expect(splitter.scanned).toBe(big.length + 5);
  });

  it('keeps nothing of a line beyond maxLineBytes and marks it too long, then goes on', () => {
    const splitter = new LineSplitter({ maxLineBytes: 1000 });
    const lines = feed(`ok\n${'y'.repeat(100_000)}\r\nnext\r\n`, 333, (p) => splitter.push(p));
    expect(lines).toEqual(['ok', { text: 'y'.repeat(1000), problem: 'tooLong' }, 'next']);
    expect((splitter as unknown as { parts: string[] }).parts).toEqual([]);
  });

  it('counts bytes, not characters, against maxLineBytes', () => {
    const splitter = new LineSplitter({ maxLineBytes: 10 });
    expect(splitter.push('ééééé\néééééé\n')).toEqual(['ééééé', { text: 'éééééé', problem: 'tooLong' }]);
  });

  it('finds a separator of several characters across pieces, also in a line it skips', () => {
    const splitter = new LineSplitter({ separator: '||', maxLineBytes: 8 });
    const lines = [...feed('ab||cd|', 7, (p) => splitter.push(p)), ...splitter.push('|0123456789|'), ...splitter.push('|z'), ...splitter.end()];
    expect(lines).toEqual(['ab', 'cd', { text: '0123456789', problem: 'tooLong' }, 'z']);
  });

  it('marks a line with a piece of invalid UTF-8', () => {
    const splitter = new LineSplitter({ maxLineBytes: 100 });
    expect([...splitter.push('a\nb'), ...splitter.push('\uFFFDc\n', true), ...splitter.push('d\n')])
      .toEqual(['a', { text: 'b\uFFFDc', problem: 'invalidUtf8' }, 'd']);
  });

  it('tokenizes a 4 MB quoted CSV field fed in 1 KB pieces in one pass, slicing instead of adding characters', () => {
    const big = 'x'.repeat(4 << 20);
    const tokenizer = new CsvTokenizer({ sep: ',', quote: '"', escape: '\\', comment: '', multiLine: false, maxRecordBytes: 64 << 20 });
    const text = `a,"${big}"\nb,"c ""d"" \\"e"\n`;
    const records = [...feed(text, 1024, (p) => tokenizer.push(p)), ...tokenizer.end()];
    expect(records.map((r) => [r.fields.map((f) => (f!.length > 20 ? f!.length : f)), r.problem])).toEqual([
      [['a', big.length], null],
      [['b', 'c "d" "e'], null],
    ]);
    expect(tokenizer.scanned).toBe(text.length);
    const parts = tokenizer as unknown as { fieldParts: string[]; rawParts: string[] };
    expect([parts.fieldParts, parts.rawParts]).toEqual([[], []]);
  });

  it('scans a CSV record beyond maxRecordBytes to its end without keeping it', () => {
    const tokenizer = new CsvTokenizer({ sep: ',', quote: '"', escape: '\\', comment: '', multiLine: true, maxRecordBytes: 100 });
    const records = [...feed(`a,"${'z\n'.repeat(5000)}",b\nc,d\n`, 97, (p) => tokenizer.push(p)), ...tokenizer.end()];
    expect(records.map((r) => [r.fields, r.problem, r.line])).toEqual([
      [[], 'it is longer than maxRecordBytes (100 bytes)', 1],
      [['c', 'd'], null, 5002],
    ]);
  });
});
