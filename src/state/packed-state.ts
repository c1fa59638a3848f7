// A packed state file: one store's entries of many shuffle partitions (key groups) in one blob,
// so that an epoch's delta of a store is one file, not one per partition (on a local disk each
// file costs an open, a write, a rename and a close, which dominated a checkpointed epoch).
// Packed files live beside the per-partition folders of Spark's layout:
//   state/<op>/packed/<store>/<version>.delta     (the delta of every key group the run changed)
//   state/<op>/packed/<store>/<version>.snapshot  (every key group, written by maintenance)
// Backends where a blob is cheap (Redis: one hash field, in the partition's hash tag) and worker
// threads (each stages its own key groups) keep one file per partition. A checkpoint may hold
// both kinds (one written before packing existed, or resumed across local[1] and local[N]): both
// are read, and a partition's newest snapshot, of either kind, is its base.
//
// Layout: "SPSG" | u8 version | u8 0 | u16 0 | u32 groups | u32 0 | groups x (u32 partition,
// u32 entries) | an entry blob (entry-codec) of every entry, partition after partition.
import type { EncodableDelta, RecordLayout } from './entry-codec.js';
import { decodeEntryBlob, encodeEntryParts, encodeWrittenEntries } from './entry-codec.js';
import type { EpochDelta, KeyedEntries } from './keyed-store.js';

const MAGIC = 0x47535053; // "SPSG" little-endian
const VERSION = 1;
const HEADER = 16;

/** The folder name under `state/<op>/` of packed files (never a partition number). */
export const PACKED_DIR = 'packed';

export function packedDir(operatorId: string, store: string): string {
  return `state/${operatorId}/${PACKED_DIR}/${store}`;
}

/** A packed file's version and kind, from its name; null for another name. */
export function parsePackedName(name: string): { version: number; kind: 'delta' | 'snapshot' } | null {
  const m = /^(\d+)\.(delta|snapshot)$/.exec(name);
  return m ? { version: Number(m[1]), kind: m[2] as 'delta' | 'snapshot' } : null;
}

/** One partition's run of entries in a decoded packed file: keys/values [from, to). */
export interface PackedGroup {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

/** A packed file's entries; `groups` says which partition each run of entries belongs to. */
export interface PackedEntries extends KeyedEntries<unknown> {
  readonly groups: readonly PackedGroup[];
}

/** Encodes a delta (or a snapshot) of many partitions into one blob, partitions ascending. */
export function encodePacked(delta: EpochDelta<unknown>, layout?: RecordLayout): Buffer {
  const partitions = [...delta.keys()].sort((a, b) => a - b);
  const parts = partitions.map((p) => delta.get(p)!);
  const blob = encodeEntryParts(parts, layout, headerBytes(partitions.length));
  return withHeader(blob, partitions, parts.map((p) => p.keys.length));
}

/**
 * Encodes the entries of many partitions that `delta` writes itself (partitions ascending) into
 * one blob: the same bytes as encodePacked of those entries.
 */
export function encodePackedEntries(delta: EncodableDelta): Buffer {
  const { partitions, counts } = delta;
  const blob = encodeWrittenEntries((out) => { for (let i = 0; i < partitions.length; i++) delta.write(i, out); }, headerBytes(partitions.length));
  return withHeader(blob, partitions, counts);
}

function headerBytes(groups: number): number {
  return HEADER + 8 * groups;
}

function withHeader(blob: Buffer, partitions: readonly number[], counts: readonly number[]): Buffer {
  blob.writeUInt32LE(MAGIC, 0);
  blob.writeUInt8(VERSION, 4);
  blob.writeUInt32LE(partitions.length, 8);
  let total = 0;
  partitions.forEach((p, i) => {
    blob.writeUInt32LE(p, HEADER + 8 * i);
    blob.writeUInt32LE(counts[i]!, HEADER + 8 * i + 4);
    total += counts[i]!;
  });
  if (total !== blob.readUInt32LE(headerBytes(partitions.length) + 8)) throw new Error(`internal: a packed delta counts ${total} entries but wrote ${blob.readUInt32LE(headerBytes(partitions.length) + 8)}`);
  return blob;
}

/** The partitions a packed blob holds, read from its header alone; throws RangeError when damaged. */
export function packedPartitions(raw: Buffer): number[] {
  const groups = readHeader(raw);
  return Array.from({ length: groups }, (_, i) => raw.readUInt32LE(HEADER + 8 * i));
}

/** Decodes a blob written by encodePacked; throws RangeError when it is damaged. */
export function decodePacked(raw: Buffer): PackedEntries {
  const count = readHeader(raw);
  const { keys, values } = decodeEntryBlob(raw.subarray(HEADER + 8 * count));
  const groups: PackedGroup[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const partition = raw.readUInt32LE(HEADER + 8 * i);
    const n = raw.readUInt32LE(HEADER + 8 * i + 4);
    groups.push({ partition, from: at, to: at + n });
    at += n;
  }
  if (at !== keys.length) throw new RangeError(`the header counts ${at} entries, the blob holds ${keys.length}`);
  return { keys, values, groups };
}

function readHeader(raw: Buffer): number {
  if (raw.length < HEADER || raw.readUInt32LE(0) !== MAGIC) throw new RangeError('not a packed state blob (bad magic number)');
  if (raw.readUInt8(4) !== VERSION) throw new RangeError(`packed state blob version ${raw.readUInt8(4)}, this version reads ${VERSION}`);
  const groups = raw.readUInt32LE(8);
  if (raw.length < HEADER + 8 * groups) throw new RangeError('the blob ends inside its header');
  return groups;
}
