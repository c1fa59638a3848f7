// What an aggregation emits at the end of an epoch before eviction: every group in complete
// mode, the groups the epoch changed in update mode, nothing in append mode (append emits
// groups as the watermark evicts them).
import type { Row } from '../data/row.js';
import type { KeyValueStore } from '../state/keyed-store.js';
import type { OutputMode } from '../plan/logical.js';

export function rowsByMode<E>(mode: OutputMode, store: KeyValueStore<E>, output: (e: E) => Row): Row[] {
  const out: Row[] = [];
  if (mode === 'complete') {
    for (const [, e] of store.entries()) out.push(output(e));
  } else if (mode === 'update') {
    for (const key of store.changedKeys()) {
      const e = store.get(key);
      if (e) out.push(output(e));
    }
  }
  return out;
}
