// limit(n) on a stream. Where its input only appends (append mode; complete mode below every
// aggregation) the count is kept in state across epochs, as Spark's StreamingGlobalLimitExec:
// once n rows have passed, no more ever do, also after a restart. Above an aggregation in
// complete mode each epoch re-emits the whole result, so each epoch is limited on its own.
import type { OperatorLogic } from '../actors/operator.js';
import type { LimitNode } from '../plan/logical.js';

const STORE = 'default';
/** The one key of the state: the rows passed so far. */
const COUNT_KEY = '';

/** The count kept in state across epochs. */
export function streamingGlobalLimit(node: LimitNode): OperatorLogic {
  return {
    // Spark's StreamingGlobalLimitExec keeps StateStoreWriter's default name in progress.
    name: 'defaultName',
    stores: [STORE],
    process(rows, _input, ctx) {
      const store = ctx.store<number>(STORE);
      const before = store.get(COUNT_KEY) ?? 0;
      const room = node.n - before;
      if (room <= 0) return;
      const passed = rows.length <= room ? rows : rows.slice(0, room);
      store.put(COUNT_KEY, before + passed.length);
      ctx.emit(passed);
    },
  };
}

/** Each epoch's output limited on its own (complete mode above an aggregation). */
export function epochLimit(node: LimitNode): OperatorLogic {
  let passed = 0;
  return {
    name: 'limit',
    stores: [],
    process(rows, _input, ctx) {
      const room = node.n - passed;
      if (room <= 0) return;
      const out = rows.length <= room ? rows : rows.slice(0, room);
      passed += out.length;
      ctx.emit(out);
    },
    onEpochEnd() {
      passed = 0;
    },
  };
}
