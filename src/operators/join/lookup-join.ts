// A stream joined to a static DataFrame, as a step of a fused stage (Spark's broadcast hash join
// under whole-stage code generation): stateless, nothing checkpointed. The static side is read
// afresh at the first rows of every epoch (so a change to it shows in the next micro-batch) and
// hashed by its join key; each streaming row probes the table inside the stage's generated loop,
// and the joined row's columns are variables (the stream's) and reads of the static row: no
// joined row object is built unless something downstream needs a whole row. Supported: inner;
// left outer, left semi and left anti with the stream on the left; right outer with the stream
// on the right (start() refuses the rest).
import type { Row } from '../../data/row.js';
import type { ColumnBinding, Codegen, RowBinding } from '../../expr/codegen.js';
import { objectRow } from '../../expr/codegen.js';
import type { JoinNode, LogicalPlan } from '../../plan/logical.js';
import { compositeKey, singleKey } from '../group-key.js';
import type { SideFunctions } from './join-functions.js';
import { compileJoinFunctions } from './join-functions.js';
import type { JoinSide } from './pair.js';
import { otherSide, sidesOf } from './pair.js';

/** The static side of one stream-static join: its hash table for the current epoch. */
export class LookupJoin {
  readonly staticSide: JoinSide;
  /** The static rows by join key, for the epoch in progress (null until its first rows). */
  table: Map<string, Row[]> | null = null;
  private readonly staticFunctions: SideFunctions;

  constructor(
    readonly node: JoinNode,
    readonly streamSide: JoinSide,
    private readonly loadStatic: (plan: LogicalPlan) => Promise<Row[]>,
  ) {
    this.staticSide = otherSide(streamSide);
    const supported = streamSide === 'left'
      ? ['inner', 'leftOuter', 'leftSemi', 'leftAnti'].includes(node.joinType)
      : ['inner', 'rightOuter'].includes(node.joinType);
    if (!supported) {
      throw new Error(`internal: a ${node.joinType} join with the stream on the ${streamSide} reached the planner (start() refuses it)`);
    }
    this.staticFunctions = compileJoinFunctions(node)[this.staticSide];
  }

  /** Reads and hashes the static side, once per epoch. */
  async prepare(): Promise<void> {
    if (this.table) return;
    const rows = await this.loadStatic(this.staticSide === 'left' ? this.node.left : this.node.right);
    const table = new Map<string, Row[]>();
    for (const row of rows) {
      if (!this.staticFunctions.filter(row)) continue;
      const key = this.staticFunctions.key(row);
      if (key === undefined) continue;
      const list = table.get(key);
      if (list) list.push(row);
      else table.set(key, [row]);
    }
    this.table = table;
  }

  /** The epoch ended: the next one reads the static side afresh. */
  reset(): void {
    this.table = null;
  }
}

/** Runs `prepare` of every join among the steps (before a chunk is processed). */
export async function prepareLookups(joins: readonly LookupJoin[]): Promise<void> {
  for (const j of joins) await j.prepare();
}

/**
 * The generated code of the join for the stream row bound as `row`: probe, then `rest` (the
 * steps after the join) for each joined row. `skip` leaves the stream row; `label` names loops.
 */
