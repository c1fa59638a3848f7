// Join planning: Spark's spellings of the join type, the `on` argument (a condition, one USING
// column name or a list of them), resolving names across the two sides, the output columns and
// the equi-join keys the operators hash on. Everything is checked here, so a bad join fails at
// join(), naming the column and what to do.
import { AnalysisError } from '../errors.js';
import { bind, findField } from '../expr/analyze.js';
import type { BoundExpr } from '../expr/bound.js';
import { parseExpression } from '../expr/parser.js';
import type { Expr } from '../expr/tree.js';
import { sqlText, transformDown } from '../expr/tree.js';
import type { Field, StructType } from '../expr/types.js';
import { fieldOf, isNumeric, structOf, typeToString, widerNumeric } from '../expr/types.js';
import type { JoinSide } from '../operators/join/pair.js';
import { conjuncts, pairSchema, sidesOf } from '../operators/join/pair.js';
import type { JoinNode, JoinOutputColumn, JoinType, LogicalPlan } from './logical.js';
import { isStreaming } from './logical.js';

/** The join types as Spark spells them (case and underscores are ignored). */
export type JoinHow =
  | 'inner' | 'cross'
  | 'outer' | 'full' | 'fullouter' | 'full_outer' | 'fullOuter'
  | 'left' | 'leftouter' | 'left_outer' | 'leftOuter'
  | 'right' | 'rightouter' | 'right_outer' | 'rightOuter'
  | 'semi' | 'leftsemi' | 'left_semi' | 'leftSemi'
  | 'anti' | 'leftanti' | 'left_anti' | 'leftAnti';

const JOIN_TYPES: Readonly<Record<string, JoinType>> = {
  inner: 'inner', cross: 'inner',
  outer: 'fullOuter', full: 'fullOuter', fullouter: 'fullOuter',
  left: 'leftOuter', leftouter: 'leftOuter',
  right: 'rightOuter', rightouter: 'rightOuter',
  semi: 'leftSemi', leftsemi: 'leftSemi',
  anti: 'leftAnti', leftanti: 'leftAnti',
};

/** Spark's names for the join types, as its messages print them. */
export const SPARK_JOIN_NAME: Readonly<Record<JoinType, string>> = {
  inner: 'Inner', leftOuter: 'LeftOuter', rightOuter: 'RightOuter', fullOuter: 'FullOuter', leftSemi: 'LeftSemi', leftAnti: 'LeftAnti',
};

export function joinTypeOf(how: string): JoinType {
  const t = JOIN_TYPES[how.toLowerCase().replace(/_/g, '')];
  if (!t) {
    throw new AnalysisError(
      `Unsupported join type '${how}'. Supported join types include: 'inner', 'outer', 'full', 'fullouter', 'full_outer', ` +
      `'leftouter', 'left', 'left_outer', 'rightouter', 'right', 'right_outer', 'leftsemi', 'left_semi', 'semi', 'leftanti', 'left_anti', 'anti', 'cross'.`,
    );
  }
  return t;
}

/** What join() was given as `on`. */
export type JoinOn =
  | { readonly kind: 'none' }
  | { readonly kind: 'condition'; readonly expr: Expr }
  /** A string: a plain column name means USING that column, anything else is a condition. */
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'using'; readonly columns: readonly string[] };

/** One side of a join: its plan and the alias (`df.alias('i')`) that qualifies its columns in the condition. */
export interface JoinInput {
  readonly plan: LogicalPlan;
  readonly alias: string | null;
}

export function joinNode(left: JoinInput, right: JoinInput, on: JoinOn, how: string): JoinNode {
  const joinType = joinTypeOf(how);
  const pair = pairSchema(left.plan.schema, right.plan.schema);
  const sides = { left, right };
  let using: readonly string[] = [];
  let written: Expr | null = null;
  if (on.kind === 'text') {
    const parsed = parseExpression(on.text);
    if (parsed.k === 'col' && parsed.path.length === 1) using = [parsed.path[0]!];
    else written = parsed;
  } else if (on.kind === 'using') {
    using = on.columns;
  } else if (on.kind === 'condition') {
    written = on.expr;
  }

  let condition: BoundExpr | null = null;
  let usingPairs: UsingPair[] = [];
  if (using.length > 0) {
    usingPairs = resolveUsing(using, left.plan.schema, right.plan.schema);
    const equalities = usingPairs.map((u): Expr => ({
      k: 'binary', op: '=', left: { k: 'col', path: ['left', u.left.name] }, right: { k: 'col', path: ['right', u.right.name] },
    }));
    condition = bind(equalities.reduce((a, b) => ({ k: 'binary', op: 'and', left: a, right: b })), pair);
  } else if (written !== null) {
    condition = bind(resolveSides(written, sides), pair);
    if (condition.type.kind !== 'boolean' && condition.type.kind !== 'null') {
      throw new AnalysisError(`the join condition ${sqlText(written)} is ${typeToString(condition.type)}, not a boolean; write a comparison such as a = b`);
    }
  }

  const { leftKeys, rightKeys, nullSafeKeys, residual } = equiKeys(condition);
  const { outputs, fields } = outputColumns(joinType, left.plan.schema, right.plan.schema, usingPairs);
  if (isStreaming(left.plan) && isStreaming(right.plan)) {
    for (const side of ['left', 'right'] as const) checkOneEventTimeColumn(side, sides[side].plan.schema);
  }
  return {
    k: 'join', left: left.plan, right: right.plan, joinType, condition,
    leftKeys, rightKeys, nullSafeKeys, residual, outputs, schema: structOf(fields),
  };
}

