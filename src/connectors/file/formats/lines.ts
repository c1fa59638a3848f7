// Reads a text file as lines without loading it whole, in time linear in its size: chunks of
// lines with the number of the first, split on `\n` (a `\r` before it dropped) or on a custom
// separator. A line longer than maxLineBytes, or not valid UTF-8, comes out marked (see
// LineSplitter) for the format to treat as malformed.
import type { Line } from '../../line-splitter.js';
import { LineSplitter } from '../../line-splitter.js';
import { readTextPieces } from './file-text.js';

export interface LineChunk {
  readonly lines: Line[];
  /** 1-based number of lines[0] in the file. */
  readonly firstLine: number;
}

export async function* readLines(file: string, lineSep: string | undefined, maxLineBytes: number): AsyncIterable<LineChunk> {
  const splitter = new LineSplitter({ ...(lineSep ? { separator: lineSep } : {}), maxLineBytes });
  let lineNo = 1;
  for await (const piece of readTextPieces(file)) {
    const lines = splitter.push(piece.text, piece.invalid);
    if (lines.length) {
      yield { lines, firstLine: lineNo };
      lineNo += lines.length;
    }
  }
  const last = splitter.end();
  if (last.length) yield { lines: last, firstLine: lineNo };
}
