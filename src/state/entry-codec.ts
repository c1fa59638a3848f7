// The binary form of keyed state entries (deltas and snapshots): columnar, so that encoding
// and decoding are tight loops over typed arrays instead of one generic serialiser call per
// object. A blob holds entries [key, value]; a value `undefined` marks a deletion.
//
// Values are trees of: undefined, null, booleans, numbers, strings, Dates, Buffers and
// Uint8Arrays, arrays, plain objects, Maps and Sets; anything else (a class instance, a bigint, a
// typed array of another kind) is kept with v8's serialiser, as before. The tree is flattened
// into four columns — a tag per node, the numbers, small unsigned integers (lengths, shape ids),
// and every string appended into one text — plus the raw bytes of binary values. Strings decode
// with a single UTF-8 pass over that text and one `substring` each; a string equal to its entry's
// key (a grouping value kept beside its key) is stored as a reference to the key; the key lists
// of plain objects ("shapes") are stored once per blob.
//
// Layout: "SPSE" | u8 version | u8 text encoding | u16 0 | u32 entries | u32 tags | u32 numbers |
// u32 ints | u32 text bytes | u32 binary bytes | f64[numbers] | u32[ints] | u8[tags] | text | binary.
// The text is UTF-8, or UTF-16LE when a string holds a lone surrogate (UTF-8 cannot carry one,
// and string lengths are counted in UTF-16 units).
import { deserialize, serialize } from 'node:v8';
import { isDate, isMap, isSet, isUint8Array } from 'node:util/types';
import type { KeyedEntries } from './keyed-store.js';

const MAGIC = 0x45535053; // "SPSE" little-endian
const VERSION = 1;
const HEADER = 32;

const enum Tag {
  Undefined = 0, Null, False, True, Number, String, KeyRef, Date, Buffer, Bytes, Array, Object, NewShape, Map, Set, V8,
}

class Growable {
  f64 = new Float64Array(1024);
  u32 = new Uint32Array(1024);
  tags = new Uint8Array(4096);
  nf = 0;
  nu = 0;
  nt = 0;

  num(v: number): void {
    if (this.nf === this.f64.length) { const a = new Float64Array(this.f64.length * 2); a.set(this.f64); this.f64 = a; }
    this.f64[this.nf++] = v;
  }

  int(v: number): void {
    if (this.nu === this.u32.length) { const a = new Uint32Array(this.u32.length * 2); a.set(this.u32); this.u32 = a; }
    this.u32[this.nu++] = v;
  }

  tag(t: number): void {
    if (this.nt === this.tags.length) { const a = new Uint8Array(this.tags.length * 2); a.set(this.tags); this.tags = a; }
    this.tags[this.nt++] = t;
  }

  /** The text as UTF-8, written string by string (no string list to join, no second copy). */
  text = Buffer.allocUnsafe(16384);
  nb = 0;

  /** Appends a string's UTF-8 bytes; false (and nothing written) if it has a lone surrogate. */
  utf8(s: string): boolean {
    const n = s.length;
    const at = this.nb;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (at + 3 * n > this.text.length) {
      const b = Buffer.allocUnsafe(Math.max(2 * this.text.length, at + 3 * n));
      this.text.copy(b, 0, 0, at);
      this.text = b;
    }
    const text = this.text;
    if (n <= 64) {
      // Short ASCII strings (most keys) byte by byte: cheaper than a call into the runtime.
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        text[at + i] = c;
      }
      if (i === n) { this.nb = at + n; return true; }
    }
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) return false;
    this.nb = at + text.write(s, at, 'utf8');
    return true;
  }
}

/** The columns of the encoder, reused by every blob (encoding is synchronous) so they grow once. */
const scratch = new Growable();

/** What a RecordLayout writes with, in order: values, arrays and objects of known fields. */
export interface RecordOut {
  /** A value (any value tree). */
  field(v: unknown): void;
  /** An array of `length` values, which the next `length` writes give. */
  array(length: number): void;
  /** A plain object of `fields` (always the same array for one shape), whose values the next `fields.length` writes give. */
  struct(fields: readonly string[]): void;
}

/**
 * How a store's values are written when their shape is known (a slot of a columnar store, a
 * list of buffered rows of a known schema): `write` gives the plain objects and arrays the
 * value stands for, field by field. The bytes are those of encoding such objects, so a reader
 * sees plain objects, and no shape is looked up per object.
 */
export interface RecordLayout {
  write(value: unknown, out: RecordOut): void;
}