interface UsingPair {
  readonly left: Field;
  readonly right: Field;
}

function resolveUsing(names: readonly string[], left: StructType, right: StructType): UsingPair[] {
  const seen = new Set<string>();
  return names.map((name) => {
    if (seen.has(name.toLowerCase())) throw new AnalysisError(`the USING column '${name}' is listed twice; name each join column once`);
    seen.add(name.toLowerCase());
    const l = findField(left, name);
    const r = findField(right, name);
    for (const [side, f, schema] of [['left', l, left], ['right', r, right]] as const) {
      if (!f) {
        throw new AnalysisError(
          `USING column \`${name}\` cannot be resolved on the ${side} side of the join. The ${side}-side columns: [${columnList(schema)}]. ` +
          'Joining on a name needs that column on both sides; otherwise join on a condition, e.g. expr("leftCol = rightCol")',
        );
      }
    }
    return { left: l!, right: r! };
  });
}

/** Rewrites column references to `left.<name>` / `right.<name>`, resolving aliases and refusing ambiguity. */
function resolveSides(e: Expr, sides: Record<JoinSide, JoinInput>): Expr {
  return transformDown(e, (n) => {
    if (n.k === 'star') throw new AnalysisError(`'*' cannot be used in a join condition; name the columns to compare`);
    if (n.k !== 'col') return undefined;
    return { k: 'col', path: resolvePath(n.path, sides) };
  });
}

function resolvePath(path: readonly string[], sides: Record<JoinSide, JoinInput>): string[] {
  const [first, ...rest] = path as [string, ...string[]];
  if (rest.length > 0) {
    const aliased = (['left', 'right'] as const).filter((s) => sides[s].alias?.toLowerCase() === first.toLowerCase());
    if (aliased.length === 2) {
      throw new AnalysisError(`both sides of the join are aliased '${first}', so \`${path.join('.')}\` is ambiguous; give the two DataFrames different aliases`);
    }
    const side = aliased[0];
    if (side) {
      const schema = sides[side].plan.schema;
      const f = findField(schema, rest[0]!);
      if (!f) {
        throw new AnalysisError(
          `cannot resolve \`${path.join('.')}\` in the join condition: the ${side} side (aliased '${first}') has no column '${rest[0]}'; its columns are [${columnList(schema)}]`,
        );
      }
      return [side, f.name, ...rest.slice(1)];
    }
  }
  const l = findField(sides.left.plan.schema, first);
  const r = findField(sides.right.plan.schema, first);
  if (l && r) {
    const name = (s: JoinSide, f: Field): string => (sides[s].alias ? `\`${sides[s].alias}\`.\`${f.name}\`` : `the ${s} side's \`${f.name}\``);
    throw new AnalysisError(
      `Reference \`${first}\` is ambiguous in the join condition, could be: ${name('left', l)} or ${name('right', r)}. ` +
      `Qualify it with aliases (left.alias('l'), right.alias('r'), then l.${first} = r.${first}), rename it on one side with withColumnRenamed, ` +
      `or, when it is the join key on both sides, join on the name: join(other, '${first}')`,
    );
  }
  if (!l && !r) {
    throw new AnalysisError(
      `cannot resolve column \`${path.join('.')}\` in the join condition: the left side's columns are [${columnList(sides.left.plan.schema)}], ` +
      `the right side's [${columnList(sides.right.plan.schema)}]`,
    );
  }
  return l ? ['left', l.name, ...rest] : ['right', r!.name, ...rest];
}

