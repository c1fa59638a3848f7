// Consecutive stateless operators fused into one operator whose per-chunk work is a single
// generated function (chain-code.ts): one loop over the chunk, the projections' columns in
// local variables, one object literal per output row. Built from typed trees, never user text.
import type { Row } from '../actors/messages.js';
import { MalformedRecordError } from '../errors.js';
import type { OperatorContext, OperatorLogic } from '../actors/operator.js';
import { Codegen } from '../expr/codegen.js';
import type { StatelessStep } from './chain-code.js';
import { chainCode, pushRows } from './chain-code.js';
import type { LookupJoin } from './join/lookup-join.js';
import { prepareLookups } from './join/lookup-join.js';

export type { StatelessStep } from './chain-code.js';
export { EventTimeStats } from './chain-code.js';

/** Counters a chain adds to: rows dropped as malformed (DROPMALFORMED). */
export interface ChainCounters {
  malformedDropped: number;
}

export type ChunkFunction = (rows: Row[], out: Row[], counters: ChainCounters) => void;

/** Compiles the steps into one function that appends the chunk's output rows to `out`. */
export function compileChain(steps: readonly StatelessStep[]): ChunkFunction {
  return compileChainCode(steps).run;
}

/** The chain's function and its source (for explain('codegen')). */
export function compileChainCode(steps: readonly StatelessStep[]): { run: ChunkFunction; source: string } {
  const g = new Codegen();
  const body = chainCode(g, steps, 'rows', pushRows(g, 'out'));
  const run = g.compile<ChunkFunction>(['rows', 'out', 'counters'], body);
  return { run, source: g.source };
}

/** The fused chain as an operator: each chunk in, the chain's output out. */
export function statelessChain(steps: readonly StatelessStep[], counters: ChainCounters): OperatorLogic & { readonly generatedCode: string } {
  const { run, source } = compileChainCode(steps);
  const joins = lookupJoinsOf(steps);
  const runChunk = (rows: Row[], ctx: OperatorContext): void => {
    const out: Row[] = [];
    try {
      run(rows, out, counters);
    } catch (e) {
      throw e instanceof MalformedRecordError ? locateMalformed(e, rows, run) : e;
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
 * A FAILFAST error names the record's source coordinates when the chain's input rows carry them
 * (Kafka rows: topic, partition, offset). The failing row is found by re-running the chunk row
 * by row, on the failure path only, so the per-row code stays untouched.
 */
export function locateMalformed(error: MalformedRecordError, rows: readonly Row[], run: ChunkFunction): MalformedRecordError {
  if (rows.length === 0 || !('topic' in rows[0]! && 'partition' in rows[0]! && 'offset' in rows[0]!)) return error;
  for (const row of rows) {
    try {
      run([row], [], { malformedDropped: 0 });
    } catch (e) {
      if (!(e instanceof MalformedRecordError)) break;
      return new MalformedRecordError(
        `${e.message} (record at topic ${String(row['topic'])}, partition ${String(row['partition'])}, offset ${String(row['offset'])})`,
        { cause: e },
      );
    }
  }
  return error;
}
