// The `rate-micro-batch` source (Spark's RatePerMicroBatchProvider / RatePerMicroBatchStream):
// `timestamp` and `value` rows, exactly `rowsPerBatch` per micro-batch whatever the trigger or
// the lag, so batch 0 holds values 0..rowsPerBatch-1 stamped `startTimestamp`, batch 1 the next
// rowsPerBatch stamped `startTimestamp + advanceMillisPerBatch`, and so on. The offset is the
// next value with the timestamp of the next batch, as Spark's `{"offset":…,"timestamp":…}`.
// Micro-batch only; under AvailableNow (and Once) it reads exactly one more batch.
import type { Row } from '../../data/row.js';
import { AnalysisError } from '../../errors.js';
import { LONG, TIMESTAMP, fieldOf, structOf } from '../../expr/types.js';
import type { Offset, SourceOptions, StreamSource } from '../contract.js';
import { registerSource, stringOption } from '../contract.js';

const SCHEMA = structOf([fieldOf('timestamp', TIMESTAMP), fieldOf('value', LONG)]);

/** Spark's RatePerMicroBatchStreamOffset. */
interface RateBatchOffset {
  readonly offset: number;
  readonly timestamp: number;
}

interface Settings {
  readonly rowsPerBatch: number;
  readonly numPartitions: number;
  readonly startTimestamp: number;
  readonly advanceMillisPerBatch: number;
}

const CHUNK = 4096;

class RateMicroBatchSource implements StreamSource {
  readonly schema = SCHEMA;
  readonly replayable = true;
  /** Under AvailableNow: the one batch this run reads, fixed on first use. */
  private availableNowEnd: RateBatchOffset | null = null;
  private availableNow = false;

  constructor(private readonly s: Settings) {}

  get description(): string {
    const { rowsPerBatch, numPartitions, startTimestamp, advanceMillisPerBatch } = this.s;
    return `RatePerMicroBatchStream[rowsPerBatch=${rowsPerBatch}, numPartitions=${numPartitions}, startTimestamp=${startTimestamp}, advanceMsPerBatch=${advanceMillisPerBatch}]`;
  }

  async open(): Promise<void> {}

  async initialOffset(): Promise<Offset> {
    return { offset: 0, timestamp: this.s.startTimestamp } satisfies RateBatchOffset;
  }

  /** One batch after `start`, whatever the limits (as Spark's, even under Trigger.Once). */
  async latestOffset(start: Offset): Promise<Offset> {
    if (this.availableNow) return (this.availableNowEnd ??= this.next(start as RateBatchOffset));
    return this.next(start as RateBatchOffset);
  }

  async prepareForAvailableNow(): Promise<void> {
    this.availableNow = true;
  }

  /** The batch's values, partition by partition as Spark's readers return them, all stamped with its start. */
  *read(start: Offset, end: Offset): Iterable<Row[]> {
    const from = start as RateBatchOffset;
    const to = end as RateBatchOffset;
    const timestamp = new Date(from.timestamp);
    let rows: Row[] = [];
    for (let p = 0; p < this.s.numPartitions; p++) {
      for (let value = from.offset + p; value < to.offset; value += this.s.numPartitions) {
        rows.push({ timestamp, value });
        if (rows.length === CHUNK) {
          yield rows;
          rows = [];
        }
      }
    }
    if (rows.length) yield rows;
  }

  async commit(): Promise<void> {}
  async close(): Promise<void> {}

  private next(start: RateBatchOffset): RateBatchOffset {
    return { offset: start.offset + this.s.rowsPerBatch, timestamp: start.timestamp + this.s.advanceMillisPerBatch };
  }
}

/** A whole-number option, checked with Spark's message (`Invalid value '0'. The option 'rowsPerBatch' must be positive`). */
function integerOption(opts: SourceOptions, name: string, fallback: number, positive: boolean): number {
  const raw = stringOption(opts.options, name);
  const n = raw === undefined ? fallback : Number(raw);
  const ok = raw === undefined || (raw.trim() !== '' && Number.isSafeInteger(n));
  if (!ok || (positive ? n <= 0 : n < 0)) {
    throw new AnalysisError(`Invalid value '${raw ?? fallback}'. The option '${name}' must be ${positive ? 'positive' : 'non-negative'}${
      name === 'rowsPerBatch' ? ": e.g. readStream.format('rate-micro-batch').option('rowsPerBatch', 100)" : ''}`);
  }
  return n;
}

function settings(opts: SourceOptions): Settings {
  if (opts.userSchema) {
    throw new AnalysisError('The rate-micro-batch source does not support a user-specified schema: its rows are timestamp and value');
  }
  return {
    rowsPerBatch: integerOption(opts, 'rowsPerBatch', 0, true),
    numPartitions: integerOption(opts, 'numPartitions', 1, true),
    startTimestamp: integerOption(opts, 'startTimestamp', 0, false),
    advanceMillisPerBatch: integerOption(opts, 'advanceMillisPerBatch', 1000, false),
  };
}

registerSource('rate-micro-batch', {
  options: ['rowsPerBatch', 'numPartitions', 'startTimestamp', 'advanceMillisPerBatch'],
  schema: (opts) => { settings(opts); return SCHEMA; },
  create: (opts) => new RateMicroBatchSource(settings(opts)),
});
