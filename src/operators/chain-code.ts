// The code of a fused run of stateless operators, as one loop over a chunk's rows (Spark's
// produce side of whole-stage code generation): nested loops for generators and flatMap,
// `continue` for filters, and every projection's columns kept in local variables. A row object
// is built only where something needs one: a user function (map, flatMap), or the consumer at
// the end of the chain (the chain operator emits row objects; an aggregation reads the variables).
// Built from typed trees by Codegen, never from user text.
import type { Row } from '../data/row.js';
import type { NamedExpr } from '../expr/analyze.js';
import type { BoundExpr } from '../expr/bound.js';
import type { Codegen, ColumnBinding, RowBinding } from '../expr/codegen.js';
import { objectRow } from '../expr/codegen.js';
import type { GeneratorSpec } from '../plan/logical.js';
import type { EventTimeStats, SplitEventTime } from './event-time-stats.js';
import type { LookupJoin } from './join/lookup-join.js';
import { lookupJoinCode } from './join/lookup-join.js';

export type StatelessStep =
  /** Reads the schema's columns of rows handed over as given (a field may be missing, others extra). */
  | { readonly k: 'columns'; readonly names: readonly string[] }
  | { readonly k: 'project'; readonly items: readonly NamedExpr[]; readonly generator?: GeneratorSpec }
  | { readonly k: 'filter'; readonly condition: BoundExpr }
  | { readonly k: 'watermark'; readonly stats: EventTimeStats }
  | { readonly k: 'map'; readonly fn: (row: Row) => Row }
  | { readonly k: 'flatMap'; readonly fn: (row: Row) => Iterable<Row> }
  /**
   * A stream-static join, probing the static side's hash table (join/lookup-join.ts); `outputs`
   * names the joined columns read after it (all when absent).
   */
  | { readonly k: 'lookupJoin'; readonly join: LookupJoin; readonly outputs?: readonly string[] };

/**
 * Emits the consumer's code for one output row of the chain: `row` binds its columns, `skip`
 * leaves it (continues the innermost loop).
 */
export type ChainConsumer = (row: RowBinding, skip: string) => string[];

/**
 * The lines of one loop over the rows in variable `rows` through `steps`, handing each output
 * row to `consume`. The generated code counts rows dropped as malformed in `counters`, and the
 * event times each withWatermark step sees in `eventTime[i]` (the i-th such step's figures for
 * the chunk's split, see eventTimeBySplit). Steps
 * are emitted inside one another (a generator or a join opens a loop for the steps after it;
 * an outer join emits the steps after it twice, for matched rows and for unmatched ones).
 */
