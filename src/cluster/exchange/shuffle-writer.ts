// The sending half of an exchange (Spark's ShuffleExchangeExec, map side): routes each row to
// the key group of its routing key, buffers rows per destination thread and key group, and
// sends a destination one frame of whole (epoch, key group) sections when it holds a chunk's
// worth of rows, or at the epoch's barrier. Watermarks, barriers and End go to every
// destination, after the rows before them: the receiving operator aligns them as it aligns any
// inputs. Each frame waits for its channel's credit, so a slow owner slows its senders. Rows
// whose key group this thread owns itself skip the encoding: they go to the owner as they are,
// through a LocalChannel (a partial aggregation's groups as a view of its flushed table).
import type { ActorParent } from '../../actors/actor.js';
import { Actor } from '../../actors/actor.js';
import type { Message } from '../../actors/messages.js';
import { ByteWriter } from '../../data/bytes.js';
import type { ChunkCodec } from '../../data/chunk-codec.js';
import type { Row } from '../../data/row.js';
import type { ChannelSender } from './channel.js';
import { LocalChannel } from './channel.js';
import { controlMessage } from './messages.js';

/** Rows that arrive already ordered by key group as columns (partial aggregates), written section by section without a row object. */
export interface KeyGroupSections {
  readonly size: number;
  /** How many rows key group g holds. */
  count(g: number): number;
  /** Writes key group g's rows with the exchange's codec. */
  write(codec: ChunkCodec, w: ByteWriter, g: number): void;
  /** The rows of the key groups `owners` gives to `thread`, as one row the owner's operator reads in place (null: none). */
  take(owners: readonly number[], thread: number): Row | null;
}

export interface ShuffleRouting {
  readonly codec: ChunkCodec;
  /** The key group owning a row (partitioning.ts). */
  readonly keyGroup: (row: Row) => number;
  /** The thread owning each key group. */
  readonly owners: readonly number[];
  /** The key-group sections a chunk holds instead of rows (each of its rows one), or null for rows. */
  readonly sections?: (rows: readonly Row[]) => readonly KeyGroupSections[] | null;
}

export class ShuffleWriterActor extends Actor {
  /** Per destination thread: rows buffered per key group, and how many in all. */
  private readonly buffers: Map<number, Row[]>[];
  private readonly buffered: number[];
  /** The destination on this thread (its LocalChannel's index), or -1. */
  private readonly self: number;

  constructor(
    name: string,
    parent: ActorParent,
    chunkRows: number,
    private readonly routing: ShuffleRouting,
    /** One per thread, by thread index; this thread's own is a LocalChannel. */
    private readonly senders: readonly (ChannelSender | LocalChannel)[],
  ) {
    super(name, parent, chunkRows);
    this.buffers = senders.map(() => new Map());
    this.buffered = senders.map(() => 0);
    this.self = senders.findIndex((s) => s instanceof LocalChannel);
  }

  protected async receive(msg: Message): Promise<void> {
    if (msg.type === 'chunk') {
      const sections = this.routing.sections?.(msg.rows);
      if (sections) {
        for (const s of sections) await this.writeSections(s);
        return;
      }
      const { keyGroup, owners } = this.routing;
      const full: number[] = [];
      const self = this.self;
      let local: Row[] | null = null;
      for (const row of msg.rows) {
        const group = keyGroup(row);
        const dest = owners[group]!;
        if (dest === self) {
          (local ??= []).push(row);
          continue;
        }
        const byGroup = this.buffers[dest]!;
        let rows = byGroup.get(group);
        if (!rows) byGroup.set(group, (rows = []));
        rows.push(row);
        if (++this.buffered[dest]! === this.chunkRows) full.push(dest);
      }
      for (const dest of full) await this.flush(dest);
      if (local) await (this.senders[self] as LocalChannel).sendRows(local);
      return;
    }
    for (let dest = 0; dest < this.senders.length; dest++) await this.flush(dest);
    const control = controlMessage(msg);
    for (const s of this.senders) await s.send(control);
  }

  /**
   * Sends each destination its key groups' sections, in frames of about a chunk's rows (after
   * the rows it already buffered, so that order holds).
   */
  private async writeSections(sections: KeyGroupSections): Promise<void> {
    const { owners, codec } = this.routing;
    for (let dest = 0; dest < this.senders.length; dest++) {
      const sender = this.senders[dest]!;
      if (sender instanceof LocalChannel) {
        const mine = sections.take(owners, dest);
        if (mine) await sender.sendRows([mine]);
        continue;
      }
      await this.flush(dest);
      let t0 = performance.now();
      let w: ByteWriter | null = null;
      let groups: number[] = [];
      let counts: number[] = [];
      let rows = 0;
      for (let g = 0; g < owners.length; g++) {
        if (owners[g] !== dest) continue;
        const n = sections.count(g);
        if (n === 0) continue;
        w ??= new ByteWriter(64 + Math.min(sections.size, this.chunkRows) * 16);
        sections.write(codec, w, g);
        groups.push(g);
        counts.push(n);
        rows += n;
        if (rows >= this.chunkRows) {
          sender.stats.ms += performance.now() - t0;
          await sender.send({ t: 'frame', buf: w.buffer, len: w.length, groups, counts });
          t0 = performance.now();
          w = null;
          groups = [];
          counts = [];
          rows = 0;
        }
      }
      sender.stats.ms += performance.now() - t0;
      if (w) await sender.send({ t: 'frame', buf: w.buffer, len: w.length, groups, counts });
    }
  }

  private async flush(dest: number): Promise<void> {
    const sender = this.senders[dest]!;
    if (sender instanceof LocalChannel) return;
    const byGroup = this.buffers[dest]!;
    if (byGroup.size === 0) return;
    const t0 = performance.now();
    const w = new ByteWriter(64 + this.buffered[dest]! * 16);
    const groups: number[] = [];
    const counts: number[] = [];
    for (const [group, rows] of [...byGroup].sort((a, b) => a[0] - b[0])) {
      this.routing.codec.write(w, rows);
      groups.push(group);
      counts.push(rows.length);
    }
    byGroup.clear();
    this.buffered[dest] = 0;
    sender.stats.ms += performance.now() - t0;
    await sender.send({ t: 'frame', buf: w.buffer, len: w.length, groups, counts });
  }
}
