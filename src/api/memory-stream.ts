// MemoryStream: a replayable in-memory stream for tests and demos, as Spark's.
import type { Row } from '../data/row.js';
import { MemoryStreamData } from '../connectors/memory/memory-source.js';
import type { StructType } from '../expr/types.js';
import { DataFrame } from './dataframe.js';
import { argumentError } from './arguments.js';
import type { SessionContext } from './session-context.js';

let counter = 0;

export class MemoryStream<R extends Row = Row> {
  private readonly data: MemoryStreamData;

  constructor(private readonly session: SessionContext, schema: StructType<R>, name = `memory-${counter++}`) {
    this.data = new MemoryStreamData(schema as StructType, name);
  }

  /** Appends rows; returns the offset after them. Missing fields become null. */
  addData(rows: R | readonly R[]): number {
    const list: readonly unknown[] = Array.isArray(rows) ? rows : [rows];
    const bad = list.find((r) => r === null || typeof r !== 'object' || Array.isArray(r));
    if (bad !== undefined) throw argumentError('addData()', 'each row', 'an object of column values, such as { word: \'hello\' }', bad);
    return this.data.append(Array.isArray(rows) ? (rows as readonly R[]) : [rows as R]);
  }

  /** The offset after the last row added. */
  get latestOffset(): number {
    return this.data.latestOffset;
  }

  toDF(): DataFrame<R> {
    return new DataFrame<R>(this.session, { k: 'source', format: 'memory', options: {}, instance: this.data, schema: this.data.schema });
  }
}
