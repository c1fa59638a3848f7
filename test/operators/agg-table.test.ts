// The aggregation's columnar state and its generated stage, without the actors: the same rows
// give the same groups however they are split into chunks or into partial tables merged after
// (the map-side combine of a many-core run); an epoch's delta, encoded from the columns,
// restores the same groups; evicted groups leave deletions in the delta and their slots are
// reused without mixing groups up.
import fc from 'fast-check';
import { MemoryStream, avg, col, count, lit, max, sum, window, types as T } from 'spate';
import type { Row } from 'spate';
import type { AggregateNode } from '../../src/plan/logical.js';
import { AggTable, keyNormalizer } from '../../src/operators/agg-table.js';
import { LateGroups, compileAggregateStage } from '../../src/operators/aggregate-stage.js';
import { decodeEntryBlob, encodeEntryBlob, encodeWrittenEntries } from '../../src/state/entry-codec.js';
import { encodePacked, encodePackedEntries } from '../../src/state/packed-state.js';
import { ByteReader, ByteWriter } from '../../src/data/bytes.js';
import { partitionOf } from '../../src/state/keyed-store.js';
import type { PartialSlots } from '../../src/operators/partial-aggregate.js';
import { PartialGroups, partialCodec } from '../../src/operators/partial-aggregate.js';
import { compileAggregateColumns } from '../../src/operators/aggregate-output.js';
import { schemaCodec } from '../../src/data/chunk-codec.js';
import { testSession } from '../support/helpers.js';

const schema = T.struct([T.field('ts', T.timestamp()), T.field('user', T.string()), T.field('n', T.integer())]);
const T0 = Date.UTC(2024, 0, 1);

function aggregateNode(): AggregateNode {
  const input = new MemoryStream(testSession(), schema);
  const df = input.toDF().groupBy(window(col('ts'), '10 seconds'), col('user'))
    .agg(sum('n').alias('total'), count(lit(1)).alias('rows'), avg('n').alias('mean'), max('user').alias('top'));
  const node = df.plan;
  if (node.k !== 'aggregate') throw new Error(`expected an aggregate, got ${node.k}`);
  return node;
}

const node = aggregateNode();
const stage = compileAggregateStage(node, [], false);
const newTable = (partitions = 4): AggTable =>
  new AggTable('default', partitions, true, node.keys.map((k) => keyNormalizer(k.expr.type)), node.aggregates.map((a) => a.fn));

/** Every group as an entry, keyed by its store key (an order-free picture of the table). */
function picture(t: AggTable): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const slot of t.slots()) out[t.storeKey(slot)] = t.entryOf(slot);
  return out;
}

function aggregate(t: AggTable, rows: Row[]): void {
  stage.run(rows, t, { lateWatermarkMs: 0, late: new LateGroups(), ctx: null }, { malformedDropped: 0 }, []);
}

const event = fc.record({
  ts: fc.integer({ min: 0, max: 60_000 }).map((ms) => new Date(T0 + ms)),
  user: fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.constant(null)),
  n: fc.oneof(fc.integer({ min: -100, max: 100 }), fc.constant(null)),
});

