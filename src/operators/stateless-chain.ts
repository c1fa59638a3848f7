// Consecutive stateless operators fused into one operator whose per-chunk work is a single
// generated function (chain-code.ts): one loop over the chunk, the projections' columns in
// local variables, one object literal per output row. Built from typed trees, never user text.
import type { Row } from '../data/row.js';
import type { OperatorContext, OperatorLogic } from '../actors/operator.js';
import { RowFailure } from '../actors/operator.js';
import { Codegen } from '../expr/codegen.js';
import type { SplitEventTime } from './event-time-stats.js';
import type { StatelessStep } from './chain-code.js';
import { chainCode, eventTimeBySplit, pushRows } from './chain-code.js';
import type { LookupJoin } from './join/lookup-join.js';
import { prepareLookups } from './join/lookup-join.js';

export type { StatelessStep } from './chain-code.js';
export { eventTimeBySplit } from './chain-code.js';

/** Counters a chain adds to: rows dropped as malformed (DROPMALFORMED). */
export interface ChainCounters {
  malformedDropped: number;
}

/**
 * `eventTime` holds, for each withWatermark step in order, where this chunk's event times are
 * counted (its split's figures).
 */
export type ChunkFunction = (rows: Row[], out: Row[], counters: ChainCounters, eventTime: readonly SplitEventTime[]) => void;

/** Compiles the steps into one function that appends the chunk's output rows to `out`. */
export function compileChain(steps: readonly StatelessStep[]): ChunkFunction {
  return compileChainCode(steps).run;
}

/** The chain's function and its source (for explain('codegen')). */
export function compileChainCode(steps: readonly StatelessStep[]): { run: ChunkFunction; source: string } {
  const g = new Codegen();
  const body = chainCode(g, steps, 'rows', pushRows(g, 'out'));
  const run = g.compile<ChunkFunction>(['rows', 'out', 'counters', 'eventTime'], body);
  return { run, source: g.source };
}

/** The fused chain as an operator: each chunk in, the chain's output out. */
export function statelessChain(steps: readonly StatelessStep[], counters: ChainCounters): OperatorLogic & { readonly generatedCode: string } {
  const { run, source } = compileChainCode(steps);
  const eventTimeOf = eventTimeBySplit(steps);
  const joins = lookupJoinsOf(steps);
  const runChunk = (rows: Row[], ctx: OperatorContext): void => {
    const out: Row[] = [];
    const eventTime = eventTimeOf(ctx.split);
    try {
      run(rows, out, counters, eventTime);
    } catch (e) {
      // The query fails, so the re-run's event times counted twice do not matter.
      throw locateFailure(e, rows, (one) => run(one, [], { malformedDropped: 0 }, eventTime));
    }
    ctx.emit(out);
  };
  return {
    name: 'statelessChain',
    stores: [],
    generatedCode: source,
    process(rows, _input, ctx) {
      // A stream-static join reads its static side at the first rows of each epoch.
      if (joins.length) return prepareLookups(joins).then(() => runChunk(rows, ctx));
      runChunk(rows, ctx);
    },
    onEpochEnd() {
      for (const j of joins) j.reset();
    },
  };
}

/** The stream-static joins among the steps. */
export function lookupJoinsOf(steps: readonly StatelessStep[]): LookupJoin[] {
  return steps.flatMap((s) => (s.k === 'lookupJoin' ? [s.join] : []));
}

/**
 * Which input row made the chunk fail, so the runtime can name the record's source position
 * (RowFailure). Found by re-running the chunk row by row, on the failure path only, so the
 * per-row code stays untouched.
 */
export function locateFailure(error: unknown, rows: readonly Row[], runOne: (rows: Row[]) => void): unknown {
  for (let i = 0; i < rows.length; i++) {
    try {
      runOne([rows[i]!]);
    } catch (e) {
      return new RowFailure(e, i);
    }
  }
  return error;
}
