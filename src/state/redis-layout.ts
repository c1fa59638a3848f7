// How checkpoint blobs map to Redis keys. A directory is two keys: a hash of its files
// (field = file name, value = the blob) and a set of its sub-directory names. So `list(dir)` is
// HKEYS + SMEMBERS of one directory — no KEYS or SCAN over the database — and the listing is
// changed in the same transaction as the files it lists.
//
// Hash tags keep the layout valid on Redis Cluster: everything of a shuffle partition
// (`state/<op>/<p>/...`, every operator and store) shares the tag `{<prefix>|<p>}`, so an epoch's
// writes for one partition are one single-slot transaction; the logs, metadata, source metadata,
// the upper state directories and the live-run lock share `{<prefix>}`, so the commit marker and
// the lock it is checked against are on one slot.
import type { BlobWrite } from './backend.js';

/** One Redis command of a transaction. */
export type RedisCommand =
  | { readonly op: 'hset'; readonly key: string; readonly field: string; readonly value: Buffer | string }
  | { readonly op: 'sadd'; readonly key: string; readonly member: string };

/** Commands that share one hash tag (one cluster slot). */
export interface SlotGroup {
  readonly tag: string;
  readonly commands: RedisCommand[];
  /** Directories whose registration in their parents these commands perform. */
  readonly registers: string[];
}

export class RedisLayout {
  /** The tag of the logs, metadata and lock. */
  readonly rootTag: string;
  readonly lockKey: string;

  constructor(readonly prefix: string) {
    this.rootTag = `{${prefix}}`;
    this.lockKey = `${this.rootTag}:lock`;
  }

  /** The hash tag of a directory: its shuffle partition's, or the root one. */
  tagOf(dir: string): string {
    const parts = dir.split('/');
    if (parts[0] === 'state' && parts.length >= 3 && /^\d+$/.test(parts[2]!)) return `{${this.prefix}|${parts[2]}}`;
    return this.rootTag;
  }

  filesKey(dir: string): string {
    return `${this.tagOf(dir)}:f:${dir}`;
  }

  dirsKey(dir: string): string {
    return `${this.tagOf(dir)}:d:${dir}`;
  }

  /**
   * The commands writing `writes`, grouped by hash tag, each file's directory chain registered
   * unless `known` says it already is. The group of the last write (the commit marker) comes last.
   */
  plan(writes: readonly BlobWrite[], known: ReadonlySet<string>): SlotGroup[] {
    const groups = new Map<string, SlotGroup>();
    const group = (tag: string): SlotGroup => {
      let g = groups.get(tag);
      if (!g) groups.set(tag, (g = { tag, commands: [], registers: [] }));
      return g;
    };
    const registering = new Set<string>();
    const last = writes[writes.length - 1];
    for (const w of writes) {
      const { dir, name } = splitPath(w.path);
      group(this.tagOf(dir)).commands.push({ op: 'hset', key: this.filesKey(dir), field: name, value: w.data });
      // Register dir in its parent, and so on up to the root, unless already done.
      for (let d = dir; d !== '' && !known.has(d) && !registering.has(d); d = splitPath(d).dir) {
        registering.add(d);
        const parent = splitPath(d);
        const g = group(this.tagOf(parent.dir));
        g.commands.push({ op: 'sadd', key: this.dirsKey(parent.dir), member: parent.name });
        g.registers.push(d);
      }
    }
    if (!last) return [];
    const lastTag = this.tagOf(splitPath(last.path).dir);
    const ordered = [...groups.values()].filter((g) => g.tag !== lastTag);
    const final = groups.get(lastTag);
    if (final) ordered.push(final);
    return ordered;
  }
}

export function splitPath(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf('/');
  return i < 0 ? { dir: '', name: path } : { dir: path.slice(0, i), name: path.slice(i + 1) };
}