describe('the aggregation table', () => {
  it('gives the same groups for rows in one chunk, in many chunks, or in partial tables merged after (property)', () => {
    fc.assert(fc.property(fc.array(event, { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 5 }), (rows, cuts) => {
      const whole = newTable();
      aggregate(whole, rows);
      const points = [...new Set(cuts.map((c) => c % (rows.length + 1)))].sort((a, b) => a - b);
      const pieces = [0, ...points, rows.length].slice(1).map((end, i, all) => rows.slice(i === 0 ? 0 : all[i - 1], end));
      const chunked = newTable();
      for (const piece of pieces) aggregate(chunked, piece);
      const merged = newTable();
      for (const piece of pieces) {
        const partial = newTable();
        aggregate(partial, piece);
        merged.mergeFrom(partial);
      }
      expect(picture(chunked)).toEqual(picture(whole));
      expect(picture(merged)).toEqual(picture(whole));
    }), { numRuns: 200 });
  });

  it('gives the same groups when partial tables cross the exchange as key-group sections and merge from their columns (property)', () => {
    const codec = partialCodec(node);
    fc.assert(fc.property(fc.array(fc.array(event, { maxLength: 80 }), { maxLength: 4 }), (pieces) => {
      const whole = newTable();
      for (const piece of pieces) aggregate(whole, piece);
      const merged = newTable();
      for (const piece of pieces) {
        const partial = newTable();
        aggregate(partial, piece);
        const groups = PartialGroups.of(partial);
        const w = new ByteWriter(64);
        const sections: number[] = [];
        for (let g = 0; g < partial.partitions; g++) {
          if (groups.count(g) === 0) continue;
          groups.write(codec, w, g);
          sections.push(g);
        }
        expect(sections.reduce((n, g) => n + groups.count(g), 0)).toBe(partial.size);
        const r = new ByteReader(w.buffer, 0, w.length);
        for (const g of sections) {
          const { n, cols } = codec.readColumns(r);
          // Every group of a section belongs to its key group.
          for (let i = 0; i < n; i++) expect(partial.keyGroupOf(partial.find(node.keys.map((_, k) => cols[k]![i]), cols[node.keys.length]![i] as number)!)).toBe(g);
          merged.mergeColumns(n, cols);
        }
        // A group's key group is its state-store key's partition.
        for (const slot of partial.slots()) expect(partial.keyGroupOf(slot)).toBe(partitionOf(partial.storeKey(slot), partial.partitions));
        // The same groups as rows, for a transport that moves rows.
        expect(groups.rows().map((p) => p.g).sort()).toEqual([...partial.slots()].map((s) => partial.keyGroupOf(s)).sort());
      }
      expect(picture(merged)).toEqual(picture(whole));
    }), { numRuns: 200 });
  });

  it('gives the same groups when the owner merges its own partial groups in place and another thread\'s encoded, in any order (property)', () => {
    const codec = partialCodec(node);
    // Thread 0 owns key groups 0 and 2, thread 1 key groups 1 and 3.
    const owners = Array.from({ length: 4 }, (_, g) => g % 2);
    const picked = (t: AggTable, thread: number): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const slot of t.slots()) if (owners[t.keyGroupOf(slot)] === thread) out[t.storeKey(slot)] = t.entryOf(slot);
      return out;
    };
    const epoch = fc.record({ rows: fc.array(event, { maxLength: 80 }), cut: fc.nat(), inPlaceFirst: fc.boolean() });
    fc.assert(fc.property(fc.array(epoch, { maxLength: 4 }), (epochs) => {
      const whole = newTable();
      const owner = newTable();
      for (const { rows, cut, inPlaceFirst } of epochs) {
        aggregate(whole, rows);
        // Each epoch's rows read partly by thread 0 (the owner) and partly by thread 1.
        const at = cut % (rows.length + 1);
        const here = newTable();
        aggregate(here, rows.slice(0, at));
        const there = newTable();
        aggregate(there, rows.slice(at));
        const mine = PartialGroups.of(here).take(owners, 0) as unknown as PartialSlots | null;
        for (const slot of mine?.slots ?? []) expect(owners[here.keyGroupOf(slot)]).toBe(0);
        expect(mine?.slots.length ?? 0).toBe(Object.keys(picked(here, 0)).length);
        const inPlace = (): void => { if (mine) owner.mergeSlots(here, mine.slots); };
        const encoded = (): void => {
          const groups = PartialGroups.of(there);
          const sections = [0, 2].filter((g) => groups.count(g) > 0);
          const w = new ByteWriter(64);
          for (const g of sections) groups.write(codec, w, g);
          const r = new ByteReader(w.buffer, 0, w.length);
          for (const _ of sections) {
            const { n, cols } = codec.readColumns(r);
            owner.mergeColumns(n, cols);
          }
        };
        if (inPlaceFirst) { inPlace(); encoded(); } else { encoded(); inPlace(); }
      }
      expect(picture(owner)).toEqual(picked(whole, 0));
    }), { numRuns: 200 });
  });

  it('encodes its output columns taken from the table as the output rows encode', () => {
    const columns = compileAggregateColumns(node)!;
    expect(columns).not.toBeNull();
    const codec = schemaCodec(node.schema);
    const t = newTable();
    aggregate(t, Array.from({ length: 300 }, (_, i) => ({ ts: new Date(T0 + i * 137), user: i % 7 === 0 ? null : `u${i % 5}`, n: i % 11 === 0 ? null : i })));
    const slots = [...t.slots()];
    const rows = slots.map((s) => {
      const w = t.windowOf(s)!;
      const [total, rowsCount, mean, top] = node.aggregates.map((a, j) => a.fn.result(t.accumulator(s, j)));
      return { window: { start: new Date(w), end: new Date(w + 10_000) }, user: t.keyValues(s)[0], total, rows: rowsCount, mean, top };
    });
    const w = new ByteWriter(64);
    codec.writeColumns(w, slots.length - 10, columns(t, slots, 10, slots.length));
    expect(new Uint8Array(w.buffer, 0, w.length)).toEqual(new Uint8Array(codec.encode(rows.slice(10)).buffer, 0, codec.encode(rows.slice(10)).byteLength));
    expect(codec.decode({ buffer: w.buffer, byteLength: w.length, rows: slots.length - 10 })).toEqual(rows.slice(10));
  });

  it('restores from its encoded deltas the groups it had, evictions included (property)', () => {
    fc.assert(fc.property(fc.array(fc.array(event, { maxLength: 60 }), { maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 5 }), (epochs, evictAt) => {
      const live = newTable();
      const restored = newTable();
      epochs.forEach((rows, e) => {
        aggregate(live, rows);
        // Evict the windows that ended by this epoch's watermark.
        const wm = T0 + (evictAt[e] ?? 0);
        for (const slot of live.slotsOfWindowsEndingBy(wm, 10_000)) live.remove(slot);
        for (const [, part] of live.takeDelta()) {
          const decoded = decodeEntryBlob(encodeEntryBlob(part, live.recordLayout));
          restored.load(decoded.keys, decoded.values);
        }
      });
      restored.finishRestore();
      expect(picture(restored)).toEqual(picture(live));
      expect(restored.size).toBe(live.size);
    }), { numRuns: 200 });
  });

  it('writes its delta straight from its columns as the very bytes of its entries through the codec, packed or per partition (property)', () => {
    fc.assert(fc.property(fc.array(fc.array(event, { maxLength: 60 }), { maxLength: 4 }), fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 4 }), (epochs, evictAt) => {
      const direct = newTable();
      const generic = newTable();
      epochs.forEach((rows, e) => {
        for (const t of [direct, generic]) {
          aggregate(t, rows);
          for (const slot of t.slotsOfWindowsEndingBy(T0 + (evictAt[e] ?? 0), 10_000)) t.remove(slot);
        }
        const written = direct.takeEncodableDelta();
        const delta = generic.takeDelta();
        expect(written.partitions).toEqual([...delta.keys()].sort((a, b) => a - b));
        expect(encodePackedEntries(written)).toEqual(encodePacked(delta, generic.recordLayout));
        written.partitions.forEach((p, i) => {
          expect(written.counts[i]).toBe(delta.get(p)!.keys.length);
          expect(encodeWrittenEntries((out) => written.write(i, out))).toEqual(encodeEntryBlob(delta.get(p)!, generic.recordLayout));
        });
      });
    }), { numRuns: 200 });
  });

  it('reuses an evicted group\'s slot only after the delta that records the eviction', () => {
    const t = newTable(1);
    aggregate(t, [{ ts: new Date(T0 + 1000), user: 'a', n: 1 }]);
    t.takeDelta();
    const [slot] = [...t.slots()];
    aggregate(t, [{ ts: new Date(T0 + 1000), user: 'a', n: 2 }]);
    t.remove(slot!);
    aggregate(t, [{ ts: new Date(T0 + 30_000), user: 'b', n: 5 }]);
    // As Spark counts its puts: a updated then evicted in the epoch counts as updated and removed.
    expect(t.metrics()).toEqual({ numRowsTotal: 1, numRowsUpdated: 2, numRowsRemoved: 1 });
    const delta = t.takeDelta().get(0)!;
    // Each key once: the deletion of a, the new group b.
    expect(delta.keys).toHaveLength(2);
    const decoded = decodeEntryBlob(encodeEntryBlob(delta, t.recordLayout));
    const byKey = Object.fromEntries(decoded.keys.map((k, i) => [k, decoded.values[i]]));
    expect(byKey[`${T0}\u0003a`]).toBeUndefined();
    expect(Object.keys(byKey)).toContain(`${T0}\u0003a`);
    expect(byKey[`${T0 + 30_000}\u0003b`]).toEqual({ k: ['b'], w: T0 + 30_000, a: [5, 1, { n: 1, sum: 5 }, 'b'] });
    // The freed slot is reused now, for a new group, and the old group is gone.
    aggregate(t, [{ ts: new Date(T0 + 50_000), user: 'c', n: 7 }]);
    expect(t.size).toBe(2);
    expect(Object.values(picture(t))).toEqual(expect.arrayContaining([{ k: ['c'], w: T0 + 50_000, a: [7, 1, { n: 1, sum: 7 }, 'c'] }]));
  });
});
