// One stateful operator's entries as of a version, per store and shuffle partition, read
// without changing the checkpoint (no lock, no file deleted): `spate state inspect` reads a
// running query's state this way, and `spate state migrate` reads what it rewrites.
import { CheckpointError } from '../errors.js';
import type { StateRepository } from './state-repository.js';
import { filesForVersion } from './state-repository.js';

/** Store name → shuffle partition → key → value. */
export type OperatorEntries = Map<string, Map<number, Map<string, unknown>>>;

export async function readOperatorEntries(repo: StateRepository, operatorId: string, version: number): Promise<OperatorEntries> {
  const out: OperatorEntries = new Map();
  for (const partition of await repo.partitions(operatorId)) {
    for (const store of await repo.stores(operatorId, partition)) {
      let partitions = out.get(store);
      if (!partitions) out.set(store, (partitions = new Map()));
      partitions.set(partition, await readPartition(repo, operatorId, partition, store, version));
    }
  }
  return out;
}

/** A running query's maintenance may delete a file between listing and reading it: read again. */
async function readPartition(repo: StateRepository, operatorId: string, partition: number, store: string, version: number): Promise<Map<string, unknown>> {
  for (let attempt = 0; ; attempt++) {
    const entries = new Map<string, unknown>();
    try {
      if (version > 0 && filesForVersion(await repo.files(operatorId, partition, store), version).length > 0) {
        await repo.restorePartition(operatorId, partition, store, version, (keys, values) => {
          for (let i = 0; i < keys.length; i++) {
            if (values[i] === undefined) entries.delete(keys[i]!);
            else entries.set(keys[i]!, values[i]);
          }
        }, { readOnly: true });
      }
      return entries;
    } catch (e) {
      if (!(e instanceof CheckpointError && e.retriable) || attempt >= 3) throw e;
    }
  }
}
