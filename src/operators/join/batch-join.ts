// A join of two static DataFrames (collect(), the static side of a stream-static join): both
// inputs are finite, so the right side is hashed once the epoch ends and every join type is
// exact, including full outer and left anti.
import type { Row } from '../../data/row.js';
import type { OperatorLogic } from '../../actors/operator.js';
import type { JoinNode } from '../../plan/logical.js';
import { compileJoinFunctions } from './join-functions.js';

interface Probed {
  readonly row: Row;
  matched: boolean;
}

export function batchJoin(node: JoinNode): OperatorLogic {
  const f = compileJoinFunctions(node);
  const type = node.joinType;
  const inputs: [Row[], Row[]] = [[], []];

  return {
    name: 'batchJoin',
    stores: [],
    process(rows, input) {
      const into = inputs[input === 0 ? 0 : 1];
      for (const r of rows) into.push(r);
    },
    onEpochEnd(_barrier, ctx) {
      const [leftRows, rightRows] = inputs;
      const table = new Map<string, Probed[]>();
      const unmatchable: Probed[] = [];
      for (const row of rightRows) {
        const key = f.right.filter(row) ? f.right.key(row) : undefined;
        const entry = { row, matched: false };
        if (key === undefined) { unmatchable.push(entry); continue; }
        const list = table.get(key);
        if (list) list.push(entry);
        else table.set(key, [entry]);
      }
      const out: Row[] = [];
      for (const row of leftRows) {
        const key = f.left.filter(row) ? f.left.key(row) : undefined;
        const candidates = key === undefined ? undefined : table.get(key);
        let matched = false;
        if (candidates) {
          for (const c of candidates) {
            if (!f.matches(row, c.row)) continue;
            matched = true;
            c.matched = true;
            if (type === 'leftSemi' || type === 'leftAnti') break;
            out.push(f.output(row, c.row));
          }
        }
        if (type === 'leftSemi' ? matched : type === 'leftAnti' ? !matched : (type === 'leftOuter' || type === 'fullOuter') && !matched) {
          out.push(f.output(row, null));
        }
      }
      if (type === 'rightOuter' || type === 'fullOuter') {
        for (const list of [...table.values(), unmatchable]) for (const c of list) if (!c.matched) out.push(f.output(null, c.row));
      }
      inputs[0] = [];
      inputs[1] = [];
      ctx.emit(out);
    },
  };
}
