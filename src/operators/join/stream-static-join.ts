// A stream joined to a static DataFrame: stateless, nothing checkpointed. The static side is
// evaluated afresh at the first rows of every epoch (so a change to it shows in the next
// micro-batch) and hashed by its join key; each streaming row probes it. Supported: inner;
// left outer, left semi and left anti with the stream on the left; right outer with the stream
// on the right (start() refuses the rest).
import type { Row } from '../../actors/messages.js';
import type { OperatorLogic } from '../../actors/operator.js';
import type { JoinNode, LogicalPlan } from '../../plan/logical.js';
import type { JoinFunctions } from './join-functions.js';
import { compileJoinFunctions } from './join-functions.js';
import type { JoinSide } from './pair.js';

export function streamStaticJoin(node: JoinNode, streamSide: JoinSide, loadStatic: (plan: LogicalPlan) => Promise<Row[]>): OperatorLogic {
  const f = compileJoinFunctions(node);
  const staticPlan = streamSide === 'left' ? node.right : node.left;
  const probe = prober(node, f, streamSide);
  let table: Map<string, Row[]> | null = null;

  return {
    name: 'streamStaticJoin',
    stores: [],
    async process(rows, _input, ctx) {
      table ??= hashByKey(await loadStatic(staticPlan), streamSide === 'left' ? f.right : f.left);
      const out: Row[] = [];
      for (const row of rows) probe(row, table, out);
      ctx.emit(out);
    },
    onEpochEnd() {
      table = null;
    },
  };
}

function hashByKey(rows: readonly Row[], side: JoinFunctions['left']): Map<string, Row[]> {
  const table = new Map<string, Row[]>();
  for (const row of rows) {
    if (!side.filter(row)) continue;
    const key = side.key(row);
    if (key === undefined) continue;
    const list = table.get(key);
    if (list) list.push(row);
    else table.set(key, [row]);
  }
  return table;
}

type Probe = (row: Row, table: Map<string, Row[]>, out: Row[]) => void;

function prober(node: JoinNode, f: JoinFunctions, streamSide: JoinSide): Probe {
  const type = node.joinType;
  if (streamSide === 'right') {
    if (type !== 'inner' && type !== 'rightOuter') throw unsupported(node, streamSide);
    const outer = type === 'rightOuter';
    return (row, table, out) => {
      const matches = f.right.filter(row) ? candidates(f.right.key(row), table) : undefined;
      let matched = false;
      if (matches) for (const s of matches) if (f.matches(s, row)) { matched = true; out.push(f.output(s, row)); }
      if (outer && !matched) out.push(f.output(null, row));
    };
  }
  if (type === 'rightOuter' || type === 'fullOuter') throw unsupported(node, streamSide);
  return (row, table, out) => {
    const matches = f.left.filter(row) ? candidates(f.left.key(row), table) : undefined;
    let matched = false;
    if (matches) {
      for (const s of matches) {
        if (!f.matches(row, s)) continue;
        matched = true;
        if (type === 'leftSemi' || type === 'leftAnti') break;
        out.push(f.output(row, s));
      }
    }
    if (type === 'leftSemi' ? matched : type === 'leftAnti' ? !matched : type === 'leftOuter' && !matched) out.push(f.output(row, null));
  };
}

function candidates(key: string | undefined, table: Map<string, Row[]>): Row[] | undefined {
  return key === undefined ? undefined : table.get(key);
}

function unsupported(node: JoinNode, streamSide: JoinSide): Error {
  return new Error(`internal: a ${node.joinType} join with the stream on the ${streamSide} reached the operator (start() refuses it)`);
}
