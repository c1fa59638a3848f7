// One conformance case: a query written twice, for spate here and for Spark in
// test/conformance/cases/<family>.py, run over the same staged input, compared batch by batch.
// A case passes when the differences are exactly the ones expected-differences.ts lists for it
// (none, for most cases). SPATE_CONFORMANCE_DUMP=<folder> writes both runs of each case there.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataFrame, Row } from '../../../src/index.js';
import { Session, Trigger, types as T } from '../../../src/index.js';
import { typeToString } from '../../../src/expr/types.js';
import type { StreamingQueryProgress } from '../../../src/query/progress.js';
import { expectedDifferences } from '../expected-differences.js';
import type { TestMessage } from '../../support/kafka.js';
import { brokers, newTopic, produce } from '../../support/kafka.js';
import type { CollectedBatch, Difference, ProgressFigures, RunResult } from './compare.js';
import { differences } from './compare.js';
import { normaliseRows } from './normalise.js';
import type { OracleResult } from './oracle-client.js';
import { runInSpark } from './oracle-client.js';
import type { Workspace } from './stage.js';
import { stageBatches, workspace } from './stage.js';

/** A timestamp on 2024-01-01 as the JSON input writes it: `at('10:05')` is '2024-01-01T10:05:00Z'. */
export function at(hhmm: string, day = '2024-01-01'): string {
  return `${day}T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}Z`;
}

export interface StagedStream {
  /** The schema as DDL, given to both engines: `'key STRING, amount INT, ts TIMESTAMP'`. */
  readonly schema: string;
  /** One file per micro-batch; an empty batch is an empty file (the batch still runs). */
  readonly batches: readonly (readonly Row[])[];
}

export interface StaticTable {
  readonly schema: string;
  readonly rows: readonly Row[];
}

/** A topic produced before either query starts, read from the earliest offset by both. */
export interface StagedTopic {
  readonly partitions: number;
  readonly messages: readonly TestMessage[];
  /** Offsets per micro-batch, split across partitions as Spark splits them (one partition: exact). */
  readonly maxOffsetsPerTrigger: number;
}

/** What a case's spate query reads: the same staged files the Spark query reads. */
export interface SpateSources {
  readonly spark: Session;
  stream(name: string): DataFrame;
  static(name: string): DataFrame;
  kafka(name: string): DataFrame;
}

export interface ConformanceCase {
  /** The function in cases/<family>.py that writes the same query for Spark. */
  readonly name: string;
  /** What the case shows, as a sentence. */
  readonly title: string;
  readonly streams: Readonly<Record<string, StagedStream>>;
  readonly statics?: Readonly<Record<string, StaticTable>>;
  /** Kafka topics (the broker in KAFKA_BROKERS); the case's test file starts one if none is set. */
  readonly topics?: Readonly<Record<string, StagedTopic>>;
  readonly outputMode: 'append' | 'update' | 'complete';
  /** Spark settings for the query; spate gets each as `spate.` + the rest of the key. */
  readonly conf?: Readonly<Record<string, string>>;
  readonly query: (sources: SpateSources) => DataFrame;
}

/** Declares a jest test per case; `family` names cases/<family>.py. */
export function conformanceSuite(family: string, cases: readonly ConformanceCase[]): void {
  describe(`${family}, in Spark and in spate`, () => {
    for (const c of cases) {
      it(`${c.title} (${c.name})`, async () => {
        const { spark, spate } = await runBoth(family, c);
        const dump = process.env['SPATE_CONFORMANCE_DUMP'];
        if (dump) await writeFile(join(dump, `${c.name}.json`), JSON.stringify({ spark, spate }, null, 1));
        expect(spark.batches.some((b) => b.rows.length > 0)).toBe(true);
        expect(inOrder(differences(spark, spate))).toEqual(inOrder(expectedDifferences(c.name)));
      }, 180_000);
    }
  });
}