export function chainCode(g: Codegen, steps: readonly StatelessStep[], rows: string, consume: ChainConsumer): string[] {
  const first = g.fresh('r');
  let loops = 0;
  const watermarkIndex = new Map(steps.filter((s) => s.k === 'watermark').map((s, i) => [s, i]));
  const label = (): string => `L${++loops}`;

  /** The lines of steps[i..] and the consumer for a row bound as `row`; `skip` leaves it. */
  const emit = (i: number, row: RowBinding, skip: string): string[] => {
    const step = steps[i];
    if (step === undefined) return consume(row, skip);
    g.skipRow = `counters.malformedDropped++; ${skip}`;
    switch (step.k) {
      case 'columns': {
        const cols = new Map<string, ColumnBinding>();
        for (const name of step.names) cols.set(name, g.assign(`${g.column(row, name)} ?? null`));
        return [...g.takeLines(), ...emit(i + 1, { kind: 'columns', cols }, skip)];
      }
      case 'filter': {
        const c = g.value(step.condition, row);
        return [...g.takeLines(), `if (${c} !== true) ${skip};`, ...emit(i + 1, row, skip)];
      }
      case 'watermark': {
        const s = `eventTime[${watermarkIndex.get(step)!}]`;
        const t = g.column(row, step.stats.column);
        const lines = g.takeLines();
        // maxFutureSkew: a row dated beyond the trigger time plus the skew is dropped before it
        // can move the watermark (and handed, as a row object, to the dead letters if any).
        let future = '';
        if (step.stats.tracking?.maxFutureSkewMs != null) {
          const st = g.constant(step.stats);
          const obj = g.rowObject(row);
          const build = g.takeLines().join(' ');
          future = `if (ms > ${st}.futureLimitMs) { ${st}.futureRows++; if (${st}.onFutureRow !== null) { ${build} ${st}.onFutureRow(${obj}); } ${skip}; } `;
        }
        return [
          ...lines,
          `if (${t} != null) { const ms = ${t}.getTime(); ${future}if (ms > ${s}.max) ${s}.max = ms; if (ms < ${s}.min) ${s}.min = ms; ${s}.sum += ms; ${s}.count++; }`,
          ...emit(i + 1, row, skip),
        ];
      }
      case 'map': {
        const f = g.constant(step.fn);
        const input = g.rowObject(row);
        const next = g.fresh('r');
        return [...g.takeLines(), `const ${next} = ${f}(${input});`, ...emit(i + 1, objectRow(next), skip)];
      }
      case 'flatMap': {
        const f = g.constant(step.fn);
        const input = g.rowObject(row);
        const next = g.fresh('r');
        const l = label();
        return [...g.takeLines(), `${l}: for (const ${next} of ${f}(${input})) {`, ...emit(i + 1, objectRow(next), `continue ${l}`), '}'];
      }
      case 'project': return project(step, row, (next, nextSkip) => emit(i + 1, next, nextSkip ?? skip));
      case 'lookupJoin': return lookupJoinCode(g, step.join, step.outputs, row, skip, label, (next, nextSkip) => emit(i + 1, next, nextSkip));
    }
  };

  /** A projection: its columns as variables; a generator loops over its elements. */
  const project = (step: Extract<StatelessStep, { k: 'project' }>, row: RowBinding, rest: (row: RowBinding, skip?: string) => string[]): string[] => {
    const values = step.items.map((item) => g.value(item.expr, row));
    const lines = g.takeLines();
    if (!step.generator) return [...lines, ...rest(columns(step.items, values))];
    const gen = step.generator;
    const input = g.value(gen.input, row);
    lines.push(...g.takeLines());
    const el = g.fresh('e');
    const pos = g.fresh('p');
    const elements = g.fresh('xs');
    const l = label();
    // explode_outer keeps a row with nulls when the input is null or empty.
    const isMap = gen.input.type.kind === 'map';
    const list = isMap ? `Object.entries(${input})` : input;
    lines.push(
      `const ${elements} = ${input} == null ? ${gen.outer ? '[null]' : '[]'} : ${list}.length === 0 && ${gen.outer} ? [null] : ${list};`,
      `${l}: for (let ${pos} = 0; ${pos} < ${elements}.length; ${pos}++) {`,
      `const ${el} = ${elements}[${pos}];`,
    );
    const genValues: string[] = [];
    if (gen.withPosition) genValues.push(`${el} === null ? null : ${pos}`);
    if (isMap) genValues.push(`${el} === null ? null : ${el}[0]`, `${el} === null ? null : ${el}[1]`);
    else genValues.push(`${el} ?? null`);
    let gi = 0;
    const itemValues = step.items.map((_, i) => {
      const isGen = i >= gen.position && i < gen.position + gen.names.length;
      if (!isGen) return values[i]!;
      const v = g.fresh('g');
      lines.push(`const ${v} = ${genValues[gi++]};`);
      return v;
    });
    return [...lines, ...rest(columns(step.items, itemValues), `continue ${l}`), '}'];
  };

  return [`L0: for (let i = 0; i < ${rows}.length; i++) {`, `const ${first} = ${rows}[i];`, ...emit(0, objectRow(first), 'continue L0'), '}'];
}

function columns(items: readonly NamedExpr[], values: readonly string[]): RowBinding {
  const cols = new Map<string, ColumnBinding>();
  items.forEach((it, i) => cols.set(it.name, values[i]!));
  return { kind: 'columns', cols };
}

/** A consumer that appends each output row, as an object, to the array in variable `out`. */
export function pushRows(g: Codegen, out: string): ChainConsumer {
  return (row) => {
    const obj = g.rowObject(row);
    return [...g.takeLines(), `${out}.push(${obj});`];
  };
}


/** For a chunk's split, where each withWatermark step of the chain counts its event times (the `eventTime` of chainCode). */
export function eventTimeBySplit(steps: readonly StatelessStep[]): (split: string | null) => readonly SplitEventTime[] {
  const stats = steps.flatMap((s) => (s.k === 'watermark' ? [s.stats] : []));
  const bySplit = new Map<string | null, SplitEventTime[]>();
  return (split) => {
    let et = bySplit.get(split);
    if (!et) bySplit.set(split, (et = stats.map((s) => s.statsFor(split))));
    return et;
  };
}
