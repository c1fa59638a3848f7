// Consecutive stateless operators fused into one operator whose per-chunk work is a single
// generated function: nested loops for generators, `continue` for filters, one object literal
// per projection. Built from typed trees by Codegen, never from user text.
import type { Row } from '../actors/messages.js';
import type { OperatorLogic } from '../actors/operator.js';
import { RowFailure } from '../actors/operator.js';
import type { NamedExpr } from '../expr/analyze.js';
import type { BoundExpr } from '../expr/bound.js';
import { Codegen, propertyKey, quote } from '../expr/codegen.js';
import type { GeneratorSpec } from '../plan/logical.js';
import type { EventTimeStats, SplitEventTime } from './event-time-stats.js';

/** Counters a chain adds to: rows dropped as malformed (DROPMALFORMED). */
export interface ChainCounters {
  malformedDropped: number;
}

export type StatelessStep =
  | { readonly k: 'project'; readonly items: readonly NamedExpr[]; readonly generator?: GeneratorSpec }
  | { readonly k: 'filter'; readonly condition: BoundExpr }
  | { readonly k: 'watermark'; readonly stats: EventTimeStats }
  | { readonly k: 'map'; readonly fn: (row: Row) => Row }
  | { readonly k: 'flatMap'; readonly fn: (row: Row) => Iterable<Row> };

/**
 * `eventTime` holds, for each withWatermark step in order, where this chunk's event times are
 * counted (its split's figures).
 */
export type ChunkFunction = (rows: Row[], out: Row[], counters: ChainCounters, eventTime: readonly SplitEventTime[]) => void;

/** Compiles the steps into one function that appends the chunk's output rows to `out`. */
export function compileChain(steps: readonly StatelessStep[]): ChunkFunction {
  const g = new Codegen();
  const body: string[] = [];
  let label = 'L0';
  let row = g.fresh('r');
  let loops = 1;
  let watermarks = 0;
  body.push(`L0: for (let i = 0; i < rows.length; i++) {`, `const ${row} = rows[i];`);
  for (const step of steps) {
    g.skipRow = `counters.malformedDropped++; continue ${label}`;
    switch (step.k) {
      case 'filter': {
        const c = g.value(step.condition, row);
        body.push(...g.takeLines(), `if (${c} !== true) continue ${label};`);
        break;
      }
      case 'watermark': {
        const s = `eventTime[${watermarks++}]`;
        const t = g.fresh('t');
        // maxFutureSkew: a row dated beyond the trigger time plus the skew is dropped before it can move the watermark.
        const st = g.constant(step.stats);
        const future = step.stats.tracking?.maxFutureSkewMs != null
          ? `if (ms > ${st}.futureLimitMs) { ${st}.futureRows++; if (${st}.onFutureRow !== null) ${st}.onFutureRow(${row}); continue ${label}; } `
          : '';
        body.push(
          `const ${t} = ${row}[${quote(step.stats.column)}];`,
          `if (${t} != null) { const ms = ${t}.getTime(); ${future}if (ms > ${s}.max) ${s}.max = ms; if (ms < ${s}.min) ${s}.min = ms; ${s}.sum += ms; ${s}.count++; }`,
        );
        break;
      }
      case 'map': {
        const f = g.constant(step.fn);
        const next = g.fresh('r');
        body.push(`const ${next} = ${f}(${row});`);
        row = next;
        break;
      }
      case 'flatMap': {
        const f = g.constant(step.fn);
        const next = g.fresh('r');
        label = `L${loops++}`;
        body.push(`${label}: for (const ${next} of ${f}(${row})) {`);
        row = next;
        break;
      }
      case 'project': {
        const values = step.items.map((item) => g.value(item.expr, row));
        body.push(...g.takeLines());
        const next = g.fresh('r');
        if (!step.generator) {
          body.push(`const ${next} = { ${step.items.map((it, i) => `${propertyKey(it.name)}: ${values[i]}`).join(', ')} };`);
        } else {
          const gen = step.generator;
          const input = g.value(gen.input, row);
          body.push(...g.takeLines());
          const el = g.fresh('e');
          const pos = g.fresh('p');
          const elements = g.fresh('xs');
          label = `L${loops++}`;
          // explode_outer keeps a row with nulls when the input is null or empty.
          const isMap = gen.input.type.kind === 'map';
          const list = isMap ? `Object.entries(${input})` : input;
          body.push(
            `const ${elements} = ${input} == null ? ${gen.outer ? '[null]' : '[]'} : ${list}.length === 0 && ${gen.outer} ? [null] : ${list};`,
            `${label}: for (let ${pos} = 0; ${pos} < ${elements}.length; ${pos}++) {`,
            `const ${el} = ${elements}[${pos}];`,
          );
          const genValues: string[] = [];
          if (gen.withPosition) genValues.push(`${el} === null ? null : ${pos}`);
          if (isMap) genValues.push(`${el} === null ? null : ${el}[0]`, `${el} === null ? null : ${el}[1]`);
          else genValues.push(`${el} ?? null`);
          const fields: string[] = [];
          let gi = 0;
          step.items.forEach((it, i) => {
            const isGen = i >= gen.position && i < gen.position + gen.names.length;
            fields.push(`${propertyKey(it.name)}: ${isGen ? genValues[gi++] : values[i]}`);
          });
          body.push(`const ${next} = { ${fields.join(', ')} };`);
        }
        row = next;
        break;
      }
    }
  }
  body.push(`out.push(${row});`);
  for (let i = 0; i < loops; i++) body.push('}');
  return g.compile<ChunkFunction>(['rows', 'out', 'counters', 'eventTime'], body);
}

/** The fused chain as an operator: each chunk in, the chain's output out. */
export function statelessChain(steps: readonly StatelessStep[], counters: ChainCounters): OperatorLogic {
  const run = compileChain(steps);
  const eventTimeOf = eventTimeBySplit(steps);
  return {
    name: 'statelessChain',
    stores: [],
    process(rows, _input, ctx) {
      const out: Row[] = [];
      const eventTime = eventTimeOf(ctx.split);
      try {
        run(rows, out, counters, eventTime);
      } catch (e) {
        // The query fails, so the re-run's event times counted twice do not matter.
        throw locateFailure(e, rows, (one) => run(one, [], { malformedDropped: 0 }, eventTime));
      }
      ctx.emit(out);
    },
  };
}

/** For a chunk's split, where each withWatermark step of the chain counts its event times. */
export function eventTimeBySplit(steps: readonly StatelessStep[]): (split: string | null) => readonly SplitEventTime[] {
  const stats = steps.flatMap((s) => (s.k === 'watermark' ? [s.stats] : []));
  const bySplit = new Map<string | null, SplitEventTime[]>();
  return (split) => {
    let et = bySplit.get(split);
    if (!et) bySplit.set(split, (et = stats.map((s) => s.statsFor(split))));
    return et;
  };
}

/**
 * Which input row made the chunk fail, so the runtime can name the record's source position
 * (RowFailure). Found by re-running the chunk row by row, on the failure path only, so the
 * per-row code stays untouched.
 */
function locateFailure(error: unknown, rows: readonly Row[], runOne: (rows: Row[]) => void): unknown {
  for (let i = 0; i < rows.length; i++) {
    try {
      runOne([rows[i]!]);
    } catch (e) {
      return new RowFailure(e, i);
    }
  }
  return error;
}
