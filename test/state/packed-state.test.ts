// Packed state files (one per store and version for every partition) and the per-partition
// layout they replace on local directories: whichever layout each epoch was written in, and
// whenever maintenance ran, every retained version restores to exactly the state after its
// epoch, in every partition; a packed file decodes to the partitions it was given.
import fc from 'fast-check';
import type { BlobWrite } from '../../src/state/backend.js';
import { CheckpointLog } from '../../src/state/checkpoint-log.js';
import { InMemoryKeyedStore } from '../../src/state/keyed-store.js';
import { MemoryBackend } from '../../src/state/memory-backend.js';
import { decodePacked, encodePacked, packedPartitions } from '../../src/state/packed-state.js';
import { StateMaintenance } from '../../src/state/state-maintenance.js';
import { StateRepository } from '../../src/state/state-repository.js';

/** A memory backend whose packing can be switched between epochs (as a local checkpoint resumed by an older or newer spate). */
class SwitchingBackend extends MemoryBackend {
  packsState = false;
}

type Op = { k: 'put'; key: string; value: number } | { k: 'delete'; key: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('put' as const), key: fc.integer({ min: 0, max: 20 }).map((i) => `k${i}`), value: fc.integer() }),
  fc.record({ k: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }).map((i) => `k${i}`) }),
);

const PARTITIONS = 4;

describe('packed state files', () => {
  it('encode and decode the partitions they are given, in partition order', () => {
    const blob = encodePacked(new Map([
      [3, { keys: ['c', 'd'], values: [{ n: 1 }, undefined] }],
      [1, { keys: ['a'], values: ['x'] }],
    ]));
    expect(packedPartitions(blob)).toEqual([1, 3]);
    expect(decodePacked(blob)).toEqual({ keys: ['a', 'c', 'd'], values: ['x', { n: 1 }, undefined], groups: [{ partition: 1, from: 0, to: 1 }, { partition: 3, from: 1, to: 3 }] });
    expect(() => decodePacked(blob.subarray(0, blob.length - 3))).toThrow(RangeError);
    expect(() => decodePacked(Buffer.from('not a packed blob at all'))).toThrow(/bad magic number/);
  });

  it('every retained version restores to the state after its epoch, whatever layout each epoch used (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ ops: fc.array(op, { maxLength: 8 }), packed: fc.boolean(), maintain: fc.boolean() }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }),
      async (epochs, minDeltasForSnapshot, minBatchesToRetain) => {
        const backend = new SwitchingBackend();
        const log = new CheckpointLog(backend);
        const repo = new StateRepository(backend);
        const maintenance = new StateMaintenance(log, repo, { minDeltasForSnapshot, minBatchesToRetain, intervalMs: 0 });
        const store = new InMemoryKeyedStore<number>('default', PARTITIONS);
        const history: Array<Map<string, number>> = [new Map()];
        let lastMaintained = -1;
        for (const [epoch, { ops, packed, maintain }] of epochs.entries()) {
          backend.packsState = packed;
          for (const o of ops) {
            if (o.k === 'put') store.put(o.key, o.value);
            else store.delete(o.key);
          }
          repo.stageDelta('op', 'default', epoch + 1, store.takeDelta());
          const writes: BlobWrite[] = [...repo.takeStaged(), log.commitBlob({ epoch, nextBatchWatermarkMs: 0, state: repo.index() })];
          await backend.writeAll(writes);
          history.push(new Map(store.entries()));
          if (maintain) {
            await maintenance.runOnce(epoch);
            lastMaintained = epoch;
          }
        }
        const latest = epochs.length;
        const earliest = lastMaintained < 0 ? 1 : Math.max(1, lastMaintained + 1 - minBatchesToRetain + 1);
        for (let v = earliest; v <= latest; v++) {
          const all = new Map<string, unknown>();
          const byPartition = new Map<number, Map<string, unknown>>();
          await repo.restore('op', 'default', v, (keys, values, partition) => {
            let m = byPartition.get(partition);
            if (!m) byPartition.set(partition, (m = new Map()));
            keys.forEach((k, i) => {
              expect(store.partitionOfKey(k)).toBe(partition);
              if (values[i] === undefined) { all.delete(k); m!.delete(k); } else { all.set(k, values[i]); m!.set(k, values[i]); }
            });
          }, { readOnly: true });
          expect(all).toEqual(history[v]);
          // One partition alone (as a worker thread restores the key groups it owns).
          const one = new Map<string, unknown>();
          await repo.restore('op', 'default', v, (keys, values) => {
            keys.forEach((k, i) => { if (values[i] === undefined) one.delete(k); else one.set(k, values[i]); });
          }, { readOnly: true, partitions: [1] });
          expect(one).toEqual(new Map([...history[v]!].filter(([k]) => store.partitionOfKey(k) === 1)));
        }
        // A restore as a run does it: what the last commit says was written must be there.
        const committed = await log.readCommit(latest - 1);
        repo.expect(committed?.state, []);
        const live = new Map<string, unknown>();
        await repo.restore('op', 'default', latest, (keys, values) => {
          keys.forEach((k, i) => { if (values[i] === undefined) live.delete(k); else live.set(k, values[i]); });
        });
        expect(live).toEqual(history[latest]);
      },
    ), { numRuns: 150 });
  });
});
