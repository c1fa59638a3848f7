// Snapshots and retention: whatever the epochs changed and whenever maintenance ran, every
// retained version restores to exactly the state the store had after that epoch.
import fc from 'fast-check';
import { CheckpointLog } from '../../src/state/checkpoint-log.js';
import { InMemoryKeyedStore } from '../../src/state/keyed-store.js';
import { MemoryBackend } from '../../src/state/memory-backend.js';
import { StateMaintenance } from '../../src/state/state-maintenance.js';
import { StateRepository } from '../../src/state/state-repository.js';

type Op = { k: 'put'; key: string; value: number } | { k: 'delete'; key: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('put' as const), key: fc.integer({ min: 0, max: 15 }).map((i) => `k${i}`), value: fc.integer() }),
  fc.record({ k: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 15 }).map((i) => `k${i}`) }),
);

async function restored(repo: StateRepository, version: number): Promise<Map<string, unknown>> {
  const m = new Map<string, unknown>();
  await repo.restore('op', 'default', version, (keys, values) => {
    keys.forEach((k, i) => { if (values[i] === undefined) m.delete(k); else m.set(k, values[i]); });
  }, { readOnly: true });
  return m;
}

describe('state snapshots and retention', () => {
  it('every retained version restores to the state after its epoch (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ ops: fc.array(op, { maxLength: 6 }), maintain: fc.boolean() }), { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 6 }),
      async (epochs, minDeltasForSnapshot, minBatchesToRetain) => {
        const backend = new MemoryBackend();
        const log = new CheckpointLog(backend);
        const repo = new StateRepository(backend);
        const maintenance = new StateMaintenance(log, repo, { minDeltasForSnapshot, minBatchesToRetain, intervalMs: 0 });
        const store = new InMemoryKeyedStore<number>('default', 3);
        const history: Array<Map<string, number>> = [new Map()];
        let lastMaintained = -1;
        for (const [epoch, { ops, maintain }] of epochs.entries()) {
          for (const o of ops) {
            if (o.k === 'put') store.put(o.key, o.value);
            else store.delete(o.key);
          }
          repo.stageDelta('op', 'default', epoch + 1, store.takeDelta());
          await backend.writeAll([...repo.takeStaged(), log.commitBlob({ epoch, nextBatchWatermarkMs: 0 })]);
          history.push(new Map(store.entries()));
          if (maintain) {
            await maintenance.runOnce(epoch);
            lastMaintained = epoch;
          }
        }
        const latest = epochs.length;
        const earliest = lastMaintained < 0 ? 1 : Math.max(1, lastMaintained + 1 - minBatchesToRetain + 1);
        for (let v = earliest; v <= latest; v++) expect(await restored(repo, v)).toEqual(history[v]);
        // Retention bounds the logs.
        if (lastMaintained >= 0) expect((await log.epochs('commits'))[0]).toBe(Math.max(0, lastMaintained + 1 - minBatchesToRetain));
      },
    ), { numRuns: 150 });
  });

  it('writes a snapshot once enough deltas accumulated and deletes what no retained version needs', async () => {
    const backend = new MemoryBackend();
    const log = new CheckpointLog(backend);
    const repo = new StateRepository(backend);
    const maintenance = new StateMaintenance(log, repo, { minDeltasForSnapshot: 3, minBatchesToRetain: 2, intervalMs: 0 });
    const store = new InMemoryKeyedStore<number>('default', 1);
    const purgedUpTo: unknown[][] = [];
    maintenance.onLogsPurged = async (starts) => { purgedUpTo.push([...starts]); };
    for (let epoch = 0; epoch < 8; epoch++) {
      await log.writeOffsets({ epoch, batchWatermarkMs: 0, batchTimestampMs: 0, conf: {}, sources: [(epoch + 1) * 10] });
      store.put(`k${epoch % 3}`, epoch);
      repo.stageDelta('op', 'default', epoch + 1, store.takeDelta());
      await backend.writeAll([...repo.takeStaged(), log.commitBlob({ epoch, nextBatchWatermarkMs: 0 })]);
      if (epoch === 0) await backend.write('sources/0/initial', '0');
      await maintenance.runOnce(epoch);
    }
    // Snapshots at 3 and 6; versions 7 and 8 are retained and need snapshot 6 and the deltas after it.
    expect((await repo.files('op', 0, 'default')).map((f) => f.name)).toEqual(['6.delta', '6.snapshot', '7.delta', '8.delta']);
    expect(await log.epochs('offsets')).toEqual([6, 7]);
    expect(await log.epochs('commits')).toEqual([6, 7]);
    // The engine's record of the initial offsets went with epoch 0; each purge told the sources
    // where the oldest retained epoch starts.
    expect(await backend.list('sources/0')).toEqual([]);
    expect(purgedUpTo).toEqual([[10], [20], [30], [40], [50], [60]]);
    expect(await restored(repo, 8)).toEqual(new Map([['k0', 6], ['k1', 7], ['k2', 5]]));
  });
});