export async function runBoth(family: string, c: ConformanceCase): Promise<{ spark: OracleResult; spate: RunResult }> {
  const ws = await workspace();
  try {
    for (const [name, s] of Object.entries(c.streams)) await stageBatches(ws.path('in', name), s.batches);
    for (const [name, s] of Object.entries(c.statics ?? {})) await stageBatches(ws.path('static', name), [s.rows]);
    const topics = await stageTopics(c.topics ?? {});
    const spark = await runInSpark({
      module: family.replace(/-/g, '_'),
      case: c.name,
      streams: paths(ws, 'in', c.streams),
      statics: paths(ws, 'static', c.statics ?? {}),
      kafka: Object.fromEntries(Object.entries(topics).map(([name, t]) => [name, { bootstrap: brokers(), ...t }])),
      checkpoint: ws.path('spark-checkpoint'),
      outputMode: c.outputMode,
      conf: { ...c.conf },
    });
    const spate = await runInSpate(c, ws, topics);
    return { spark, spate };
  } finally {
    await ws.remove();
  }
}

/** Differences in one order, whatever order the expected ones were listed in. */
function inOrder(list: readonly Difference[]): Difference[] {
  return [...list].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function paths(ws: Workspace, folder: string, tables: Readonly<Record<string, { schema: string }>>): Record<string, { path: string; schema: string }> {
  return Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, { path: ws.path(folder, name), schema: t.schema }]));
}

/** Creates each topic under a unique name and produces its messages; the names by case name. */
async function stageTopics(topics: Readonly<Record<string, StagedTopic>>): Promise<Record<string, { topic: string; maxOffsetsPerTrigger: number }>> {
  const out: Record<string, { topic: string; maxOffsetsPerTrigger: number }> = {};
  for (const [name, t] of Object.entries(topics)) {
    const topic = await newTopic(`conformance-${name}`, t.partitions);
    await produce(topic, t.messages);
    out[name] = { topic, maxOffsetsPerTrigger: t.maxOffsetsPerTrigger };
  }
  return out;
}

async function runInSpate(c: ConformanceCase, ws: Workspace, topics: Readonly<Record<string, { topic: string; maxOffsetsPerTrigger: number }>>): Promise<RunResult> {
  const builder = Session.builder().appName('conformance')
    .config('spate.sql.shuffle.partitions', 2)
    .config('spate.ui.showConsoleProgress', false);
  for (const [k, v] of Object.entries(c.conf ?? {})) builder.config(k.replace(/^spark\./, 'spate.'), v);
  const spark = builder.create();
  const sources: SpateSources = {
    spark,
    stream: (name) => {
      const s = c.streams[name];
      if (!s) throw new Error(`case ${c.name} has no stream '${name}'`);
      return spark.readStream.format('json').schema(T.fromDDL(s.schema)).option('maxFilesPerTrigger', 1).load(ws.path('in', name));
    },
    static: (name) => {
      const s = c.statics?.[name];
      if (!s) throw new Error(`case ${c.name} has no static table '${name}'`);
      return spark.read.format('json').schema(T.fromDDL(s.schema)).load(ws.path('static', name));
    },
    kafka: (name) => {
      const t = topics[name];
      if (!t) throw new Error(`case ${c.name} has no topic '${name}'`);
      return spark.readStream.format('kafka').option('kafka.bootstrap.servers', brokers()).option('subscribe', t.topic)
        .option('startingOffsets', 'earliest').option('maxOffsetsPerTrigger', t.maxOffsetsPerTrigger).load();
    },
  };
  const df = c.query(sources);
  const batches: CollectedBatch[] = [];
  const query = df.writeStream.outputMode(c.outputMode)
    .option('checkpointLocation', ws.path('spate-checkpoint'))
    .trigger(Trigger.AvailableNow())
    .foreachBatch(async (batch, batchId) => {
      batches.push({ batchId, rows: normaliseRows(await batch.collect(), batch.schema) });
    })
    .start();
  await query.awaitTermination();
  return { schema: typeToString(df.schema), batches, progress: query.recentProgress.map(figures) };
}

function figures(p: StreamingQueryProgress): ProgressFigures {
  return {
    batchId: p.batchId,
    numInputRows: p.numInputRows,
    watermark: p.eventTime.watermark ?? null,
    stateOperators: p.stateOperators.map((o) => ({
      operatorName: o.operatorName,
      numRowsTotal: o.numRowsTotal,
      numRowsUpdated: o.numRowsUpdated,
      numRowsDroppedByWatermark: o.numRowsDroppedByWatermark,
    })),
  };
}

export type { Difference };