export function lookupJoinCode(
  g: Codegen, join: LookupJoin, outputs: readonly string[] | undefined, row: RowBinding, skip: string, label: () => string,
  rest: (row: RowBinding, skip: string) => string[],
): string[] {
  const { node, streamSide, staticSide } = join;
  const type = node.joinType;
  const j = g.constant(join);
  const pair = (streamRow: RowBinding, staticRow: RowBinding): RowBinding =>
    ({ kind: 'columns', cols: new Map<string, ColumnBinding>([[streamSide, streamRow], [staticSide, staticRow]]) });
  const staticFields = (staticSide === 'left' ? node.left : node.right).schema.fields;
  const nullStatic: RowBinding = { kind: 'columns', cols: new Map(staticFields.map((f) => [f.name, 'null'])) };
  const residual = node.residual;
  const streamOnly = residual.filter((c) => { const s = sidesOf(c); return s.size === 1 && s.has(streamSide); });
  const both = residual.filter((c) => sidesOf(c).size !== 1);
  const streamKeys = streamSide === 'left' ? node.leftKeys : node.rightKeys;

  // The probe key: conjuncts reading the stream side alone first (a row failing them matches
  // nothing), then the key as the static table was hashed (join-functions.ts): undefined when a
  // `=` key value is null.
  // (A malformed value in the probe makes the row match nothing, as a null key does.)
  const lines: string[] = g.takeLines();
  const key = g.fresh('jk');
  const probeBlock = label();
  lines.push(`let ${key};`);
  g.skipRow = `${key} = undefined; break ${probeBlock}`;
  const probe: string[] = [];
  const conds = streamOnly.map((c) => g.value(c, pair(row, nullStatic)));
  probe.push(...g.takeLines());
  if (conds.length) probe.push(`if (!(${conds.map((c) => `${c} === true`).join(' && ')})) break ${probeBlock};`);
  const keyVals = streamKeys.map((k) => g.value(k, pair(row, nullStatic)));
  probe.push(...g.takeLines());
  const nullChecks = keyVals.filter((_, i) => !node.nullSafeKeys[i]).map((v) => `${v} == null`);
  const encoded = keyVals.length === 0 ? '""' : keyVals.length === 1
    ? `${g.constant(singleKey)}(${keyVals[0]})` : `${g.constant(compositeKey)}([${keyVals.join(', ')}])`;
  probe.push(`${key} = ${nullChecks.length ? `${nullChecks.join(' || ')} ? undefined : ` : ''}${encoded};`);
  lines.push(`${probeBlock}: {`, ...probe, '}');
  const matches = g.fresh('jm');
  lines.push(`const ${matches} = ${key} === undefined ? undefined : ${j}.table.get(${key});`);

  const matched = g.fresh('jmatched');
  const needsMatched = type !== 'inner';
  if (needsMatched) lines.push(`let ${matched} = false;`);
  const loop = label();
  const s = g.fresh('s');
  const staticRow = objectRow(s);
  lines.push(`if (${matches} !== undefined) {`, `${loop}: for (let ${s}i = 0; ${s}i < ${matches}.length; ${s}i++) {`, `const ${s} = ${matches}[${s}i];`);
  // A malformed value in the condition: this pair does not match.
  g.skipRow = `continue ${loop}`;
  for (const c of both) {
    const v = g.value(c, pair(row, staticRow));
    lines.push(...g.takeLines(), `if (${v} !== true) continue ${loop};`);
  }
  if (needsMatched) lines.push(`${matched} = true;`);
  if (type === 'leftSemi' || type === 'leftAnti') {
    lines.push(`break ${loop};`, '}', '}');
    lines.push(`if (${type === 'leftSemi' ? '' : '!'}${matched}) {`, ...rest(row, skip), '}');
    return lines;
  }
  const columns = outputs === undefined ? node.outputs : node.outputs.filter((o) => outputs.includes(o.name));
  lines.push(...rest(output(g, columns, streamSide, row, staticRow), `continue ${loop}`), '}', '}');
  if (type === 'leftOuter' || type === 'rightOuter') {
    g.skipRow = `counters.malformedDropped++; ${skip}`;
    lines.push(`if (!${matched}) {`, ...rest(output(g, columns, streamSide, row, nullStatic), skip), '}');
  }
  return lines;
}

/** The joined row's columns: the stream side's bindings and the static row's fields (null when unmatched). */
function output(g: Codegen, columns: JoinNode['outputs'], streamSide: JoinSide, streamRow: RowBinding, staticRow: RowBinding): RowBinding {
  const cols = new Map<string, ColumnBinding>();
  const read = (side: JoinSide, column: string): string => g.column(side === streamSide ? streamRow : staticRow, column);
  for (const o of columns) {
    const fromLeft = o.left === null ? null : read('left', o.left);
    const fromRight = o.right === null ? null : read('right', o.right);
    cols.set(o.name, fromLeft && fromRight ? g.assign(`${fromLeft} ?? ${fromRight}`) : (fromLeft ?? fromRight)!);
  }
  return { kind: 'columns', cols };
}
