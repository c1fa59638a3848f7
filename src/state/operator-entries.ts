// One stateful operator's entries as of a version, per store and shuffle partition, read
// without changing the checkpoint (no lock, no file deleted): `spate state inspect` reads a
// running query's state this way, and `spate state migrate` reads what it rewrites.
import { CheckpointError } from '../errors.js';
import type { StateRepository } from './state-repository.js';
import { entriesByPartition } from './state-repository.js';

/** Store name → shuffle partition → key → value. */
export type OperatorEntries = Map<string, Map<number, Map<string, unknown>>>;

export async function readOperatorEntries(repo: StateRepository, operatorId: string, version: number): Promise<OperatorEntries> {
  const stores = new Set(await repo.packedStores(operatorId));
  for (const partition of await repo.partitions(operatorId)) for (const store of await repo.stores(operatorId, partition)) stores.add(store);
  const out: OperatorEntries = new Map();
  for (const store of stores) out.set(store, await readStore(repo, operatorId, store, version));
  return out;
}

/** A running query's maintenance may delete a file between listing and reading it: read again. */
async function readStore(repo: StateRepository, operatorId: string, store: string, version: number): Promise<Map<number, Map<string, unknown>>> {
  for (let attempt = 0; ; attempt++) {
    const partitions = new Map<number, Map<string, unknown>>();
    try {
      if (version > 0) {
        await repo.restore(operatorId, store, version, entriesByPartition(partitions), { readOnly: true });
      }
      return partitions;
    } catch (e) {
      if (!(e instanceof CheckpointError && e.retriable) || attempt >= 3) throw e;
    }
  }
}