/**
 * What a store that writes its own delta (see stageEntries in state-repository.ts) writes with:
 * each entry's key, then its value, in typed pieces where the store knows the type (no dispatch
 * on the value), or any value tree with `field`. The bytes are those of encoding plain entries.
 */
export interface EntryOut extends RecordOut {
  /** Starts an entry: its key. Its value follows (one value tree). */
  key(k: string): void;
  /** A number value. */
  number(n: number): void;
  /** A string value (a reference to the entry's key when equal to it). */
  text(s: string): void;
  /** null. */
  null(): void;
  /** The entry's value is undefined: a deletion. */
  deleted(): void;
}

/**
 * An epoch's delta that its store writes itself, straight from its own columns, partition by
 * partition: no entry list or value object is built. Valid until the store changes again.
 */
export interface EncodableDelta {
  /** The partitions (key groups) with changes, ascending. */
  readonly partitions: readonly number[];
  /** How many entries each of them has (same order). */
  readonly counts: readonly number[];
  /** Writes the entries of partitions[i] (key, then value, each). */
  write(i: number, out: EntryOut): void;
}

class Encoder implements EntryOut {
  readonly out: Growable;
  /**
   * The text as strings, once a string with a lone surrogate (which UTF-8 cannot carry) was
   * written: the blob's text is then UTF-16LE. Null while the text is UTF-8 bytes (out.text).
   */
  private strings: string[] | null = null;
  readonly binary: Buffer[] = [];
  binaryBytes = 0;
  /** Object shapes: a trie over key names, each node with the shape id ending there. */
  private readonly shapes = new Map<string, ShapeNode>();
  private shapeCount = 0;

  constructor(out: Growable) {
    out.nf = 0;
    out.nu = 0;
    out.nt = 0;
    out.nb = 0;
    this.out = out;
  }

  string(s: string): void {
    this.out.int(s.length);
    if (this.strings !== null) this.strings.push(s);
    else if (!this.out.utf8(s)) this.strings = [this.out.text.toString('utf8', 0, this.out.nb), s];
  }

  /** The blob's text: UTF-8, or UTF-16LE once a string needed it. */
  textBytes(): { bytes: Buffer; utf16: boolean } {
    if (this.strings === null) return { bytes: this.out.text.subarray(0, this.out.nb), utf16: false };
    return { bytes: Buffer.from(this.strings.join(''), 'utf16le'), utf16: true };
  }

  value(v: unknown, key: string): void {
    const out = this.out;
    switch (typeof v) {
      case 'number': out.tag(Tag.Number); out.num(v); return;
      case 'string':
        if (v === key) { out.tag(Tag.KeyRef); return; }
        out.tag(Tag.String); this.string(v); return;
      case 'boolean': out.tag(v ? Tag.True : Tag.False); return;
      case 'undefined': out.tag(Tag.Undefined); return;
      case 'object':
        if (v === null) { out.tag(Tag.Null); return; }
        if (Array.isArray(v)) {
          out.tag(Tag.Array);
          out.int(v.length);
          for (let i = 0; i < v.length; i++) this.value(v[i], key);
          return;
        }
        // instanceof first: a JIT check, where isDate is a call into the runtime (it still catches another realm's Dates).
        if (v instanceof Date) { out.tag(Tag.Date); out.num(v.getTime()); return; }
        if (isPlainObject(v)) { this.object(v as Record<string, unknown>, key); return; }
        if (isDate(v)) { out.tag(Tag.Date); out.num(v.getTime()); return; }
        if (isUint8Array(v)) {
          out.tag(Buffer.isBuffer(v) ? Tag.Buffer : Tag.Bytes);
          this.bytes(v);
          return;
        }
        if (isMap(v)) {
          out.tag(Tag.Map);
          out.int(v.size);
          for (const [k, x] of v) { this.value(k, key); this.value(x, key); }
          return;
        }
        if (isSet(v)) {
          out.tag(Tag.Set);
          out.int(v.size);
          for (const x of v) this.value(x, key);
          return;
        }
        break;
      default:
        break;
    }
    out.tag(Tag.V8);
    this.bytes(serialize(v));
  }

  private bytes(b: Uint8Array): void {
    this.out.int(b.length);
    this.binary.push(Buffer.from(b.buffer, b.byteOffset, b.length));
    this.binaryBytes += b.length;
  }

  /**
   * A value written by a layout exactly as the plain objects and arrays it stands for would be,
   * without those objects being made or their keys looked at.
   */
  record(v: unknown, layout: RecordLayout, key: string): void {
    this.recordKey = key;
    layout.write(v, this);
  }

