// A growable byte buffer and its reader: the primitives the chunk encoding is written with.
// Hand-written rather than a library: the encoding is columnar and schema-driven, so what it
// needs is a handful of little-endian writes into one ArrayBuffer that can be transferred.

const textEncoderFree = (s: string): number => s.length * 3;

/** Strings up to this many characters are copied by hand when they are ASCII. */
const SHORT = 32;

export class ByteWriter {
  buffer: ArrayBuffer;
  bytes: Uint8Array;
  view: DataView;
  /** A Buffer over the same memory, for Node's native UTF-8 writes. */
  private node: Buffer;
  length = 0;

  constructor(initial = 1024) {
    this.buffer = new ArrayBuffer(Math.max(64, initial));
    this.bytes = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.node = Buffer.from(this.buffer);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buffer.byteLength) return;
    let size = this.buffer.byteLength * 2;
    while (size < need) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(this.bytes.subarray(0, this.length));
    this.buffer = next;
    this.bytes = new Uint8Array(next);
    this.view = new DataView(next);
    this.node = Buffer.from(next);
  }

  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  /** An unsigned integer in 7-bit groups (1 byte below 128). */
  varuint(v: number): void {
    this.ensure(5);
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.bytes[this.length++] = v;
  }

  /** A UTF-8 string prefixed with its byte length. */
  string(s: string): void {
    const len = s.length;
    this.ensure(5 + textEncoderFree(s));
    const at = this.length;
    let p = at + 4;
    // Short ASCII strings (keys, codes) by hand: Buffer#write costs more than the copy itself.
    if (len <= SHORT) {
      const bytes = this.bytes;
      let i = 0;
      for (; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        bytes[p + i] = c;
      }
      if (i === len) {
        this.view.setUint32(at, len, true);
        this.length = p + len;
        return;
      }
    }
    const n = this.node.write(s, p, 'utf8');
    this.view.setUint32(at, n, true);
    p += n;
    this.length = p;
  }

  raw(b: Uint8Array): void {
    this.ensure(4 + b.length);
    this.view.setUint32(this.length, b.length, true);
    this.length += 4;
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
}

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  private readonly node: Buffer;
  offset: number;

  constructor(readonly buffer: ArrayBuffer, offset = 0, readonly end = buffer.byteLength) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
    this.node = Buffer.from(buffer);
    this.offset = offset;
  }

  u8(): number {
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  varuint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = this.bytes[this.offset++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  }

  string(): string {
    const n = this.u32();
    const at = this.offset;
    this.offset += n;
    if (n <= SHORT) {
      const bytes = this.bytes;
      let ascii = true;
      for (let i = at; i < at + n; i++) if (bytes[i]! >= 0x80) { ascii = false; break; }
      if (ascii) return String.fromCharCode.apply(null, bytes.subarray(at, at + n) as unknown as number[]);
    }
    return this.node.toString('utf8', at, at + n);
  }

  /** A copy of a length-prefixed byte run, as a Buffer. */
  raw(): Buffer {
    const n = this.u32();
    const out = Buffer.from(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return out;
  }
}
