// Restart compatibility: the checkpoint records a fingerprint of every stateful operator and
// the formats of the sources; a restart whose plan changes one (keys, aggregates, dedup columns,
// join type or schema, state schema; the number or kind of sources) is refused with a message
// naming the operator and the difference. Anything else — a filter, a projection, a rate limit,
// a sink option — is not fingerprinted, so such a change resumes.
import { CheckpointError } from '../errors.js';
import { sqlText } from '../expr/tree.js';
import type { BoundExpr } from '../expr/bound.js';
import { NULL, fieldOf, structOf, typeToString } from '../expr/types.js';
import type { LogicalPlan, OutputMode, SourceNode } from '../plan/logical.js';
import { nodes } from '../plan/logical.js';
import { statefulOperatorIds } from '../plan/physical.js';
import type { CheckpointMetadata, OperatorFingerprint } from '../state/checkpoint-log.js';

export function fingerprints(plan: LogicalPlan, mode: OutputMode): Record<string, OperatorFingerprint> {
  const out: Record<string, OperatorFingerprint> = {};
  for (const [node, id] of statefulOperatorIds(plan, mode)) out[id] = fingerprint(node);
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
          // Sessions are kept in the key group of their grouping key (so one thread merges them).
          ...(w?.kind === 'session' ? { 'state partitioning': 'by grouping key' } : {}),
        },
        names: {
          aggregates: node.aggregates.map((a) => node.outputs.find((o) => o.expr.k === 'ref' && o.expr.name === a.slot)?.name
            ?? `${a.fn.name}(${a.args.map(exprText).join(', ')})`),
        },
      };
    }
    case 'dedup':
      return {
        kind: node.withinWatermark ? 'dropDuplicatesWithinWatermark' : 'dropDuplicates',
        properties: {
          columns: node.columns.join(', '),
          'state schema': `key ${typeToString(structOf(node.columns.map((c) => node.child.schema.fields.find((f) => f.name === c) ?? fieldOf(c, NULL))))}`,
        },
      };
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

/**
 * The items of a list-valued fingerprint property ('grouping keys', 'aggregates', 'columns'),
 * split at the commas that separate them (not those inside parentheses, type brackets or quotes).
 */
export function fingerprintItems(text: string): string[] {
  if (text === '' || text === '(none)') return [];
  return splitTopLevel(text, ', ');
}

/** What a `name: type` item (a grouping key, an aggregate) names: the text before its type. */
export function itemName(item: string): string {
  return splitTopLevel(item, ': ')[0]!;
}

/** Splits at `separator` where it is outside parentheses, brackets and quotes. */
function splitTopLevel(text: string, separator: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== null) {
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(' || ch === '<' || ch === '[') depth++;
    else if (ch === ')' || ch === '>' || ch === ']') depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      items.push(text.slice(from, i));
      from = i + separator.length;
      i = from - 1;
    }
  }
  items.push(text.slice(from));
  return items;
}

/** The sources of a plan, in the order the engine numbers them: each one's format. */
export function sourceFingerprints(plan: LogicalPlan): string[] {
  const seen = new Set<SourceNode>();
  for (const n of nodes(plan)) if (n.k === 'source') seen.add(n);
  return [...seen].map((n) => n.format.toLowerCase());
}

const HOW_TO_PROCEED = 'To run the changed query, start it with a new checkpointLocation (its state starts empty), or undo the change.';
const NAMING_HINT = "Naming stateful operators with .named('...') keeps their state attached to them when other operators are added or removed.";

export interface PlanFingerprints {
  readonly operators: Record<string, OperatorFingerprint>;
  readonly sources: readonly string[];
}

export function checkCompatibility(meta: CheckpointMetadata, plan: PlanFingerprints, location: string): void {
  if (meta.migrating) {
    throw new CheckpointError(
      `a state migration of operator '${meta.migrating.operator}' in checkpoint ${location} was interrupted: ` +
      'run the same `spate state migrate` again to finish it (it restores the state it started from first), then start the query',
    );
  }
  const current = plan.operators;
  const problems: string[] = [];
  let moved = false;
  if (meta.sources && meta.sources.join(',') !== plan.sources.join(',')) {
    problems.push(
      `the checkpoint was written by a query reading ${describeSources(meta.sources)}, and this query reads ${describeSources(plan.sources)}: ` +
      'the number and kind of sources must not change',
    );
  }
  for (const [id, old] of Object.entries(meta.operators)) {
    const now = current[id];
    if (!now) {
      problems.push(`the stateful operator '${id}' (${old.kind}) that the checkpoint holds state for is no longer in the query`);
      moved ||= !isNamed(id);
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
    if (!meta.operators[id]) {
      problems.push(`the query has a new stateful operator '${id}' (${now.kind}) for which the checkpoint has no state`);
      moved ||= !isNamed(id);
    }
  }
  if (problems.length) {
    throw new CheckpointError(
      `the query cannot resume from checkpoint ${location}: ${problems.join('; ')}. ${HOW_TO_PROCEED}${moved ? ` ${NAMING_HINT}` : ''}`,
    );
  }
}

/** Unnamed operators get positional ids such as `aggregate-0`. */
function isNamed(id: string): boolean {
  return !/^[a-zA-Z]+-\d+$/.test(id);
}

function describeSources(formats: readonly string[]): string {
  if (formats.length === 0) return 'no source';
  return `${formats.length} source${formats.length === 1 ? '' : 's'} (${formats.join(', ')})`;
}