  private recordKey = '';
  /** Entries started with key(). */
  entries = 0;
  /** Shapes the layouts used in this blob, by their field list. */
  private readonly layoutShapes = new Map<readonly string[], number>();

  /** EntryOut: starts an entry. */
  key(k: string): void {
    this.entries++;
    this.recordKey = k;
    this.string(k);
  }

  /** EntryOut: a number value. */
  number(n: number): void {
    const out = this.out;
    out.tag(Tag.Number);
    out.num(n);
  }

  /** EntryOut: a string value. */
  text(s: string): void {
    if (s === this.recordKey) { this.out.tag(Tag.KeyRef); return; }
    this.out.tag(Tag.String);
    this.string(s);
  }

  /** EntryOut: null. */
  null(): void {
    this.out.tag(Tag.Null);
  }

  /** EntryOut: a deletion. */
  deleted(): void {
    this.out.tag(Tag.Undefined);
  }

  /** RecordOut: a value (any value tree). */
  field(v: unknown): void {
    this.value(v, this.recordKey);
  }

  /** RecordOut: an array of `length` values, which the next `length` writes give. */
  array(length: number): void {
    this.out.tag(Tag.Array);
    this.out.int(length);
  }

  /** RecordOut: a plain object of `fields`, whose values the next `fields.length` writes give. */
  struct(fields: readonly string[]): void {
    // A layout alternates between a few field lists (a row inside an entry): the last two are at hand.
    if (fields === this.structA) { this.out.tag(Tag.Object); this.out.int(this.structIdA); return; }
    if (fields === this.structB) {
      this.out.tag(Tag.Object);
      this.out.int(this.structIdB);
      this.structB = this.structA;
      this.structA = fields;
      const id = this.structIdB;
      this.structIdB = this.structIdA;
      this.structIdA = id;
      return;
    }
    let id = this.layoutShapes.get(fields);
    if (id === undefined) {
      id = this.shapeId(fields);
      if (id < 0) {
        const fresh = this.newShape(fields);
        this.layoutShapes.set(fields, fresh);
        this.remember(fields, fresh);
        return;
      }
      this.layoutShapes.set(fields, id);
    }
    this.remember(fields, id);
    this.out.tag(Tag.Object);
    this.out.int(id);
  }

  private structA: readonly string[] | null = null;
  private structIdA = -1;
  private structB: readonly string[] | null = null;
  private structIdB = -1;

  private remember(fields: readonly string[], id: number): void {
    this.structB = this.structA;
    this.structIdB = this.structIdA;
    this.structA = fields;
    this.structIdA = id;
  }

  /** The id of a shape already written, or -1. */
  private shapeId(names: readonly string[]): number {
    let node: ShapeNode | undefined;
    let level = this.shapes;
    for (const n of names) {
      node = level.get(n);
      if (!node) return -1;
      level = node.next;
    }
    return node ? node.id : this.emptyShape;
  }

  /** The trie node of a shape's names, made as needed (undefined for no names: the empty shape). */
  private shapeNode(names: readonly string[]): ShapeNode | undefined {
    let node: ShapeNode | undefined;
    let level = this.shapes;
    for (const n of names) {
      node = level.get(n);
      if (!node) level.set(n, (node = { id: -1, next: new Map() }));
      level = node.next;
    }
    return node;
  }

  /** Registers and writes a new shape (NewShape, its names); returns its id. */
  private newShape(names: readonly string[]): number {
    const node = this.shapeNode(names);
    const fresh = this.shapeCount++;
    if (node) node.id = fresh;
    else this.emptyShape = fresh;
    this.out.tag(Tag.NewShape);
    this.out.int(names.length);
    for (const n of names) this.string(n);
    return fresh;
  }

  private object(o: Record<string, unknown>, key: string): void {
    // State values of one operator mostly share one shape: check the last one without allocating.
    const last = this.lastNames;
    if (last !== null && sameKeys(o, last)) {
      this.out.tag(Tag.Object);
      this.out.int(this.lastId);
      for (let i = 0; i < last.length; i++) this.value(o[last[i]!], key);
      return;
    }
    const names = Object.keys(o);
    const node = this.shapeNode(names);
    const out = this.out;
    const id = node ? node.id : this.emptyShape;
    if (id >= 0) {
      out.tag(Tag.Object);
      out.int(id);
    } else {
      const fresh = this.shapeCount++;
      if (node) node.id = fresh;
      else this.emptyShape = fresh;
      out.tag(Tag.NewShape);
      out.int(names.length);
      for (const n of names) this.string(n);
    }
    this.lastNames = names;
    this.lastId = node ? node.id : this.emptyShape;
    for (const n of names) this.value(o[n], key);
  }

