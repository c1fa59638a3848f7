// HyperLogLog for approx_count_distinct. The sketch is its registers alone (a Uint8Array, so it
// survives v8.serialize): 2^p one-byte registers, each the highest rank seen among the values
// routed to it. Values are hashed to 64 bits (two independent 32-bit MurmurHash3s of their
// canonical text); the top p bits pick the register, the rank is 1 + the leading zeros of the
// remaining 64 - p bits. Merging is the register-wise maximum.
import { murmur3 } from './murmur3.js';

const SEED_HIGH = 0x9747b28c;
const SEED_LOW = 0x5bd1e995;

/** Spark's precision for a relative standard deviation: the smallest p with 1.106 / sqrt(2^p) <= rsd. */
export function precisionFor(rsd: number): number {
  return Math.ceil((2 * Math.log(1.106 / rsd)) / Math.log(2));
}

export function createSketch(p: number): Uint8Array {
  return new Uint8Array(2 ** p);
}

function precisionOf(registers: Uint8Array): number {
  return Math.round(Math.log2(registers.length));
}

/** Adds a value, given as its canonical text; mutates and returns the registers. */
export function addToSketch(registers: Uint8Array, key: string): Uint8Array {
  const bytes = Buffer.from(key, 'utf8');
  const high = murmur3(bytes, SEED_HIGH);
  const low = murmur3(bytes, SEED_LOW);
  const p = precisionOf(registers);
  const index = high >>> (32 - p);
  const rest = (high << p) >>> 0; // the 32 - p bits left of `high`, moved to the top
  const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - p + Math.clz32(low) + 1;
  if (rank > registers[index]!) registers[index] = rank;
  return registers;
}

/** Folds `other` into `into` (register-wise maximum); both must have the same precision. */
export function mergeSketches(into: Uint8Array, other: Uint8Array): Uint8Array {
  if (into.length !== other.length) {
    throw new RangeError(`cannot merge HyperLogLog sketches of ${into.length} and ${other.length} registers`);
  }
  for (let i = 0; i < into.length; i++) if (other[i]! > into[i]!) into[i] = other[i]!;
  return into;
}

function alpha(m: number): number {
  if (m === 16) return 0.673;
  if (m === 32) return 0.697;
  if (m === 64) return 0.709;
  return 0.7213 / (1 + 1.079 / m);
}

/**
 * The cardinality estimate: the harmonic-mean raw estimate, replaced by linear counting
 * (m ln(m / empty registers)) in the small range where the raw estimate is biased. With 64-bit
 * hashes no large-range correction is needed.
 */
export function estimateSketch(registers: Uint8Array): number {
  const m = registers.length;
  let sum = 0;
  let zeros = 0;
  for (const r of registers) {
    sum += 2 ** -r;
    if (r === 0) zeros++;
  }
  const raw = (alpha(m) * m * m) / sum;
  const estimate = raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
  return Math.round(estimate);
}
