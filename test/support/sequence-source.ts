// A deterministic, replayable source that works across processes: row i is a function of i
// alone and the offset is a row index, so any process re-reads exactly the same rows for the
// same offsets. `rowsPerBatch` is its rate limit (maxRowsPerTrigger); `paceMs` sleeps between
// chunks so that an epoch takes time (and a kill lands in the middle of one).
import { setTimeout as sleep } from 'node:timers/promises';
import { numberOption } from '../../src/connectors/contract.js';
import type { Offset, Row, SourceProvider, StreamSource } from '../../src/index.js';
import { registerSource, types as T } from '../../src/index.js';

export const SEQUENCE_SCHEMA = T.struct([T.field('id', T.long()), T.field('key', T.string()), T.field('value', T.long())]);

/** Row `i` of a sequence over `keys` keys. */
export function sequenceRow(i: number, keys: number): Row {
  return { id: i, key: `k${(i * 7919) % keys}`, value: i % 10 };
}

class SequenceSource implements StreamSource {
  readonly schema = SEQUENCE_SCHEMA;
  readonly replayable = true;

  constructor(
    private readonly rows: number,
    private readonly rowsPerBatch: number,
    private readonly keys: number,
    private readonly paceMs: number,
    private readonly chunk: number,
  ) {}

  get description(): string {
    return `Sequence[rows=${this.rows}, rowsPerBatch=${this.rowsPerBatch}]`;
  }

  async open(): Promise<void> {}
  async initialOffset(): Promise<Offset> { return 0; }

  async latestOffset(start: Offset, limits: 'default' | 'all'): Promise<Offset> {
    const from = (start as number | null) ?? 0;
    return limits === 'all' ? this.rows : Math.min(this.rows, from + this.rowsPerBatch);
  }

  async *read(start: Offset, end: Offset): AsyncIterable<Row[]> {
    for (let i = start as number; i < (end as number); i += this.chunk) {
      const rows: Row[] = [];
      for (let j = i; j < Math.min(end as number, i + this.chunk); j++) rows.push(sequenceRow(j, this.keys));
      if (this.paceMs > 0) await sleep(this.paceMs);
      yield rows;
    }
  }

  async commit(): Promise<void> {}
  async close(): Promise<void> {}
}

/** What a keyed count/sum over the first `n` sequence rows gives: { key, n, total } sorted by key. */
export function expectedCounts(n: number, keys: number): Row[] {
  const m = new Map<string, { key: string; n: number; total: number }>();
  for (let i = 0; i < n; i++) {
    const r = sequenceRow(i, keys);
    const e = m.get(r['key'] as string) ?? { key: r['key'] as string, n: 0, total: 0 };
    e.n++;
    e.total += r['value'] as number;
    m.set(e.key, e);
  }
  return [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export const sequenceSource: SourceProvider = {
  options: ['rows', 'maxRowsPerTrigger', 'keys', 'paceMs', 'chunkRows'],
  schema: () => SEQUENCE_SCHEMA,
  create: (opts) => new SequenceSource(
    numberOption(opts.options, 'rows', 1000, (n) => Number.isInteger(n) && n >= 0),
    numberOption(opts.options, 'maxRowsPerTrigger', 100, (n) => Number.isInteger(n) && n > 0),
    numberOption(opts.options, 'keys', 100, (n) => Number.isInteger(n) && n > 0),
    numberOption(opts.options, 'paceMs', 0, (n) => n >= 0),
    numberOption(opts.options, 'chunkRows', 500, (n) => Number.isInteger(n) && n > 0),
  ),
};

registerSource('sequence', sequenceSource);