  private emptyShape = -1;
  private lastNames: string[] | null = null;
  private lastId = -1;
}

/** Whether `o`'s own enumerable keys are exactly `names`, in order. */
function sameKeys(o: Record<string, unknown>, names: readonly string[]): boolean {
  let i = 0;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) return false;
    if (names[i] !== k) return false;
    i++;
  }
  return i === names.length;
}

interface ShapeNode {
  id: number;
  readonly next: Map<string, ShapeNode>;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Encodes entries into one blob. With a `layout`, every value that is not undefined is a record
 * the layout writes (the same bytes as the plain object it stands for).
 */
export function encodeEntryBlob(entries: KeyedEntries<unknown>, layout?: RecordLayout): Buffer {
  return encodeEntryParts([entries], layout);
}

/**
 * Encodes the entries of several parts, one after the other, into one blob (as if their keys
 * and values had been concatenated, without concatenating them). The blob starts `reserve`
 * bytes into the returned buffer (a multiple of 8, for the caller's own header).
 */
export function encodeEntryParts(parts: readonly KeyedEntries<unknown>[], layout?: RecordLayout, reserve = 0): Buffer {
  const e = new Encoder(scratch);
  let count = 0;
  for (const { keys, values } of parts) {
    count += keys.length;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const v = values[i];
      e.string(key);
      if (layout && v !== undefined) e.record(v, layout, key);
      else e.value(v, key);
    }
  }
  return finish(e, count, reserve);
}

/**
 * Encodes the entries that `write` gives, key then value each (see EntryOut), into one blob
 * starting `reserve` bytes into the returned buffer (a multiple of 8, for the caller's header).
 * The same bytes as encodeEntryParts of those entries.
 */
export function encodeWrittenEntries(write: (out: EntryOut) => void, reserve = 0): Buffer {
  const e = new Encoder(scratch);
  write(e);
  return finish(e, e.entries, reserve);
}

function finish(e: Encoder, count: number, reserve: number): Buffer {
  const out = e.out;
  const { bytes: text, utf16 } = e.textBytes();
  const numbersAt = reserve + HEADER;
  const intsAt = numbersAt + out.nf * 8;
  const tagsAt = intsAt + out.nu * 4;
  const textAt = tagsAt + out.nt;
  const binaryAt = textAt + text.length;
  const blob = Buffer.allocUnsafe(binaryAt + e.binaryBytes);
  blob.fill(0, 0, reserve);
  blob.writeUInt32LE(MAGIC, reserve);
  blob.writeUInt8(VERSION, reserve + 4);
  blob.writeUInt8(utf16 ? 1 : 0, reserve + 5);
  blob.fill(0, reserve + 6, reserve + 8);
  blob.writeUInt32LE(count, reserve + 8);
  blob.writeUInt32LE(out.nt, reserve + 12);
  blob.writeUInt32LE(out.nf, reserve + 16);
  blob.writeUInt32LE(out.nu, reserve + 20);
  blob.writeUInt32LE(text.length, reserve + 24);
  blob.writeUInt32LE(e.binaryBytes, reserve + 28);
  Buffer.from(out.f64.buffer, 0, out.nf * 8).copy(blob, numbersAt);
  Buffer.from(out.u32.buffer, 0, out.nu * 4).copy(blob, intsAt);
  Buffer.from(out.tags.buffer, 0, out.nt).copy(blob, tagsAt);
  text.copy(blob, textAt);
  let at = binaryAt;
  for (const b of e.binary) { b.copy(blob, at); at += b.length; }
  return blob;
}

/** Whether `raw` starts like an entry blob of this codec. */
export function isEntryBlob(raw: Buffer): boolean {
  return raw.length >= HEADER && raw.readUInt32LE(0) === MAGIC;
}

class Decoder {
  private t = 0;
  private f = 0;
  private u = 0;
  private s = 0;
  private b = 0;
  private readonly shapes: string[][] = [];
  key = '';

  constructor(
    private readonly tags: Uint8Array,
    private readonly f64: Float64Array,
    private readonly u32: Uint32Array,
    private readonly text: string,
    private readonly binary: Buffer,
  ) {}

  get done(): boolean {
    return this.t === this.tags.length && this.f === this.f64.length && this.u === this.u32.length && this.s === this.text.length && this.b === this.binary.length;
  }

  string(): string {
    const len = this.int();
    const start = this.s;
    const end = start + len;
    if (end > this.text.length) throw new RangeError('a string runs past the end of the text');
    this.s = end;
    return this.text.substring(start, end);
  }

