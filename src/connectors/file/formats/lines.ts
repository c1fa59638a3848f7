// Reads a text file as lines without loading it whole: chunks of lines with the number of the
// first, split on `\n` (a `\r` before it is dropped) or on a custom separator.
import { createReadStream } from 'node:fs';

export interface LineChunk {
  readonly lines: string[];
  /** 1-based number of lines[0] in the file. */
  readonly firstLine: number;
}

export async function* readLines(file: string, lineSep?: string): AsyncIterable<LineChunk> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  let partial = '';
  let lineNo = 1;
  const sepText = lineSep ?? '\n';
  for await (const text of stream as AsyncIterable<string>) {
    const parts = (partial + text).split(sepText);
    partial = parts.pop()!;
    if (!lineSep) for (let i = 0; i < parts.length; i++) if (parts[i]!.endsWith('\r')) parts[i] = parts[i]!.slice(0, -1);
    if (parts.length) {
      yield { lines: parts, firstLine: lineNo };
      lineNo += parts.length;
    }
  }
  if (partial !== '') yield { lines: [lineSep ? partial : partial.replace(/\r$/, '')], firstLine: lineNo };
}