/** Splits the condition into the equi-join keys (`l = r`, `l <=> r` across the sides) and the rest. */
function equiKeys(condition: BoundExpr | null): Pick<JoinNode, 'leftKeys' | 'rightKeys' | 'nullSafeKeys' | 'residual'> {
  const leftKeys: BoundExpr[] = [];
  const rightKeys: BoundExpr[] = [];
  const nullSafeKeys: boolean[] = [];
  const residual: BoundExpr[] = [];
  const only = (e: BoundExpr, side: JoinSide): boolean => {
    const s = sidesOf(e);
    return s.size === 1 && s.has(side);
  };
  for (const c of conjuncts(condition)) {
    if (c.k === 'cmp' && (c.op === '=' || c.op === '<=>')) {
      const swapped = only(c.left, 'right') && only(c.right, 'left');
      if ((only(c.left, 'left') && only(c.right, 'right')) || swapped) {
        leftKeys.push(swapped ? c.right : c.left);
        rightKeys.push(swapped ? c.left : c.right);
        nullSafeKeys.push(c.op === '<=>');
        continue;
      }
    }
    residual.push(c);
  }
  return { leftKeys, rightKeys, nullSafeKeys, residual };
}

/**
 * Spark's output: the USING columns once (the left's value; the right's in a right outer join;
 * the first non-null in a full outer join), then the left's other columns, then the right's.
 * Semi and anti joins output the left side only. Rows are objects, so two output columns may
 * not share a name: a clash is refused here with the ways out.
 */
function outputColumns(
  joinType: JoinType, left: StructType, right: StructType, using: readonly UsingPair[],
): { outputs: JoinOutputColumn[]; fields: Field[] } {
  if (joinType === 'leftSemi' || joinType === 'leftAnti') {
    return { outputs: left.fields.map((f) => ({ name: f.name, left: f.name, right: null })), fields: [...left.fields] };
  }
  const nullableLeft = joinType === 'rightOuter' || joinType === 'fullOuter';
  const nullableRight = joinType === 'leftOuter' || joinType === 'fullOuter';
  const outputs: JoinOutputColumn[] = [];
  const fields: Field[] = [];
  for (const u of using) {
    if (joinType === 'rightOuter') {
      outputs.push({ name: u.right.name, left: null, right: u.right.name });
      fields.push(u.right);
    } else if (joinType === 'fullOuter') {
      outputs.push({ name: u.left.name, left: u.left.name, right: u.right.name });
      fields.push(fieldOf(u.left.name, fullOuterUsingType(u), true));
    } else {
      outputs.push({ name: u.left.name, left: u.left.name, right: null });
      fields.push(u.left);
    }
  }
  const usedLeft = new Set(using.map((u) => u.left.name));
  const usedRight = new Set(using.map((u) => u.right.name));
  for (const f of left.fields) {
    if (usedLeft.has(f.name)) continue;
    outputs.push({ name: f.name, left: f.name, right: null });
    fields.push(nullableLeft ? fieldOf(f.name, f.type, true, f.metadata) : f);
  }
  for (const f of right.fields) {
    if (usedRight.has(f.name)) continue;
    outputs.push({ name: f.name, left: null, right: f.name });
    fields.push(nullableRight ? fieldOf(f.name, f.type, true, f.metadata) : f);
  }
  const byName = new Map<string, string>();
  for (const f of fields) {
    const clash = byName.get(f.name.toLowerCase());
    if (clash !== undefined) {
      throw new AnalysisError(
        `both sides of the join have a column named '${f.name}'${clash !== f.name ? ` (and '${clash}')` : ''}, and a joined row cannot hold two columns of one name. ` +
        `Rename it on one side before joining (e.g. other.withColumnRenamed('${f.name}', 'other_${f.name}')) or drop it there; ` +
        `if it is the join key on both sides, join on the name so the output keeps one '${f.name}': join(other, '${f.name}', how) or join(other, ['${f.name}', ...], how)`,
      );
    }
    byName.set(f.name.toLowerCase(), f.name);
  }
  return { outputs, fields };
}

function fullOuterUsingType(u: UsingPair) {
  const l = u.left.type;
  const r = u.right.type;
  if (typeToString(l) === typeToString(r)) return l;
  if (isNumeric(l) && isNumeric(r)) return widerNumeric(l, r);
  throw new AnalysisError(
    `the USING column '${u.left.name}' is ${typeToString(l)} on the left and ${typeToString(r)} on the right; a full outer join outputs one column for both, so cast one side to the other's type first`,
  );
}

/** Spark allows one event-time (watermarked) column per input of a stream-stream join. */
function checkOneEventTimeColumn(side: JoinSide, schema: StructType): void {
  const eventTime = schema.fields.filter((f) => f.metadata?.watermarkDelayMs !== undefined);
  if (eventTime.length > 1) {
    throw new AnalysisError(
      `More than one event time columns are available. Please ensure there is at most one event time column per stream: the ${side} side of this ` +
      `stream-stream join has event time columns [${eventTime.map((f) => f.name).join(', ')}]. Drop the others, or call withWatermark(...) on the one ` +
      'this join should use (a withWatermark clears the watermark of the other columns)',
    );
  }
}

function columnList(schema: StructType): string {
  return schema.fields.map((f) => f.name).join(', ');
}
