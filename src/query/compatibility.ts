// Restart compatibility: the checkpoint records a fingerprint of every stateful operator; a
// restart whose plan changes one (keys, aggregates, dedup columns, join type or schema, state
// schema) is refused with a message naming the operator and the difference.
import { CheckpointError } from '../errors.js';
import { sqlText } from '../expr/tree.js';
import type { BoundExpr } from '../expr/bound.js';
import { typeToString } from '../expr/types.js';
import type { LogicalPlan } from '../plan/logical.js';
import { statefulOperatorIds } from '../plan/physical.js';
import type { CheckpointMetadata, OperatorFingerprint } from '../state/checkpoint-log.js';

export function fingerprints(plan: LogicalPlan): Record<string, OperatorFingerprint> {
  const out: Record<string, OperatorFingerprint> = {};
  for (const [node, id] of statefulOperatorIds(plan)) out[id] = fingerprint(node);
  return out;
}

function fingerprint(node: LogicalPlan): OperatorFingerprint {
  switch (node.k) {
    case 'aggregate': {
      const w = node.window;
      return {
        kind: 'aggregate',
        properties: {
          'grouping keys': node.keys.map((k) => `${k.name}: ${typeToString(k.expr.type)}`).join(', ') || '(none)',
          window: w === null ? '(none)'
            : w.kind === 'window' ? `window(${exprText(w.timeColumn)}, ${w.windowMs} ms, slide ${w.slideMs} ms, start ${w.startMs} ms)`
            : `session_window(${exprText(w.timeColumn)}, gap ${w.gapMs ?? exprText(w.gapExpr!)})`,
          aggregates: node.aggregates.map((a) => `${a.fn.name}(${a.args.map(exprText).join(', ')}): ${typeToString(a.fn.type)}`).join(', '),
        },
      };
    }
    case 'dedup':
      return { kind: node.withinWatermark ? 'dropDuplicatesWithinWatermark' : 'dropDuplicates', properties: { columns: node.columns.join(', ') } };
    case 'join':
      return {
        kind: 'join',
        properties: {
          'join type': node.joinType,
          'left schema': typeToString(node.left.schema),
          'right schema': typeToString(node.right.schema),
          'join keys': node.leftKeys.map((l, i) => `${exprText(l)} = ${exprText(node.rightKeys[i]!)}`).join(' AND ') || '(none)',
        },
      };
    case 'groupState':
      return {
        kind: node.single ? 'mapGroupsWithState' : 'flatMapGroupsWithState',
        properties: {
          timeout: node.timeout,
          'operator mode': node.operatorMode,
          ...(node.stateSchema ? { 'state schema': typeToString(node.stateSchema) } : {}),
        },
      };
    default:
      return { kind: node.k, properties: {} };
  }
}

function exprText(e: BoundExpr): string {
  switch (e.k) {
    case 'ref': return e.name;
    case 'field': return `${exprText(e.child)}.${e.name}`;
    case 'lit': return sqlText({ k: 'lit', value: e.value, type: e.type });
    case 'call': return `${e.fn.name}(${e.args.map(exprText).join(', ')})`;
    default: return `${e.k}(${typeToString(e.type)})`;
  }
}

const HOW_TO_PROCEED = 'To run the changed query, start it with a new checkpointLocation (its state starts empty), or undo the change.';

export function checkCompatibility(meta: CheckpointMetadata, current: Record<string, OperatorFingerprint>, location: string): void {
  const problems: string[] = [];
  for (const [id, old] of Object.entries(meta.operators)) {
    const now = current[id];
    if (!now) {
      problems.push(`the stateful operator '${id}' (${old.kind}) that the checkpoint holds state for is no longer in the query`);
      continue;
    }
    if (now.kind !== old.kind) {
      problems.push(`stateful operator '${id}' was ${old.kind} and is now ${now.kind}`);
      continue;
    }
    for (const [prop, was] of Object.entries(old.properties)) {
      const is = now.properties[prop];
      if (is !== was) problems.push(`stateful operator '${id}' (${old.kind}) changed its ${prop}: it was [${was}] and is now [${is ?? '(none)'}]`);
    }
  }
  for (const [id, now] of Object.entries(current)) {
    if (!meta.operators[id]) problems.push(`the query has a new stateful operator '${id}' (${now.kind}) for which the checkpoint has no state`);
  }
  if (problems.length) {
    throw new CheckpointError(`the query cannot resume from checkpoint ${location}: ${problems.join('; ')}. ${HOW_TO_PROCEED}`);
  }
}
