// Reads a file as UTF-8 text without loading it whole, in pieces of about a megabyte. A UTF-8
// byte order mark at the start is dropped. Bytes that are not valid UTF-8 are decoded with
// U+FFFD, as before, but never silently: the piece holding them comes alone, marked invalid,
// and covers at most one line (a newline byte is never part of a multi-byte character), so the
// record holding it can follow the parse mode. Validation is native (buffer.isUtf8) and runs
// per line only for the rare pieces that fail it whole.
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';

export interface TextPiece {
  readonly text: string;
  /** Decoded from bytes that are not valid UTF-8 (with U+FFFD for them). */
  readonly invalid: boolean;
}

const LF = 0x0a;

export async function* readTextPieces(file: string, chunkBytes = 1 << 20): AsyncIterable<TextPiece> {
  let carry: Buffer | null = null;
  let first = true;
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes }) as AsyncIterable<Buffer>) {
    let buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    if (first) {
      first = false;
      buf = withoutBom(buf);
    }
    // A character cut by the chunk's end waits for the rest of its bytes.
    const whole = completeLength(buf);
    carry = whole < buf.length ? buf.subarray(whole) : null;
    yield* piecesOf(buf.subarray(0, whole));
  }
  if (carry) yield { text: carry.toString('utf8'), invalid: true };
}

/** A whole file's text (wholetext, multiLine JSON), BOM dropped, with whether it is valid UTF-8. */
export function decodeWhole(buf: Buffer): TextPiece {
  const b = withoutBom(buf);
  return { text: b.toString('utf8'), invalid: !isUtf8(b) };
}

export function withoutBom(buf: Buffer): Buffer {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
}

function* piecesOf(buf: Buffer): Iterable<TextPiece> {
  if (buf.length === 0) return;
  if (isUtf8(buf)) {
    yield { text: buf.toString('utf8'), invalid: false };
    return;
  }
  // Valid lines together; each invalid line alone.
  let run = 0;
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(LF, at);
    const end = nl < 0 ? buf.length : nl + 1;
    const line = buf.subarray(at, end);
    if (!isUtf8(line)) {
      if (run < at) yield { text: buf.toString('utf8', run, at), invalid: false };
      yield { text: line.toString('utf8'), invalid: true };
      run = end;
    }
    at = end;
  }
  if (run < buf.length) yield { text: buf.toString('utf8', run), invalid: false };
}

/** The length of `buf` without an incomplete UTF-8 sequence at its end. */
function completeLength(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}
