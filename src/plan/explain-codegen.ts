// explain('codegen'), after Spark's debugCodegen: the functions a streaming query would generate
// for its stages, printed as generated. The physical planner is run as a query's start runs it
// (the same fusion decisions, the same code), without opening anything: no source is opened,
// nothing is read or written.
import { Supervisor } from '../actors/supervisor.js';
import { NEVER } from '../actors/restart-policy.js';
import type { StreamSink } from '../connectors/contract.js';
import { MemoryBackend } from '../state/memory-backend.js';
import { StateRepository } from '../state/state-repository.js';
import type { LogicalPlan, OutputMode } from './logical.js';
import { buildGraph, createSourceFor } from './physical.js';
import { statefulOperatorFactory } from './stateful-operators.js';

/** Stands in for the sink: the planner only connects it. */
const NO_SINK: StreamSink = {
  description: 'explain',
  supportedModes: ['append', 'update', 'complete'],
  guarantee: 'none',
  needsCheckpointLocation: false,
  async open() {},
  beginEpoch() { return null; },
  async close() {},
};

export interface CodegenExplainOptions {
  readonly outputMode: OutputMode;
  readonly shufflePartitions: number;
}

/** The generated code of every stage of a streaming plan, each under a header naming its operator. */
export function explainCodegen(plan: LogicalPlan, options: CodegenExplainOptions): string {
  const supervisor = new Supervisor(NEVER, 1);
  const graph = buildGraph({
    plan,
    outputMode: options.outputMode,
    sink: NO_SINK,
    supervisor,
    chunkRows: 1,
    shufflePartitions: options.shufflePartitions,
    state: new StateRepository(new MemoryBackend()),
    createSource: createSourceFor,
    statefulOperator: statefulOperatorFactory(),
    loadStatic: () => Promise.reject(new Error('internal: explain reads no data')),
    firstEpoch: 0,
    onCommitted: () => undefined,
  });
  const parts = graph.generated.map((s, i) =>
    `== Generated code (stage ${i + 1}: ${s.operator}) ==\n${s.code}\n`);
  const others = graph.stateful.filter((op) => op.logic.generatedCode === undefined).map((op) => `${op.id} (${op.logic.name})`);
  if (others.length) parts.push(`== Operators without generated code ==\n${others.join('\n')}\n`);
  return parts.length ? parts.join('\n') : '== No generated code: rows go from the source to the sink unchanged ==\n';
}
