// Hash and checksum functions. md5, sha1, sha2 and crc32 give the standard digests, equal to
// Spark's. hash() is a stable 32-bit MurmurHash3 over each value's canonical form: stable
// across runs and machines, but NOT equal to the numbers Spark's hash() returns.
import { createHash } from 'node:crypto';
import { INTEGER, LONG, STRING } from '../types.js';
import { defineEach, defineFixed } from './define.js';
import { murmur3String } from './murmur3.js';
import { registerScalar } from './registry.js';
import { canonicalKey } from './values.js';

const hex = (algorithm: string) => (b: Buffer): string => createHash(algorithm).update(b).digest('hex');

defineEach(['binary'], STRING, { md5: hex('md5'), sha1: hex('sha1') }, { sha1: ['sha'] });

const SHA2: Readonly<Record<number, string>> = { 0: 'sha256', 224: 'sha224', 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/** sha2(x, bits): bits 224, 256 (or 0), 384 or 512; any other length gives null. */
defineFixed({
  name: 'sha2', params: ['binary', 'int'], type: STRING,
  impl: (b: Buffer, bits: number) => (SHA2[bits] ? hex(SHA2[bits])(b) : null),
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

defineFixed({ name: 'crc32', params: ['binary'], type: LONG, impl: crc32 });

/** Spark's seed; a null argument leaves the running hash unchanged, as in Spark. */
const HASH_SEED = 42;

registerScalar({
  name: 'hash', minArgs: 1, maxArgs: Infinity,
  bind: () => ({
    name: 'hash', type: INTEGER, nullIntolerant: false,
    impl: (...vs: unknown[]) => vs.reduce<number>((h, v) => (v == null ? h : murmur3String(canonicalKey(v), h)), HASH_SEED) | 0,
  }),
});