  private int(): number {
    if (this.u >= this.u32.length) throw new RangeError('the integer column ended early');
    return this.u32[this.u++]!;
  }

  private num(): number {
    if (this.f >= this.f64.length) throw new RangeError('the number column ended early');
    return this.f64[this.f++]!;
  }

  private bytes(): Buffer {
    const len = this.int();
    if (this.b + len > this.binary.length) throw new RangeError('a binary value runs past the end of the blob');
    const out = Buffer.from(this.binary.subarray(this.b, this.b + len));
    this.b += len;
    return out;
  }

  value(): unknown {
    if (this.t >= this.tags.length) throw new RangeError('the tag column ended early');
    switch (this.tags[this.t++]) {
      case Tag.Number: return this.num();
      case Tag.KeyRef: return this.key;
      case Tag.String: return this.string();
      case Tag.Null: return null;
      case Tag.True: return true;
      case Tag.False: return false;
      case Tag.Undefined: return undefined;
      case Tag.Array: {
        const n = this.int();
        const a = new Array<unknown>(n);
        for (let i = 0; i < n; i++) a[i] = this.value();
        return a;
      }
      case Tag.Object: {
        const names = this.shapes[this.int()];
        if (!names) throw new RangeError('an object refers to an unknown shape');
        return this.fields(names);
      }
      case Tag.NewShape: {
        const n = this.int();
        const names = new Array<string>(n);
        for (let i = 0; i < n; i++) names[i] = this.string();
        this.shapes.push(names);
        return this.fields(names);
      }
      case Tag.Date: return new Date(this.num());
      case Tag.Buffer: return this.bytes();
      case Tag.Bytes: return new Uint8Array(this.bytes());
      case Tag.Map: {
        const n = this.int();
        const m = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) { const k = this.value(); m.set(k, this.value()); }
        return m;
      }
      case Tag.Set: {
        const n = this.int();
        const s = new Set<unknown>();
        for (let i = 0; i < n; i++) s.add(this.value());
        return s;
      }
      case Tag.V8: return deserialize(this.bytes());
      default: throw new RangeError(`unknown tag ${this.tags[this.t - 1]}`);
    }
  }

  private fields(names: readonly string[]): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      // An own "__proto__" field (JSON.parse makes them) stays a field, never a prototype.
      if (name === '__proto__') Object.defineProperty(o, name, { value: this.value(), enumerable: true, writable: true, configurable: true });
      else o[name] = this.value();
    }
    return o;
  }
}

/** Decodes a blob written by encodeEntryBlob; throws RangeError when it is damaged. */
export function decodeEntryBlob(raw: Buffer): KeyedEntries<unknown> {
  if (!isEntryBlob(raw)) throw new RangeError('not an entry blob (bad magic number)');
  if (raw.readUInt8(4) !== VERSION) throw new RangeError(`entry blob version ${raw.readUInt8(4)}, this version reads ${VERSION}`);
  const count = raw.readUInt32LE(8);
  const nt = raw.readUInt32LE(12);
  const nf = raw.readUInt32LE(16);
  const nu = raw.readUInt32LE(20);
  const textBytes = raw.readUInt32LE(24);
  const binaryBytes = raw.readUInt32LE(28);
  const numbersAt = HEADER;
  const intsAt = numbersAt + nf * 8;
  const tagsAt = intsAt + nu * 4;
  const textAt = tagsAt + nt;
  const binaryAt = textAt + textBytes;
  if (binaryAt + binaryBytes !== raw.length) {
    throw new RangeError(`the blob is ${raw.length} bytes but its header describes ${binaryAt + binaryBytes}`);
  }
  // Typed arrays need aligned offsets; a blob read from a store may sit anywhere in its buffer.
  const aligned = raw.byteOffset % 8 === 0 ? raw : Buffer.from(raw);
  const f64 = new Float64Array(aligned.buffer, aligned.byteOffset + numbersAt, nf);
  const u32 = new Uint32Array(aligned.buffer, aligned.byteOffset + intsAt, nu);
  const tags = aligned.subarray(tagsAt, tagsAt + nt);
  const text = aligned.toString(raw.readUInt8(5) === 1 ? 'utf16le' : 'utf8', textAt, textAt + textBytes);
  const d = new Decoder(tags, f64, u32, text, aligned.subarray(binaryAt));
  const keys = new Array<string>(count);
  const values = new Array<unknown>(count);
  for (let i = 0; i < count; i++) {
    const key = d.string();
    d.key = key;
    keys[i] = key;
    values[i] = d.value();
  }
  if (!d.done) throw new RangeError('the blob holds more than its entries');
  return { keys, values };
}
