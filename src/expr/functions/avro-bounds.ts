// Checks that a binary Avro value fits its buffer before avsc decodes it. avsc trusts the counts
// and lengths a value announces: a 7-byte value announcing 10^9 array items makes it allocate
// until the process dies (it reads past the end of the buffer). This walk reads the value as
// avsc would, without building it, and bounds every count and length by the bytes that remain
// (an item of a type that needs at least k bytes cannot be announced more than remaining / k
// times) and the total number of items by a configurable maximum (items of zero bytes, such as
// nulls, are bounded by that alone). Hand-written because avsc offers no bounded read; avsc
// still does the decoding.
import type avro from 'avsc';

export interface AvroLimits {
  /** The most array and map items one value may hold, across all its collections. */
  readonly maxItems: number;
}

export const DEFAULT_AVRO_LIMITS: AvroLimits = { maxItems: 10_000_000 };

/** Why `buf` cannot be a value of `type` within `limits`, or null when it can. */
export function avroBoundsProblem(type: avro.Type, buf: Buffer, limits: AvroLimits = DEFAULT_AVRO_LIMITS): string | null {
  const walk = new BoundedWalk(buf, limits);
  try {
    skipperOf(type)(walk);
  } catch (e) {
    if (e instanceof OutOfBounds) return e.message;
    if (e instanceof RangeError) return `the value nests too deeply (${e.message})`;
    throw e;
  }
  if (walk.pos !== buf.length) return `${buf.length - walk.pos} bytes of trailing data after the value`;
  return null;
}

class OutOfBounds extends Error {}

/** The fewest bytes a value of each type takes, so counts can be bounded by what remains. */
function minBytes(t: avro.Type, visiting = new Set<avro.Type>()): number {
  // A recursive type reached again counts as 0: still a lower bound.
  if (visiting.has(t)) return 0;
  visiting.add(t);
  let n: number;
  switch (t.typeName) {
    case 'null': n = 0; break;
    case 'float': n = 4; break;
    case 'double': n = 8; break;
    case 'fixed': n = (t as avro.types.FixedType).size; break;
    case 'record': case 'error':
      n = (t as avro.types.RecordType).fields.reduce((sum, f) => sum + minBytes(f.type, visiting), 0);
      break;
    case 'union:wrapped': case 'union:unwrapped':
      n = 1 + Math.min(...(t as avro.types.WrappedUnionType).types.map((b) => minBytes(b, visiting)));
      break;
    default:
      if (t.typeName.startsWith('logical:')) n = minBytes((t as avro.types.LogicalType).underlyingType, visiting);
      else n = 1; // boolean, int, long, enum, string, bytes: one byte at least; array, map: the end marker
  }
  visiting.delete(t);
  return n;
}

/** Skips one value of a type, checking its bounds; built once per type (the schema is fixed for a query). */
type Skipper = (w: BoundedWalk) => void;

const skippers = new WeakMap<avro.Type, Skipper>();

function skipperOf(t: avro.Type): Skipper {
  const known = skippers.get(t);
  if (known) return known;
  // Recursive types refer to themselves: register a forwarder before building.
  let built: Skipper | null = null;
  skippers.set(t, (w) => built!(w));
  built = buildSkipper(t);
  skippers.set(t, built);
  return built;
}

function buildSkipper(t: avro.Type): Skipper {
  switch (t.typeName) {
    case 'null': return () => undefined;
    case 'boolean': return (w) => w.take(1, 'a boolean');
    case 'int': case 'long': return (w) => { w.varint(); };
    case 'float': return (w) => w.take(4, 'a float');
    case 'double': return (w) => w.take(8, 'a double');
    case 'bytes': return (w) => w.take(w.length('bytes'), 'bytes');
    case 'string': return (w) => w.take(w.length('a string'), 'a string');
    case 'fixed': {
      const size = (t as avro.types.FixedType).size;
      return (w) => w.take(size, 'a fixed');
    }
    case 'enum': {
      const n = (t as avro.types.EnumType).symbols.length;
      return (w) => { w.index(n, 'enum symbol'); };
    }
    case 'array': {
      const items = (t as avro.types.ArrayType).itemsType;
      const item = skipperOf(items);
      const itemBytes = minBytes(items);
      return (w) => w.blocks(item, itemBytes, 'array');
    }
    case 'map': {
      const values = (t as avro.types.MapType).valuesType as avro.Type;
      const value = skipperOf(values);
      const entry: Skipper = (w) => { w.take(w.length('a map key'), 'a map key'); value(w); };
      const entryBytes = 1 + minBytes(values);
      return (w) => w.blocks(entry, entryBytes, 'map');
    }
    case 'record': case 'error': {
      const fields = (t as avro.types.RecordType).fields.map((f) => skipperOf(f.type));
      return (w) => { for (let i = 0; i < fields.length; i++) fields[i]!(w); };
    }
    case 'union:wrapped': case 'union:unwrapped': {
      const branches = (t as avro.types.WrappedUnionType).types.map(skipperOf);
      return (w) => branches[w.index(branches.length, 'union branch')]!(w);
    }
    default:
      if (t.typeName.startsWith('logical:')) return skipperOf((t as avro.types.LogicalType).underlyingType);
      return () => { throw new OutOfBounds(`Avro type ${t.typeName} cannot be read`); };
  }
}

class BoundedWalk {
  pos = 0;
  private items = 0;

  constructor(private readonly buf: Buffer, private readonly limits: AvroLimits) {}

  take(n: number, what: string): void {
    if (n > this.buf.length - this.pos) throw new OutOfBounds(`${what} of ${n} bytes runs past the end of the ${this.buf.length}-byte value`);
    this.pos += n;
  }

  /** A zig-zag varint as a number (exact up to 2^53; beyond, only its magnitude matters here). */
  varint(): number {
    const buf = this.buf;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= buf.length) throw new OutOfBounds(`a number runs past the end of the ${buf.length}-byte value`);
      const b = buf[this.pos++]!;
      n += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
      scale *= 128;
    }
    throw new OutOfBounds('a number is longer than 10 bytes');
  }

  length(what: string): number {
    const n = this.varint();
    if (n < 0) throw new OutOfBounds(`${what} has a negative length (${n})`);
    return n;
  }

  index(count: number, what: string): number {
    const i = this.varint();
    if (i < 0 || i >= count) throw new OutOfBounds(`${what} index ${i} is out of range (0..${count - 1})`);
    return i;
  }

  /** Avro's blocked encoding of arrays and maps: counts (negative: followed by a byte size) until 0. */
  blocks(item: Skipper, itemBytes: number, what: string): void {
    for (;;) {
      let count = this.varint();
      if (count === 0) return;
      if (count < 0) {
        count = -count;
        const size = this.length(`${what} block size`);
        if (size > this.buf.length - this.pos) throw new OutOfBounds(`${what} block of ${size} bytes runs past the end of the ${this.buf.length}-byte value`);
      }
      const remaining = this.buf.length - this.pos;
      if (itemBytes > 0 && count > remaining / itemBytes) {
        throw new OutOfBounds(`${what} announces ${count} items but only ${remaining} bytes remain`);
      }
      this.items += count;
      if (this.items > this.limits.maxItems) {
        throw new OutOfBounds(`${what} items exceed the maximum of ${this.limits.maxItems} per value (option maxItems)`);
      }
      for (let i = 0; i < count; i++) item(this);
    }
  }
}
